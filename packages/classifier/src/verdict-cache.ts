import { createHash, randomUUID } from 'node:crypto';
import { type Enrichment, type NormalizedAlert, TriageResult } from '@triage/contracts';
import { evalScript } from '@triage/runtime';
import type { Redis } from 'ioredis';

/**
 * Verdict cache with single-flight across processes (README "How it works": N identical alerts arriving
 * at the same instant cause one LLM call).
 *
 * Keys (under `<prefix>:verdict:`): `<fingerprint>:<signals digest>:<intel digest>` the cached verdict (TTL
 * VERDICT_CACHE_TTL_SECONDS), `…:lock` the flight lock (`SET NX PX`, released by its owner only),
 * `…:flight` a short-lived fallback result so that waiters of a failed flight do not stampede the
 * LLM one after another.
 */

const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** sha256 over sorted `value → provider → verdict`: the intel state a verdict was made under. */
export function intelDigest(enrichment: Enrichment): string {
  const lines: string[] = [];
  for (const [value, entry] of Object.entries(enrichment.intel)) {
    for (const [provider, r] of Object.entries(entry.providers))
      lines.push(`${value}\u0000${provider}\u0000${r.verdict}`);
  }
  lines.sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 32);
}

/** JSON with keys sorted at every level (bounded depth), so key order never splits the cache. */
function canonical(v: unknown, depth = 0): string {
  if (depth > 12 || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map((x) => canonical(x, depth + 1)).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k], depth + 1)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * sha256 over the alert's signals with their provenance: what the rules read. Two alerts the
 * fingerprint calls alike (same rule, entities, observables) but that differ in a signal (a
 * command line's tail, a log line, a level, a value's provenance) get verdicts of their own.
 */
export function signalsDigest(signals: NormalizedAlert['signals']): string {
  return createHash('sha256')
    .update(canonical(signals ?? null))
    .digest('hex')
    .slice(0, 32);
}

export interface VerdictCacheOptions {
  redis: Redis;
  /** `keys(prefix).ns('verdict')`. */
  ns: string;
  ttlSeconds: number;
  /** How long a flight may hold the lock (covers an LLM call and its retry). */
  lockTtlMs: number;
  /** How long a failed flight's fallback answers waiters. */
  flightTtlMs: number;
  /** Poll interval of waiters. */
  pollMs?: number;
}

export type FlightSource = 'self' | 'cache' | 'flight';

export class VerdictCache {
  private readonly redis: Redis;
  private readonly opts: VerdictCacheOptions;

  constructor(opts: VerdictCacheOptions) {
    this.redis = opts.redis;
    this.opts = opts;
  }

  keyFor(alert: Pick<NormalizedAlert, 'fingerprint' | 'signals'>, enrichment: Enrichment): string {
    const { fingerprint } = alert;
    const fp = /^[A-Za-z0-9_.-]{1,128}$/.test(fingerprint)
      ? fingerprint
      : createHash('sha256').update(fingerprint).digest('hex');
    return `${this.opts.ns}:${fp}:${signalsDigest(alert.signals)}:${intelDigest(enrichment)}`;
  }

  async get(key: string): Promise<TriageResult | undefined> {
    return this.read(key);
  }

  /**
   * Returns the cached verdict, or runs `compute` once across all processes: the lock holder
   * computes, everyone else polls for its result. A holder that dies loses the lock when it
   * expires and the next waiter takes over. `compute` says whether its result may be cached.
   */
  async singleFlight(
    key: string,
    compute: () => Promise<{ result: TriageResult; cacheable: boolean }>,
  ): Promise<{ result: TriageResult; source: FlightSource }> {
    const lockKey = `${key}:lock`;
    const flightKey = `${key}:flight`;
    const token = randomUUID();
    const deadline = Date.now() + this.opts.lockTtlMs * 2;
    const poll = this.opts.pollMs ?? 50;
    for (;;) {
      const cached = await this.read(key);
      if (cached) return { result: cached, source: 'cache' };
      const flight = await this.read(flightKey);
      if (flight) return { result: flight, source: 'flight' };
      const locked = (await this.redis.set(lockKey, token, 'PX', this.opts.lockTtlMs, 'NX')) === 'OK';
      if (locked || Date.now() > deadline) {
        try {
          // The previous holder may have finished between our read and our lock.
          const again = await this.read(key);
          if (again) return { result: again, source: 'cache' };
          const landed = await this.read(flightKey);
          if (landed) return { result: landed, source: 'flight' };
          const { result, cacheable } = await compute();
          const body = JSON.stringify(result);
          if (cacheable) await this.redis.set(key, body, 'EX', this.opts.ttlSeconds);
          else await this.redis.set(flightKey, body, 'PX', this.opts.flightTtlMs);
          return { result, source: 'self' };
        } finally {
          if (locked) await evalScript(this.redis, RELEASE_LUA, 1, lockKey, token).catch(() => undefined);
        }
      }
      await new Promise((r) => setTimeout(r, poll + Math.random() * poll));
    }
  }

  private async read(key: string): Promise<TriageResult | undefined> {
    const raw = await this.redis.get(key);
    if (!raw) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return undefined;
    }
    const parsed = TriageResult.safeParse(json);
    // A verdict written by an older, incompatible version is a miss, not an error.
    return parsed.success ? parsed.data : undefined;
  }
}
