import type { Lane } from '@triage/contracts';
import {
  AppError,
  memoryPressure,
  type Redis,
  type RedisMemory,
  readRedisMemory,
  withRedisTimeout,
} from '@triage/runtime';
import type { Queue } from 'bullmq';

/** Share of ENRICH_MAX_BACKLOG a backlog batch may fill; the rest is headroom for live alerts. */
export const BACKLOG_SHARE = 0.9;

export interface MemoryWatch {
  /** Where to read `INFO memory`. */
  redis: Redis;
  /** REDIS_MEMORY_WATERMARK: share of maxmemory past which new alerts are refused. */
  watermark: number;
}

/**
 * Refuses new work (503 + Retry-After) while the backlog is above its limit or Redis memory is past
 * its watermark, instead of growing Redis until it refuses the writes of work already accepted.
 * The backlog is every alert waiting in the given queues (enrich and classify): counting enrich
 * alone let a slower classify stage pile up without bound behind a bounded enrich queue (measured:
 * 90,000 alerts waiting at classify with the limit at 20,000). The depth is read at most every
 * `ttlMs`, memory as often as the pipeline snapshot.
 */
export class Backpressure {
  private readonly queues: Queue[];
  private readonly max: number;
  private readonly memory: MemoryWatch | undefined;
  private readonly ttlMs: number;
  private depth = 0;
  private readAt = 0;
  private pending: Promise<number> | undefined;
  private mem: { at: number; value: Promise<RedisMemory | undefined> } | undefined;

  constructor(queues: Queue | Queue[], max: number, memory?: MemoryWatch, ttlMs = 500) {
    this.queues = Array.isArray(queues) ? queues : [queues];
    this.max = max;
    this.memory = memory;
    this.ttlMs = ttlMs;
  }

  /**
   * Redis memory, read at most every `ttlMs` (single flight). Undefined when it cannot be read: then
   * the write that follows meets the real answer (away: 503 REDIS_UNAVAILABLE, full: REDIS_FULL).
   */
  private memoryNow(): Promise<RedisMemory | undefined> {
    const now = Date.now();
    if (!this.memory) return Promise.resolve(undefined);
    if (!this.mem || now - this.mem.at >= this.ttlMs) {
      const value = withRedisTimeout(readRedisMemory(this.memory.redis), 2000, 'memory').catch(
        () => undefined,
      );
      this.mem = { at: now, value };
    }
    return this.mem.value;
  }

  async backlog(): Promise<number> {
    if (Date.now() - this.readAt < this.ttlMs) return this.depth;
    this.pending ??= withRedisTimeout(
      Promise.all(this.queues.map((q) => q.getJobCounts('waiting', 'prioritized', 'delayed'))),
      2000,
      'backlog',
    )
      .then((all) => all.reduce((a, c) => a + Object.values(c).reduce((x, y) => x + y, 0), 0))
      .finally(() => {
        this.pending = undefined;
      });
    this.depth = await this.pending;
    this.readAt = Date.now();
    return this.depth;
  }

  /**
   * Throws BACKPRESSURE when `incoming` more alerts would pass the limit. A backlog batch may fill
   * only 90% of it: the rest is kept for live alerts, so a paused or slow backlog sitting at the
   * limit never turns live alerts away.
   */
  async admit(incoming: number, lane: Lane = 'live'): Promise<void> {
    const m = this.memory && (await this.memoryNow());
    if (this.memory && m) {
      const p = memoryPressure(m, this.memory.watermark);
      if (p.high) {
        throw new AppError('REDIS_FULL', {
          message: `Redis memory is at ${Math.round(p.ratio * 100)}% of maxmemory (new alerts stop at ${Math.round(this.memory.watermark * 100)}%); retry later`,
          retryable: true,
        });
      }
    }
    const depth = await this.backlog();
    const limit = lane === 'backlog' ? Math.floor(this.max * BACKLOG_SHARE) : this.max;
    if (depth + incoming > limit) {
      throw new AppError('BACKPRESSURE', {
        message: `The backlog holds ${depth} alerts waiting for enrich or classify (limit ${limit} for the ${lane} lane); retry later`,
        retryable: true,
      });
    }
  }

  /**
   * Alerts just enqueued, counted in the depth until the next reading: a client sending batches
   * faster than the depth is read (a 5,000-line batch is in within half a second) must not pass
   * the limit on a reading taken before its last batch went in. Only what went in counts: a batch
   * of refused or re-sent lines takes nothing from other clients.
   */
  added(enqueued: number): void {
    this.depth += enqueued;
  }
}
