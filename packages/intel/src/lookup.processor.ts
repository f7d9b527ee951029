import { setTimeout as sleep } from 'node:timers/promises';
import type { LookupJob } from '@triage/contracts';
import type { Logger, Metrics } from '@triage/runtime';
import { type Job, type Queue, UnrecoverableError, Worker } from 'bullmq';
import type { IntelCache } from './cache.ts';
import type { ProviderLimits } from './limits.ts';
import type { LookupState } from './lookup-state.ts';
import {
  type IntelProvider,
  LimitWaitError,
  ProviderError,
  ProviderQuotaExhaustedError,
  ProviderRateLimitedError,
} from './provider.ts';

export type LookupOutcome = 'ok' | 'not_found' | 'cached' | 'quota_exhausted';

export interface LookupProcessorDeps {
  provider: IntelProvider;
  limits: ProviderLimits;
  cache: IntelCache;
  state: LookupState;
  /** The provider's lookup queue: `queue.rateLimit(ms)` pauses it for every worker in every process. */
  queue: Queue;
  metrics: Metrics;
  logger: Logger;
  /** How long a failed lookup stays visible to the alerts that waited for it. */
  failedTtlSeconds: number;
  /** Wakes the alerts waiting on a lookup (called on a 429 so they can decide to go on without it). */
  wake: (job: LookupJob) => Promise<void>;
}

/**
 * Pauses the whole queue (every worker, every process) and hands the job back to `wait` without
 * spending an attempt: BullMQ's manual rate-limit pattern. A throttled provider thus holds no
 * worker slot and makes no call until the pause ends.
 */
async function pauseQueue(queue: Queue, ms: number): Promise<never> {
  await queue.rateLimit(Math.max(1, Math.ceil(ms)));
  throw Worker.RateLimitError();
}

/**
 * One lookup job: cache re-check → pause check → reserve (rate window + quota) → call → cache.
 * Only answers are cached. A 429 pauses the provider; errors go to BullMQ's backoff, and the last
 * attempt leaves a short "failed" note so waiting alerts go on without this answer.
 */
export function lookupProcessor(deps: LookupProcessorDeps) {
  const { provider, limits, cache, state, queue, metrics } = deps;
  const name = provider.name;

  return async (data: LookupJob, job: Job): Promise<{ outcome: LookupOutcome }> => {
    const ref = { provider: name, type: data.type, value: data.value };
    const log = deps.logger.child({ queue: queue.name, job_id: job.id });

    // Another job (or a race between a gather and a finished job) may have answered already.
    if (await cache.get(ref)) return { outcome: 'cached' };

    const throttledUntil = await limits.throttledUntil();
    if (throttledUntil > 0) return pauseQueue(queue, throttledUntil - Date.now());

    try {
      const result = await lookupWithShortWaits(provider, data);
      await cache.set(ref, result);
      await state.recordCall(name, true);
      const outcome = result.not_found ? 'not_found' : 'ok';
      metrics.inc('triage_intel_lookups_total', { provider: name, outcome });
      metrics.observe('triage_intel_limit_wait_seconds', { provider: name }, waitedSeconds(job));
      return { outcome };
    } catch (err) {
      if (err instanceof LimitWaitError) return pauseQueue(queue, err.waitMs);
      if (err instanceof ProviderQuotaExhaustedError) {
        // No call was made. The note ends the wait of the alerts on this lookup; new alerts see the
        // spent ledger and skip the provider without enqueueing.
        await state.markFailed(ref, 'quota_exhausted', deps.failedTtlSeconds);
        metrics.inc('triage_intel_lookups_total', { provider: name, outcome: 'quota_exhausted' });
        return { outcome: 'quota_exhausted' };
      }
      if (err instanceof ProviderRateLimitedError) {
        metrics.inc('triage_intel_rate_limited_total', { provider: name });
        metrics.inc('triage_intel_lookups_total', { provider: name, outcome: 'rate_limited' });
        await state.recordCall(name, true);
        const until = await limits.throttle(err.retryAfterMs);
        log.warn(
          { provider: name, throttled_until: new Date(until).toISOString() },
          'provider rate limited us',
        );
        await deps.wake(data);
        return pauseQueue(queue, until - Date.now());
      }
      // Anything that is not a provider verdict (a Redis hiccup writing the cache) is worth a retry.
      const retryable = err instanceof ProviderError ? err.retryable : true;
      const final = !retryable || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const code = err instanceof ProviderError ? err.code : 'INTERNAL';
      if (err instanceof ProviderError) await state.recordCall(name, false, `${code}: ${err.message}`);
      metrics.inc('triage_intel_lookups_total', { provider: name, outcome: 'error' });
      // The message only: got errors carry request options (headers with the API key) as properties.
      log.warn(
        { provider: name, code, attempt: job.attemptsMade + 1, final, error: (err as Error).message },
        'intel lookup failed',
      );
      if (!final) throw err;
      await state.markFailed(ref, 'error', deps.failedTtlSeconds);
      metrics.observe('triage_intel_limit_wait_seconds', { provider: name }, waitedSeconds(job));
      throw retryable ? err : new UnrecoverableError((err as Error).message);
    }
  };
}

/**
 * BullMQ's limiter counts fixed windows while the gate counts a sliding one, so at a window edge
 * the gate often says "wait a few ms". Requeueing then costs a whole BullMQ window (measured:
 * ~1.1 s lost per edge at 4/s), so a wait this short is taken in place; longer ones pause the queue.
 */
const SHORT_WAIT_MS = 250;

async function lookupWithShortWaits(provider: IntelProvider, data: LookupJob) {
  for (let waits = 0; ; waits++) {
    try {
      return await provider.lookup({ type: data.type, value: data.value });
    } catch (err) {
      if (!(err instanceof LimitWaitError) || err.waitMs > SHORT_WAIT_MS || waits >= 3) throw err;
      await sleep(err.waitMs);
    }
  }
}

/** Time the lookup spent queued behind the provider's limits before its (last) start. */
function waitedSeconds(job: Job): number {
  return Math.max(0, ((job.processedOn ?? Date.now()) - job.timestamp) / 1000);
}
