import { type DeadLetterJob, JOBS } from '@triage/contracts';
import { type Job, type Queue, UnrecoverableError, type Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { AlertStore } from './alert-store.ts';
import type { Metrics } from './metrics.ts';
import { isRedisOom } from './redis.ts';

/** True when BullMQ will not try this job again. */
export function isFinalFailure(job: Job, err: Error): boolean {
  return (
    err instanceof UnrecoverableError ||
    err.name === 'UnrecoverableError' ||
    job.attemptsMade >= (job.opts.attempts ?? 1)
  );
}

/**
 * When an alert's job fails for the last time, the alert is marked failed (so batches finish and
 * callers stop waiting) and a copy goes to the dead-letter queue for an operator.
 */
export function onFinalFailure(
  worker: Worker,
  deps: { store?: AlertStore; deadLetter: Queue<DeadLetterJob>; metrics: Metrics; logger: Logger },
): void {
  worker.on('failed', (job, err) => {
    if (!job || !isFinalFailure(job, err)) return;
    const data = job.data as { alert_id?: string; batch_id?: string };
    if (deps.store && data.alert_id && isRedisOom(err)) {
      // Out of attempts only because Redis was full: the alert is not at fault. Its record still
      // says in progress, so the stranded-alert sweeper runs it again once memory is back (and
      // fails it visibly after SWEEP_MAX_REDRIVES).
      deps.logger.warn(
        { queue: job.queueName, job_id: job.id, alert_id: data.alert_id },
        'job gave up while Redis was out of memory; left to the stranded-alert sweeper',
      );
      return;
    }
    deps.logger.error(
      { err, queue: job.queueName, job_id: job.id, alert_id: data.alert_id },
      'job failed for good',
    );
    void (async () => {
      if (deps.store && data.alert_id) {
        if (await deps.store.fail(data.alert_id, `${job.queueName}: ${err.message}`, data.batch_id)) {
          deps.metrics.inc('triage_alerts_failed_total', { stage: job.queueName });
        }
      }
      await deps.deadLetter.add(
        JOBS.deadLetter.name,
        {
          queue: job.queueName,
          job_id: String(job.id),
          data: job.data,
          failed_reason: err.message,
          failed_at: new Date().toISOString(),
        },
        { jobId: `${job.queueName}.${job.id}` },
      );
    })().catch((e: unknown) => deps.logger.error({ err: e }, 'could not record a final failure'));
  });
}
