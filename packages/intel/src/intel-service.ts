import {
  type Enrichment,
  type Lane,
  type LookupJob,
  lookupJobId,
  type NormalizedAlert,
  type Observable,
  type ObservableIntel,
  type ProviderResult,
} from '@triage/contracts';
import { createWorker, type TriageConfig, validated, type WorkerLockOptions } from '@triage/runtime';
import { UnrecoverableError, type Worker } from 'bullmq';
import { Allowlist } from './allowlist.ts';
import { type CacheRef, IntelCache } from './cache.ts';
import { buildExternals, type External } from './external-providers.ts';
import { extractObservables } from './extract.ts';
import type { GatherOptions, GatherResult, IntelServiceOptions } from './intel-service.options.ts';
import { lookupProcessor } from './lookup.processor.ts';
import { LookupState } from './lookup-state.ts';
import { sendable } from './pending-lookups.ts';
import { OfflineProvider } from './providers/offline.provider.ts';
import { type ProviderStatus, readStatus } from './status.ts';

export type { GatherOptions, GatherResult, IntelServiceOptions } from './intel-service.options.ts';
export type { ProviderStatus } from './status.ts';

type Missing = Enrichment['missing'][number];

const refId = (r: CacheRef) => `${r.provider}|${r.type}|${r.value}`;

/** A reply, or undefined when Redis refused the command. */
const quiet = <T>(p: Promise<T>): Promise<T | undefined> => p.catch(() => undefined);

/**
 * The façade the enrich worker calls. `gather` never blocks on a provider: it serves what is known
 * (offline lists, cache), enqueues single-flight lookups for the rest and tells the caller when
 * to come back; lookup workers (one BullMQ queue per provider, limited globally) do the calls.
 */
export class IntelService {
  private readonly opts: IntelServiceOptions;
  private readonly config: TriageConfig;
  private readonly allowlist: Allowlist;
  private readonly offline: OfflineProvider | undefined;
  private readonly cache: IntelCache;
  private readonly state: LookupState;
  private readonly externals: External[];
  private readonly workers: Worker[] = [];

  constructor(opts: IntelServiceOptions) {
    this.opts = opts;
    const c = opts.config;
    this.config = c;
    this.allowlist = new Allowlist(c.INTEL_ALLOWLIST);
    this.offline = c.OFFLINE_INTEL ? new OfflineProvider(opts.offlineDataDir) : undefined;
    this.cache = new IntelCache(opts.redis, opts.prefix, c);
    this.state = new LookupState(opts.redis, opts.prefix);
    this.externals = buildExternals(opts);
  }

  /**
   * Idempotent and cheap to call again. Extracts observables, serves offline and cached answers,
   * enqueues the missing lookups (deterministic job id: one lookup across all processes) and
   * registers `waiterId` to be woken. Done when every answer is in, or when INTEL_WAIT_MS has
   * passed since `firstAttemptAt` (then `partial`, with what is missing and why).
   */
  async gather(
    alert: NormalizedAlert,
    { waiterId, firstAttemptAt: given, lane = 'live' }: GatherOptions,
  ): Promise<GatherResult> {
    const c = this.config;
    const now = Date.now();
    const observables = extractObservables(alert, {
      allowlist: this.allowlist,
      maxObservables: c.INTEL_MAX_OBSERVABLES,
    });
    const intel: Record<string, ObservableIntel> = {};
    const put = (o: { type: Observable['type']; value: string }, r: ProviderResult) => {
      const entry = intel[o.value] ?? { type: o.type, providers: {} };
      entry.providers[r.provider] = r;
      intel[o.value] = entry;
    };

    // Offline lists are local: every public IP, allow-listed or not (nothing leaves the process).
    for (const o of observables) {
      if (this.offline?.supports(o.type) && o.scope === 'public') put(o, this.offline.check(o.value));
    }

    // Private / reserved / allow-listed values are never sent out.
    const out = sendable(observables);
    const missing: Missing[] = [];
    const refs: Array<CacheRef & { ext: External }> = [];
    for (const e of this.externals) {
      for (const o of out) {
        if (!e.supports(o.type)) continue;
        if (!e.provider) missing.push({ provider: e.name, value: o.value, reason: 'not_configured' });
        else refs.push({ provider: e.name, type: o.type, value: o.value, ext: e });
      }
    }

    const finish = (hits: number): GatherResult => {
      // Not having a key is a deployment choice, not missing intel; triage_partial_intel_total is
      // counted by the caller, once per alert.
      const partial = missing.some((m) => m.reason !== 'not_configured');
      return {
        done: true,
        enrichment: {
          observables: observables.map((o) => ({ ...o })),
          intel,
          partial,
          missing,
          cache: { hits, misses: refs.length - hits },
        },
      };
    };
    // Nothing to ask a provider (offline only, private values, no key): no Redis round trip at all.
    if (refs.length === 0) return finish(0);

    // One round trip: answers, failure notes, pauses, today's quota, this alert's earlier misses and
    // (when the caller does not keep it) the time of its first gather. Sent in one tick: on the
    // enrich worker's auto-pipelining connection, one write with the other alerts' commands of that
    // tick (an explicit pipeline is a write of its own). As in a pipeline, a command other than the
    // MGET that Redis refuses reads as no answer.
    const configured = this.externals.filter((e) => e.provider);
    const k = this.state.keys;
    const pendingKey = k.pending(waiterId);
    const firstKey = k.first(waiterId);
    const redis = this.opts.redis;
    const [mgetRaw, members, , first] = await Promise.all([
      redis.mget(
        ...refs.map((r) => this.cache.key(r)),
        ...refs.map((r) => k.failed(r.provider, r.type, r.value)),
        ...configured.flatMap((e) => [e.limits.throttleKey(), e.limits.quotaKey(now)]),
      ),
      quiet(redis.smembers(pendingKey)),
      given === undefined
        ? quiet(redis.set(firstKey, now, 'EX', Math.ceil(c.INTEL_WAIT_MS / 1000) + 3600, 'NX'))
        : undefined,
      given === undefined ? quiet(redis.get(firstKey)) : undefined,
    ]);
    const seen = new Set(members ?? []);
    const firstAttemptAt = given ?? Number(first ?? now);
    const deadline = firstAttemptAt + c.INTEL_WAIT_MS;
    const timedOut = now >= deadline;
    const providerState = new Map(
      configured.map((e, i) => {
        const base = refs.length * 2 + i * 2;
        const throttled = Number(mgetRaw[base] ?? 0);
        return [
          e.name,
          { throttledUntil: throttled > now ? throttled : 0, used: Number(mgetRaw[base + 1] ?? 0) },
        ];
      }),
    );

    let hits = 0;
    const newMisses: string[] = [];
    const givenUp: CacheRef[] = [];
    const toEnqueue: typeof refs = [];
    const pending: typeof refs = [];
    refs.forEach((r, i) => {
      const cached = IntelCache.decode(mgetRaw[i]);
      const id = refId(r);
      if (!seen.has(id)) {
        if (cached) hits++;
        else newMisses.push(id);
      }
      if (cached) {
        put(r, cached);
        return;
      }
      const failed = LookupState.decodeFailed(mgetRaw[refs.length + i]);
      const ps = providerState.get(r.ext.name)!;
      // A failure that happened while this alert waited ends its wait; later alerts try again.
      if (failed && failed.at >= firstAttemptAt)
        missing.push({ provider: r.provider, value: r.value, reason: failed.reason });
      // A spent ledger skips values not yet asked for; one already queued may hold the last reserved
      // call, so it waits for its own outcome.
      else if (!seen.has(id) && r.ext.limits.quotaExhausted(ps.used)) {
        missing.push({ provider: r.provider, value: r.value, reason: 'quota_exhausted' });
        givenUp.push(r);
      } else if (ps.throttledUntil > deadline)
        missing.push({ provider: r.provider, value: r.value, reason: 'throttled' });
      else {
        toEnqueue.push(r);
        if (timedOut) missing.push({ provider: r.provider, value: r.value, reason: 'timeout' });
        else pending.push(r);
      }
    });

    const metrics = this.opts.metrics;
    for (const id of newMisses)
      metrics.inc('triage_intel_cache_total', { provider: id.split('|')[0]!, result: 'miss' });
    const waitTtl = Math.ceil(Math.max(0, deadline - now) / 1000) + 60;
    if (newMisses.length || pending.length || givenUp.length) {
      const writes: Array<Promise<unknown>> = [];
      if (newMisses.length)
        writes.push(redis.sadd(pendingKey, ...newMisses), redis.expire(pendingKey, waitTtl));
      writes.push(
        ...this.state.addWaiters(pending, waiterId, waitTtl),
        // Not asked today (quota spent): no longer a lookup ahead.
        ...this.state.notAhead(givenUp),
      );
      // Sent in one tick, like the reads; as in a pipeline, a refused write is not an error here (a
      // waiter that missed its registration is re-checked after INTEL_POLL_MS).
      await Promise.allSettled(writes);
    }
    // Even past the deadline the lookups are queued: the answers warm the cache for the next alerts.
    await this.enqueue(toEnqueue, lane);

    if (pending.length) {
      // Re-check after registering as a waiter: a lookup that ended in between cannot be missed.
      const again = await this.opts.redis.mget(
        ...pending.map((r) => this.cache.key(r)),
        ...pending.map((r) => k.failed(r.provider, r.type, r.value)),
      );
      const resolved = pending.map((r, i) => {
        const cached = IntelCache.decode(again[i]);
        const failed = LookupState.decodeFailed(again[pending.length + i]);
        if (cached) return () => put(r, cached);
        if (failed && failed.at >= firstAttemptAt) {
          return () => missing.push({ provider: r.provider, value: r.value, reason: failed.reason });
        }
        return undefined;
      });
      if (resolved.some((f) => !f)) {
        return { done: false, retryInMs: Math.max(50, Math.min(deadline - now + 10, c.INTEL_POLL_MS)) };
      }
      for (const apply of resolved) apply?.();
    }

    const missed = new Set(newMisses);
    for (const r of refs) {
      if (!seen.has(refId(r)) && !missed.has(refId(r))) {
        metrics.inc('triage_intel_cache_total', { provider: r.provider, result: 'hit' });
      }
    }
    if (seen.size || newMisses.length || given === undefined) await this.opts.redis.del(pendingKey, firstKey);
    return finish(hits);
  }

  /** Starts one lookup Worker per configured provider, each with the provider's global limiter. */
  startLookupWorkers(opts: { concurrency?: number; lock?: WorkerLockOptions } = {}): Worker[] {
    const started: Worker[] = [];
    for (const e of this.externals) {
      if (!e.provider || !e.queue) continue;
      const processor = lookupProcessor({
        provider: e.provider,
        limits: e.limits,
        cache: this.cache,
        state: this.state,
        queue: e.queue,
        metrics: this.opts.metrics,
        logger: this.opts.logger,
        failedTtlSeconds: Math.ceil(this.config.INTEL_WAIT_MS / 1000) + 60,
        wake: (job) => this.wakeFor(job),
      });
      const worker = createWorker(e.spec, processor, {
        connection: this.opts.connection,
        prefix: this.opts.prefix,
        concurrency: opts.concurrency ?? 4,
        limiter: e.limits.workerLimiter(),
        ...opts.lock,
      });
      worker.on('completed', (job) => void this.wakeFor(job.data as LookupJob));
      worker.on('failed', (job, err) => {
        if (!job) return;
        // `finishedOn` is set only when BullMQ gives up (no retry left, or UnrecoverableError).
        const final = job.finishedOn !== undefined || err instanceof UnrecoverableError;
        if (final) void this.wakeFor(job.data as LookupJob);
      });
      worker.on('error', (err) =>
        this.opts.logger.error({ queue: e.spec.name, error: err.message }, 'lookup worker error'),
      );
      started.push(worker);
    }
    this.workers.push(...started);
    return started;
  }

  /** For GET /health: a few Redis reads, no provider call. */
  async status(): Promise<ProviderStatus[]> {
    return readStatus({
      redis: this.opts.redis,
      state: this.state,
      cache: this.cache,
      offline: this.offline,
      externals: this.externals.map((e) => ({ name: e.name, configured: !!e.provider, limits: e.limits })),
    });
  }

  /** Closes this service's workers and queues (not the Redis connections, which the caller owns). */
  async close(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.close()));
    await Promise.allSettled(this.externals.map((e) => e.queue?.close()));
  }

  /**
   * Live lookups are FIFO (no priority) on purpose: BullMQ 6.7 puts a rate-limited prioritized job
   * back without a wake-up marker, so idle workers would only notice it after `drainDelay` (5 s) —
   * longer than the rate window. A backlog alert's lookups are prioritized (priority 1): BullMQ
   * serves every unprioritized job first, so they wait behind live ones, and the occasional 5 s
   * stall does not matter for a backlog. (A live alert that needs a value a backlog lookup already
   * queued waits for that job, at most INTEL_WAIT_MS: the add is a no-op on the deterministic id.)
   */
  private async enqueue(refs: ReadonlyArray<CacheRef & { ext: External }>, lane: Lane): Promise<void> {
    for (const e of this.externals) {
      const mine = refs.filter((r) => r.ext === e);
      if (!mine.length || !e.queue) continue;
      await e.queue.addBulk(
        mine.map((r) => {
          const data = validated(e.spec, { provider: r.provider, type: r.type, value: r.value });
          // Removed when finished: the answer lives in the cache, and a kept job id would block the
          // next lookup of the same value (ids are deterministic) long after an error.
          return {
            name: r.type,
            data,
            opts: {
              jobId: lookupJobId(data),
              removeOnComplete: true,
              removeOnFail: true,
              ...(lane === 'backlog' ? { priority: 1 } : {}),
            },
          };
        }),
      );
    }
  }

  private async wakeFor(job: LookupJob): Promise<void> {
    try {
      const ids = await this.state.takeWaiters({ provider: job.provider, type: job.type, value: job.value });
      if (ids.length && this.opts.wake) await this.opts.wake(ids);
    } catch (err) {
      this.opts.logger.warn({ error: (err as Error).message }, 'waking enrich jobs failed; they will poll');
    }
  }
}
