import type { MissingIntel, ProviderName } from '@triage/contracts';
import type { Redis } from '@triage/runtime';
import { evalScript } from '@triage/runtime';
import type { z } from 'zod';
import type { CacheRef } from './cache.ts';
import { type IntelKeys, intelKeys } from './intel-keys.ts';

export type MissingReason = z.infer<typeof MissingIntel>['reason'];

/** A lookup that ended without an answer, as seen by the alerts that waited for it. */
export interface FailedLookup {
  reason: MissingReason;
  /** Epoch ms. Alerts that started waiting after this try again: errors are never cached. */
  at: number;
}

/** Atomically takes (and clears) a lookup's waiters, so each waiter is woken once. */
const TAKE_LUA = `
local ids = redis.call('SMEMBERS', KEYS[1])
if #ids > 0 then redis.call('DEL', KEYS[1]) end
return ids
`;

/**
 * Per-lookup coordination state that is not an answer: who waits for it, whether it failed, and
 * each provider's last-call health. Separate from the cache so "errors are never cached" holds by
 * construction.
 */
export class LookupState {
  private readonly redis: Redis;
  readonly keys: IntelKeys;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.keys = intelKeys(prefix);
  }

  /**
   * Registers `waiterId` on several lookups (the sets expire with the wait): the commands, sent at
   * once, for the caller to await with its others.
   */
  addWaiters(refs: readonly CacheRef[], waiterId: string, ttlSeconds: number): Array<Promise<unknown>> {
    return refs.flatMap((r) => {
      const key = this.keys.waiters(r.provider, r.type, r.value);
      return [this.redis.sadd(key, waiterId), this.redis.expire(key, ttlSeconds)];
    });
  }

  /** Records that these values are no longer lookups ahead (PendingLookups): the commands, sent at once. */
  notAhead(refs: readonly CacheRef[]): Array<Promise<unknown>> {
    return refs.map((r) => this.redis.srem(this.keys.ahead(r.provider), this.keys.obsId(r.type, r.value)));
  }

  /** Removes and returns the waiters of a finished lookup. */
  async takeWaiters(ref: CacheRef): Promise<string[]> {
    return (await evalScript(
      this.redis,
      TAKE_LUA,
      1,
      this.keys.waiters(ref.provider, ref.type, ref.value),
    )) as string[];
  }

  async markFailed(
    ref: CacheRef,
    reason: MissingReason,
    ttlSeconds: number,
    now = Date.now(),
  ): Promise<void> {
    const value: FailedLookup = { reason, at: now };
    // A lookup given up for good is no longer ahead (PendingLookups); a later alert may try again.
    await this.redis
      .multi()
      .set(this.keys.failed(ref.provider, ref.type, ref.value), JSON.stringify(value), 'EX', ttlSeconds)
      .srem(this.keys.ahead(ref.provider), this.keys.obsId(ref.type, ref.value))
      .exec();
  }

  static decodeFailed(raw: string | null | undefined): FailedLookup | undefined {
    if (!raw) return undefined;
    try {
      const v = JSON.parse(raw) as FailedLookup;
      return typeof v.at === 'number' && typeof v.reason === 'string' ? v : undefined;
    } catch {
      return undefined;
    }
  }

  /** Records the outcome of a real call for /health ("reachable" = the last call got an answer). */
  async recordCall(provider: ProviderName, ok: boolean, error?: string, now = Date.now()): Promise<void> {
    const key = this.keys.health(provider);
    if (ok) await this.redis.hset(key, 'last_ok_at', String(now));
    else
      await this.redis.hset(
        key,
        'last_error_at',
        String(now),
        'last_error',
        (error ?? 'error').slice(0, 200),
      );
  }
}
