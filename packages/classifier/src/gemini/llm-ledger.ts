import { evalScript } from '@triage/runtime';
import type { Redis } from 'ioredis';

/**
 * The Gemini ledger, shared by every classify process through Redis: a sliding-window rate limit
 * (GEMINI_RATE_LIMIT), a per-UTC-day call quota (GEMINI_DAILY_QUOTA), a per-day spend counter
 * (GEMINI_DAILY_BUDGET_USD) and a pause set by a 429. All checks and the slot grant are one Lua
 * script on Redis's clock, so N processes never over-grant and their clocks do not matter.
 *
 * Keys (under `<prefix>:llm:`): `rate` (zset), `paused_until` (ms epoch), `calls:<day>`,
 * `spend:<day>` (USD float), `tokens:<day>` (hash input/output/thinking).
 */

const ACQUIRE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local pu = tonumber(redis.call('GET', KEYS[2]) or '0')
if pu > now then return {'paused', pu - now} end
local quota = tonumber(ARGV[3])
if quota > 0 and tonumber(redis.call('GET', KEYS[3]) or '0') >= quota then return {'quota', 0} end
local budget = tonumber(ARGV[4])
if budget >= 0 and tonumber(redis.call('GET', KEYS[4]) or '0') >= budget then return {'budget', 0} end
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {'rate', math.max(1, tonumber(oldest[2]) + window - now)}
end
redis.call('ZADD', KEYS[1], now, ARGV[5])
redis.call('PEXPIRE', KEYS[1], window)
redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], ARGV[6])
return {'ok', 0}
`;

/** Sets paused_until to now + ms unless a later pause is already in place. */
const PAUSE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur >= untilMs then return cur end
redis.call('SET', KEYS[1], untilMs, 'PX', ARGV[1])
return untilMs
`;

export type Denial = 'paused' | 'quota' | 'budget' | 'rate';
export type Grant = { ok: true } | { ok: false; reason: Denial; retryMs: number };

export interface LedgerOptions {
  redis: Redis;
  /** `keys(prefix).ns('llm')`. */
  ns: string;
  rate: { max: number; duration: number };
  dailyQuota: number;
  budgetUsd?: number;
}

export interface LedgerStatus {
  pausedUntil?: number;
  callsToday: number;
  spentTodayUsd: number;
}

export const utcDay = (ms = Date.now()) => new Date(ms).toISOString().slice(0, 10);
const DAY_TTL = 3 * 24 * 3600;

export class LlmLedger {
  private readonly redis: Redis;
  private readonly ns: string;
  private readonly opts: LedgerOptions;
  private seq = 0;

  constructor(opts: LedgerOptions) {
    this.redis = opts.redis;
    this.ns = opts.ns;
    this.opts = opts;
  }

  /** One attempt at a call slot: every limit is checked and the slot is taken atomically. */
  async tryAcquire(): Promise<Grant> {
    const day = utcDay();
    const member = `${process.pid}:${Date.now()}:${this.seq++}:${Math.random().toString(36).slice(2, 8)}`;
    const [reason, retry] = (await evalScript(
      this.redis,
      ACQUIRE_LUA,
      4,
      `${this.ns}:rate`,
      `${this.ns}:paused_until`,
      `${this.ns}:calls:${day}`,
      `${this.ns}:spend:${day}`,
      this.opts.rate.max,
      this.opts.rate.duration,
      this.opts.dailyQuota,
      this.opts.budgetUsd ?? -1,
      member,
      DAY_TTL,
    )) as [string, number];
    return reason === 'ok' ? { ok: true } : { ok: false, reason: reason as Denial, retryMs: Number(retry) };
  }

  /**
   * Waits for a rate-limit slot at most `maxWaitMs`; a pause, the quota or the budget is answered
   * at once (waiting would not help and would hold a worker slot).
   */
  async acquire(maxWaitMs: number): Promise<Grant> {
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      const g = await this.tryAcquire();
      if (g.ok || g.reason !== 'rate') return g;
      const left = deadline - Date.now();
      if (left <= 0) return g;
      await new Promise((r) => setTimeout(r, Math.min(g.retryMs + Math.random() * 20, left)));
    }
  }

  /** After a 429: every process stops calling until Retry-After has passed. */
  async pause(ms: number): Promise<number> {
    return Number(
      await evalScript(this.redis, PAUSE_LUA, 1, `${this.ns}:paused_until`, Math.max(1, Math.round(ms))),
    );
  }

  async recordUsage(
    costUsd: number,
    tokens: { input: number; output: number; thinking: number },
  ): Promise<void> {
    const day = utcDay();
    const pipe = this.redis.multi();
    pipe.incrbyfloat(`${this.ns}:spend:${day}`, costUsd);
    pipe.expire(`${this.ns}:spend:${day}`, DAY_TTL);
    pipe.hincrby(`${this.ns}:tokens:${day}`, 'input', tokens.input);
    pipe.hincrby(`${this.ns}:tokens:${day}`, 'output', tokens.output);
    pipe.hincrby(`${this.ns}:tokens:${day}`, 'thinking', tokens.thinking);
    pipe.expire(`${this.ns}:tokens:${day}`, DAY_TTL);
    await pipe.exec();
  }

  async status(): Promise<LedgerStatus> {
    const day = utcDay();
    const [paused, calls, spend] = await this.redis.mget(
      `${this.ns}:paused_until`,
      `${this.ns}:calls:${day}`,
      `${this.ns}:spend:${day}`,
    );
    const pu = Number(paused ?? 0);
    return {
      ...(pu > Date.now() ? { pausedUntil: pu } : {}),
      callsToday: Number(calls ?? 0),
      spentTodayUsd: Number(spend ?? 0),
    };
  }

  budgetExhausted(spent: number): boolean {
    return this.opts.budgetUsd !== undefined && spent >= this.opts.budgetUsd;
  }
}
