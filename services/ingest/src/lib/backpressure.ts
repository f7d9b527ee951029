import type { Lane } from '@triage/contracts';
import { AppError, withRedisTimeout } from '@triage/runtime';

/** Share of ENRICH_MAX_BACKLOG a backlog batch may fill; the rest is headroom for live alerts. */
export const BACKLOG_SHARE = 0.9;

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

  /**
   * Throws BACKPRESSURE when `incoming` more alerts would pass the limit. A backlog batch may fill
   * only 90% of it: the rest is kept for live alerts, so a paused or slow backlog sitting at the
   * limit never turns live alerts away.
   */
  async admit(incoming: number, lane: Lane = 'live'): Promise<void> {
    const depth = await this.backlog();
    const limit = lane === 'backlog' ? Math.floor(this.max * BACKLOG_SHARE) : this.max;
    if (depth + incoming > limit) {
      throw new AppError('BACKPRESSURE', {
        message: `The enrich backlog holds ${depth} alerts (limit ${limit} for the ${lane} lane); retry later`,
        retryable: true,
      });
    }
  }
}
