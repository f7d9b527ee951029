import type { ProviderName } from '@triage/contracts';
import type { Redis } from '@triage/runtime';
import type { IntelCache } from './cache.ts';
import type { ProviderLimits } from './limits.ts';
import type { LookupState } from './lookup-state.ts';
import type { OfflineProvider } from './providers/offline.provider.ts';

/** One provider's line in GET /health. */
export interface ProviderStatus {
  provider: ProviderName;
  /** API key set (offline: OFFLINE_INTEL on). */
  configured: boolean;
  /** The last real call got an answer (a 429 counts: the provider is up); null before any call. */
  reachable: boolean | null;
  last_ok_at: string | null;
  last_error_at: string | null;
  last_error: string | null;
  /** ISO time until which a 429 paused the provider, or null. */
  throttled_until: string | null;
  /** `<PROVIDER>_RATE_LIMIT` as configured, e.g. `4/min`. */
  rate_limit: string | null;
  /** Today's ledger (UTC); `limit`/`left` are null when there is no daily cap. */
  quota: { limit: number | null; used: number; left: number | null; resets_at: string } | null;
  /** Live cache entries for this provider. */
  cache_size: number;
  /** Offline only: date of the bundled snapshots and list sizes. */
  snapshot?: string;
  lists?: Record<string, number>;
}

export interface StatusSources {
  redis: Redis;
  state: LookupState;
  cache: IntelCache;
  offline: OfflineProvider | undefined;
  externals: Array<{ name: ProviderName; configured: boolean; limits: ProviderLimits }>;
}

const iso = (ms: string | undefined) => (ms ? new Date(Number(ms)).toISOString() : null);

/** Everything /health shows about intel, in one pipeline (no SCAN, no provider call). */
export async function readStatus(src: StatusSources, now = Date.now()): Promise<ProviderStatus[]> {
  const pipe = src.redis.pipeline();
  for (const e of src.externals) {
    pipe.hgetall(src.state.keys.health(e.name));
    pipe.get(e.limits.throttleKey());
    pipe.get(e.limits.quotaKey(now));
    pipe.zcount(src.state.keys.cacheIndex(e.name), now, '+inf');
  }
  const replies = ((await pipe.exec()) ?? []).map(([err, v]) => (err ? undefined : v));
  const out: ProviderStatus[] = [];
  if (src.offline) {
    out.push({
      provider: 'offline',
      configured: true,
      reachable: true,
      last_ok_at: null,
      last_error_at: null,
      last_error: null,
      throttled_until: null,
      rate_limit: null,
      quota: null,
      cache_size: 0,
      snapshot: src.offline.snapshotDate,
      lists: src.offline.counts,
    });
  }
  src.externals.forEach((e, i) => {
    const health = (replies[i * 4] ?? {}) as Record<string, string>;
    const throttled = Number(replies[i * 4 + 1] ?? 0);
    const used = Number(replies[i * 4 + 2] ?? 0);
    const okAt = Number(health.last_ok_at ?? 0);
    const errAt = Number(health.last_error_at ?? 0);
    out.push({
      provider: e.name,
      configured: e.configured,
      reachable: okAt || errAt ? okAt >= errAt : null,
      last_ok_at: iso(health.last_ok_at),
      last_error_at: iso(health.last_error_at),
      last_error: health.last_error ?? null,
      throttled_until: throttled > now ? new Date(throttled).toISOString() : null,
      rate_limit: e.limits.opts.rate.text,
      quota: e.limits.quotaStatus(used, now),
      cache_size: Number(replies[i * 4 + 3] ?? 0),
    });
  });
  return out;
}
