import { randomUUID } from 'node:crypto';
import type { ProviderName } from '@triage/contracts';
import type { RateLimit, Redis } from '@triage/runtime';
import { evalScript } from '@triage/runtime';
import { type IntelKeys, intelKeys, nextUtcMidnight, utcDay } from './intel-keys.ts';
import { type CallGate, LimitWaitError, ProviderQuotaExhaustedError } from './provider.ts';

export interface ProviderLimitsOptions {
  /** `<PROVIDER>_RATE_LIMIT`, e.g. `{ max: 4, duration: 60_000 }`. */
  rate: RateLimit;
  /** `<PROVIDER>_DAILY_QUOTA`; 0 = no daily cap. */
  dailyQuota: number;
  /** INTEL_RATE_MARGIN_MS: added to the rate window when reserving a call. */
  marginMs: number;
  /**
   * Longest a call can stay in flight (INTEL_TIMEOUT_MS plus slack): an unreleased reservation
   * (process killed mid-call) frees its slot after this.
   */
  maxCallMs: number;
}

/** Quota counters outlive their day by a day, so /health and an operator can still read yesterday's. */
const QUOTA_TTL_SECONDS = 48 * 3600;

/**
 * Reserves one real provider call, atomically for every process:
 * 1. sliding rate window (ZSET of calls): full → `{1, ms until a slot may free}`;
 * 2. daily quota ledger (counter per UTC day): spent → `{2, used}`;
 * 3. otherwise records the call in both → `{0, used}`.
 * The window is checked first so a call that must wait never burns quota. A call in flight is
 * scored in the future (now + ARGV[6]) so it keeps its slot until `RELEASE_LUA` re-scores it with
 * its completion time: the provider saw the request somewhere between reservation and
 * completion, so counting from completion can never under-count, however slow the network was
 * (a cold first connection took ~350 ms in tests, more than any fixed margin we would pick).
 * Redis TIME is the clock, so hosts with skewed clocks still agree.
 */
const RESERVE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local max = tonumber(ARGV[1])
local win = tonumber(ARGV[2])
local inflight = tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win)
if redis.call('ZCARD', KEYS[1]) >= max then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local wait = tonumber(oldest[2]) + win - now
  if wait > win then wait = win end
  if wait < 1 then wait = 1 end
  return {1, wait}
end
local quota = tonumber(ARGV[3])
if quota > 0 then
  local used = tonumber(redis.call('GET', KEYS[2]) or '0')
  if used >= quota then return {2, used} end
end
local used = redis.call('INCR', KEYS[2])
if used == 1 then redis.call('EXPIRE', KEYS[2], ARGV[4]) end
redis.call('ZADD', KEYS[1], now + inflight, ARGV[5])
if redis.call('PEXPIRE', KEYS[1], win + inflight, 'GT') == 0 and redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], win + inflight)
end
return {0, used}
`;

/** A finished call keeps its slot for a full window from the moment it completed. */
const RELEASE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
return 1
`;

/** Moves `throttled_until` forward only: two 429s never shorten each other's pause. */
const THROTTLE_LUA = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local untilMs = tonumber(ARGV[1])
if untilMs > cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return untilMs
end
return cur
`;

/**
 * The distributed limits of one provider, shared by every process through Redis:
 * - the RATE is primarily BullMQ's global worker limiter on the provider's lookup queue
 *   (`workerLimiter()`); BullMQ counts fixed windows, which can put two bursts back to back, so
 *   each real call also reserves a slot in a sliding window (`gate`) — the provider never sees more
 *   than `max` calls in any `duration` (+ margin);
 * - the DAILY QUOTA ledger, checked and incremented in the same atomic script;
 * - the 429 PAUSE: `throttled_until`, read by gather (to skip) and by /health.
 */
export class ProviderLimits {
  readonly provider: ProviderName;
  readonly opts: ProviderLimitsOptions;
  private readonly redis: Redis;
  private readonly keys: IntelKeys;

  constructor(redis: Redis, prefix: string, provider: ProviderName, opts: ProviderLimitsOptions) {
    this.redis = redis;
    this.keys = intelKeys(prefix);
    this.provider = provider;
    this.opts = opts;
  }

  /**
   * BullMQ `limiter` for the provider's lookup Worker (global across all workers of the queue).
   * Same window as the gate (duration + margin), so the two rarely disagree and jobs seldom
   * bounce back to `wait`.
   */
  workerLimiter(): { max: number; duration: number } {
    return { max: this.opts.rate.max, duration: this.opts.rate.duration + this.opts.marginMs };
  }

  quotaKey(now = Date.now()): string {
    return this.keys.quota(this.provider, utcDay(now));
  }

  throttleKey(): string {
    return this.keys.throttle(this.provider);
  }

  /** Whether `used` calls today leave nothing for another one. */
  quotaExhausted(used: number): boolean {
    return this.opts.dailyQuota > 0 && used >= this.opts.dailyQuota;
  }

  /**
   * Reserve before each real HTTP attempt; throws LimitWaitError or ProviderQuotaExhaustedError.
   * The returned release must be called when the attempt ends (answer or error).
   */
  readonly gate: CallGate = async () => {
    const windowKey = this.keys.window(this.provider);
    const member = randomUUID();
    const [status, n] = (await evalScript(
      this.redis,
      RESERVE_LUA,
      2,
      windowKey,
      this.quotaKey(),
      this.opts.rate.max,
      this.opts.rate.duration + this.opts.marginMs,
      this.opts.dailyQuota,
      QUOTA_TTL_SECONDS,
      member,
      this.opts.maxCallMs,
    )) as [number, number];
    if (status === 1) throw new LimitWaitError(n);
    if (status === 2) throw new ProviderQuotaExhaustedError(this.provider);
    return async () => {
      await evalScript(this.redis, RELEASE_LUA, 1, windowKey, member);
    };
  };

  async quotaUsed(now = Date.now()): Promise<number> {
    return Number((await this.redis.get(this.quotaKey(now))) ?? 0);
  }

  /** Epoch ms until which the provider is paused (0 when it is not). */
  async throttledUntil(now = Date.now()): Promise<number> {
    const v = Number((await this.redis.get(this.throttleKey())) ?? 0);
    return v > now ? v : 0;
  }

  /** Records a 429 pause; returns the (possibly later, from another process) pause end. */
  async throttle(forMs: number, now = Date.now()): Promise<number> {
    const until = now + forMs;
    return Number(await evalScript(this.redis, THROTTLE_LUA, 1, this.throttleKey(), until, forMs));
  }

  /** Quota numbers for /health. */
  quotaStatus(used: number, now = Date.now()) {
    const limit = this.opts.dailyQuota > 0 ? this.opts.dailyQuota : null;
    return {
      limit,
      used,
      left: limit === null ? null : Math.max(0, limit - used),
      resets_at: new Date(nextUtcMidnight(now)).toISOString(),
    };
  }
}
