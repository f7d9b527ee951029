import type { Rejected } from '@triage/contracts';
import { AppError, keys, type Redis } from '@triage/runtime';

/** What a batch request was answered, minus the ids (read back from the batch listing). */
export interface StoredAnswer {
  batch_id: string;
  accepted: number;
  rejected: Rejected[];
  /** Items in the request, to tell a replay from another request reusing the key. */
  items: number;
}

/** While the first request with a key runs; a crash mid-request frees the key after this. */
const PENDING_SECONDS = 120;

/**
 * Idempotency keys of batch requests. `begin` claims the key (SET NX) or returns the stored answer;
 * `commit` stores the answer for `ttlSeconds` (as long as the batch itself is kept); `abort`
 * frees the key when nothing was accepted, so the retry is processed normally.
 */
export class IdempotentBatches {
  private readonly redis: Redis;
  private readonly key: (k: string) => string;
  private readonly ttl: number;

  constructor(redis: Redis, prefix: string, ttlSeconds: number) {
    this.redis = redis;
    this.key = keys(prefix).idempotency;
    this.ttl = ttlSeconds;
  }

  async begin(key: string, items: number): Promise<StoredAnswer | undefined> {
    const set = await this.redis.set(this.key(key), 'pending', 'EX', PENDING_SECONDS, 'NX');
    if (set === 'OK') return undefined;
    const cur = await this.redis.get(this.key(key));
    if (cur === null) return this.begin(key, items); // expired in between
    if (cur === 'pending') throw new AppError('IDEMPOTENCY_IN_PROGRESS', { retryable: true });
    const stored = JSON.parse(cur) as StoredAnswer;
    if (stored.items !== items) {
      throw new AppError('IDEMPOTENCY_MISMATCH', {
        message: `This Idempotency-Key was used for a batch of ${stored.items} items, not ${items}`,
      });
    }
    return stored;
  }

  async commit(key: string, answer: StoredAnswer): Promise<void> {
    await this.redis.set(this.key(key), JSON.stringify(answer), 'EX', this.ttl);
  }

  async abort(key: string): Promise<void> {
    await this.redis.del(this.key(key));
  }
}
