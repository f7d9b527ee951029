import type { QueueSpec } from '@triage/contracts';
import {
  type ConnectionOptions,
  type Job,
  type JobsOptions,
  Queue,
  type QueueOptions,
  UnrecoverableError,
  Worker,
  type WorkerOptions,
} from 'bullmq';
import type { z } from 'zod';

/** A queue from the catalog, with its retention and retry defaults applied. */
export function createQueue<S extends QueueSpec>(
  spec: S,
  connection: ConnectionOptions,
  prefix: string,
  extra: Partial<QueueOptions> = {},
): Queue<z.input<S['schema']>> {
  return new Queue(spec.name, { connection, prefix, defaultJobOptions: spec.defaults, ...extra });
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

/**
 * A worker whose processor only ever sees payloads that passed the catalog schema.
 * A payload that does not is an UnrecoverableError: never retried, never silently completed.
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
        return processor(parsed.data as z.output<S['schema']>, job, token);
      }),
    workerOptions,
  );
}

export type { JobsOptions };
