import type { QueueSpec } from '@triage/contracts';
import {
  type ConnectionOptions,
  DelayedError,
  type Job,
  type JobsOptions,
  Queue,
  type QueueOptions,
  UnrecoverableError,
  Worker,
  type WorkerOptions,
} from 'bullmq';
import type { z } from 'zod';
import { isRedisOom } from './redis.ts';

/**
 * Most events a queue's stream keeps (BullMQ's default is 10,000). Nothing here reads the stream
 * back (no QueueEvents; Bull Board reads the job sets), and at the default a busy queue carried
 * ~80 bytes of events per queued alert.
 */
export const EVENTS_MAX_LEN = 1000;

/**
 * A queue from the catalog, with its retry defaults applied. Retention (`removeOnComplete` /
 * `removeOnFail`) is applied by the catalog's workers (`createWorker`) rather than stored in every
 * job's options: BullMQ keeps a job's full options in its hash, and those two objects were about a
 * seventh of a queued alert's Redis footprint.
 */
export function createQueue<S extends QueueSpec>(
  spec: S,
  connection: ConnectionOptions,
  prefix: string,
  extra: Partial<QueueOptions> = {},
): Queue<z.input<S['schema']>> {
  const { attempts, backoff } = spec.defaults;
  return new Queue(spec.name, {
    connection,
    prefix,
    defaultJobOptions: { attempts, backoff },
    streams: { events: { maxLen: EVENTS_MAX_LEN } },
    ...extra,
  });
}

/** Validates before `add`: a bad payload never reaches Redis. */
export function validated<S extends QueueSpec>(spec: S, data: unknown): z.output<S['schema']> {
  return spec.schema.parse(data) as z.output<S['schema']>;
}

export interface ValidatedJob<T> {
  data: T;
  job: Job;
}

export interface CreateWorkerOptions extends WorkerOptions {
  connection: ConnectionOptions;
  /** Wraps every job run (WorkerHealth times them to spot a stuck process). */
  track?: <T>(run: () => Promise<T>) => Promise<T>;
}

/** Longest pause between two tries of a job while Redis is out of memory. */
export const OOM_RETRY_MAX_MS = 60_000;
/**
 * Times a job is put back for Redis being out of memory before its ordinary attempts are spent
 * instead: with the pauses doubling from 2 s to a minute, about an hour.
 */
export const OOM_MAX_DEFERRALS = 64;

/** Pause before the next try of a job that met a full Redis: 2 s doubling, at most a minute. */
export function oomRetryDelayMs(deferrals: number): number {
  return Math.min(OOM_RETRY_MAX_MS, 2000 * 2 ** Math.min(Math.max(0, deferrals), 10));
}

/**
 * Redis refused a write (maxmemory, noeviction). That is a state of the shared store, not a fault
 * of this job: the job is put back as delayed without spending an attempt, so five quick attempts
 * are not burnt in half a minute of a full Redis. When even that write is refused the error goes
 * to BullMQ as it is; its own bookkeeping is refused too, the job stays active, its lock lapses
 * and the stalled check hands it out again once memory is freed.
 */
async function deferOnOom(job: Job, token: string | undefined, err: unknown): Promise<never> {
  // Every move back to wait or delayed starts another attempt without spending one.
  const deferrals = job.attemptsStarted - job.attemptsMade - 1;
  if (!token || !isRedisOom(err) || deferrals >= OOM_MAX_DEFERRALS) throw err;
  try {
    await job.moveToDelayed(Date.now() + oomRetryDelayMs(deferrals), token);
  } catch {
    throw err;
  }
  throw new DelayedError();
}

/**
 * A worker whose processor only ever sees payloads that passed the catalog schema.
 * A payload that does not is an UnrecoverableError: never retried, never silently completed.
 * A job that meets a full Redis is retried later without spending an attempt (`deferOnOom`).
 */
export function createWorker<S extends QueueSpec, R>(
  spec: S,
  processor: (data: z.output<S['schema']>, job: Job, token?: string) => Promise<R>,
  options: CreateWorkerOptions,
): Worker<unknown, R> {
  const { track = (run) => run(), ...workerOptions } = options;
  return new Worker<unknown, R>(
    spec.name,
    (job, token) =>
      track(async () => {
        const parsed = spec.schema.safeParse(job.data);
        if (!parsed.success) {
          throw new UnrecoverableError(
            `invalid ${spec.name} payload: ${parsed.error.issues[0]?.message ?? 'unknown'}`,
          );
        }
        try {
          return await processor(parsed.data as z.output<S['schema']>, job, token);
        } catch (err) {
          return deferOnOom(job, token, err);
        }
      }),
    {
      removeOnComplete: spec.defaults.removeOnComplete,
      removeOnFail: spec.defaults.removeOnFail,
      ...workerOptions,
    },
  );
}

/** The lock and stalled-check timing of a Worker (see `workerLockOptions`). */
export interface WorkerLockOptions {
  lockDuration: number;
  lockRenewTime: number;
  stalledInterval: number;
}

/**
 * Lock timing from one knob, `lockMs` (WORKER_LOCK_MS, 10 s by default). A worker killed outright
 * (SIGKILL, OOM, power) leaves its jobs active under a lock nobody renews, which lapses at most
 * `lockMs` after the kill. BullMQ's stalled check (run by the live workers of a queue, at most once
 * per `stalledInterval` across all of them) moves an active job back to wait when the previous
 * check saw it active and its lock is gone: so a killed worker's jobs run again at most
 * `lockMs + lockMs / 4` after the kill (12.5 s by default), as soon as any worker is up.
 *
 * The check is cheap (one script per interval per queue, over the active list), so it runs often;
 * checking more often never runs a job twice, since a job moves only once its lock is gone. What
 * can run a job twice is a live worker whose event loop is blocked longer than its lock has left:
 * renewing every third of the lock means a block must last two thirds of it (6.7 s by default) to
 * do that. Enrich and classify steps take milliseconds and are bounded far below that; a job run
 * twice costs a second webhook at worst, which receivers drop by webhook-id. A shorter lock recovers
 * sooner and tolerates shorter stalls.
 */
export function workerLockOptions(lockMs: number): WorkerLockOptions {
  return {
    lockDuration: lockMs,
    lockRenewTime: Math.max(100, Math.floor(lockMs / 3)),
    stalledInterval: Math.max(100, Math.floor(lockMs / 4)),
  };
}

export type { JobsOptions };
