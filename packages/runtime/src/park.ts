import type { QueueName } from '@triage/contracts';
import { DelayedError, Job, type Queue } from 'bullmq';
import type { AlertStore } from './alert-store.ts';

/**
 * How long a job of a paused batch stays parked before it looks again. Resume promotes parked jobs
 * at once (AlertStore.resumeBatch); this is only the safety net for a resume that was cut short,
 * long enough that a paused million-alert backlog costs the workers one look per hour per alert.
 */
export const PARK_MS = 60 * 60 * 1000;

/**
 * Parks the current job of a paused batch as delayed: it holds no worker slot and blocks nothing.
 * A resume that ran between the pause check and this move could not promote a job still active,
 * so the job checks once more after parking itself and comes straight back when it is resumed.
 */
export async function parkJob(
  job: Job,
  token: string | undefined,
  store: AlertStore,
  batchId: string | undefined,
): Promise<never> {
  await job.moveToDelayed(Date.now() + PARK_MS, token);
  if (batchId && !(await store.isPaused(batchId))) await job.promote().catch(() => undefined);
  throw new DelayedError();
}

/** The parked-set member of a job: `<queue>|<job id>`. */
export const parkedMember = (job: Job): string => `${job.queueName}|${job.id}`;

/**
 * Promotes parked jobs (`<queue>|<job id>`) back to their queue. A job that is no longer delayed
 * (promoted by its own re-check, or already taken) is skipped.
 */
export async function promoteParked(queues: ReadonlyMap<QueueName, Queue>, parked: string[]): Promise<void> {
  await Promise.all(
    parked.map(async (m) => {
      const sep = m.indexOf('|');
      const queue = queues.get(m.slice(0, sep) as QueueName);
      if (!queue || sep < 0) return;
      // A bare Job handle: promote needs only the id (one script call, no HGETALL).
      await new Job(queue, 'parked', {}, {}, m.slice(sep + 1)).promote().catch(() => undefined);
    }),
  );
}
