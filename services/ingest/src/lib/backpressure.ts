import { AppError, withRedisTimeout } from '@triage/runtime';
import type { Queue } from 'bullmq';

/**
 * Refuses new work (503 + Retry-After) while the enrich backlog is above its limit, instead of
 * growing Redis without bound. The depth is read at most every `ttlMs`, not per request.
 */
export class Backpressure {
  private readonly queue: Queue;
  private readonly max: number;
  private readonly ttlMs: number;
  private depth = 0;
  private readAt = 0;
  private pending: Promise<number> | undefined;

  constructor(queue: Queue, max: number, ttlMs = 500) {
    this.queue = queue;
    this.max = max;
    this.ttlMs = ttlMs;
  }

  async backlog(): Promise<number> {
    if (Date.now() - this.readAt < this.ttlMs) return this.depth;
    this.pending ??= withRedisTimeout(
      this.queue.getJobCounts('waiting', 'prioritized', 'delayed'),
      2000,
      'backlog',
    )
      .then((c) => Object.values(c).reduce((a, b) => a + b, 0))
      .finally(() => {
        this.pending = undefined;
      });
    this.depth = await this.pending;
    this.readAt = Date.now();
    return this.depth;
  }

  /** Throws BACKPRESSURE when `incoming` more alerts would pass the limit. */
  async admit(incoming: number): Promise<void> {
    const depth = await this.backlog();
    if (depth + incoming > this.max) {
      throw new AppError('BACKPRESSURE', {
        message: `The enrich backlog holds ${depth} alerts (limit ${this.max}); retry later`,
        retryable: true,
      });
    }
  }
}
