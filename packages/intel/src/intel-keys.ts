import { createHash } from 'node:crypto';
import type { ObservableType, ProviderName } from '@triage/contracts';
import { keys } from '@triage/runtime';

/**
 * Every Redis key the intel package writes, under `${QUEUE_PREFIX}:intel` (keys(prefix).ns), so
 * a test file or a second stack on the same Redis never collides. With a hash-tagged prefix
 * (`{triage}`) they share one Cluster slot, which keeps MGET and the Lua scripts legal.
 */
export function intelKeys(prefix: string) {
  const ns = keys(prefix).ns('intel');
  // URLs can be kilobytes long and carry anything: key them by digest; other values are short and readable.
  const id = (type: ObservableType, value: string) =>
    type === 'url' || value.length > 256 ? `h-${createHash('sha256').update(value).digest('hex')}` : value;
  const obsId = (type: ObservableType, value: string) => `${type}:${id(type, value)}`;
  const obs = (area: string) => (provider: ProviderName, type: ObservableType, value: string) =>
    `${ns}:${area}:${provider}:${obsId(type, value)}`;
  return {
    /** One observable, as keys and sets name it: `<type>:<value or digest>`. */
    obsId,
    /** Prefix of a provider's cache keys: `cachePrefix(p) + obsId(t, v) === cache(p, t, v)`. */
    cachePrefix: (provider: ProviderName) => `${ns}:cache:${provider}:`,
    /** A provider's answer: JSON ProviderResult, TTL per type (negative TTL for not found / unknown). */
    cache: obs('cache'),
    /** ZSET cache key → expiry (ms), so /health can count live entries without SCAN. */
    cacheIndex: (provider: ProviderName) => `${ns}:cache-index:${provider}`,
    /** A lookup that ended without an answer (error after retries): `{reason, at}`, short TTL. Not a cached answer. */
    failed: obs('failed'),
    /** SET of waiter ids (enrich jobs) to wake when the lookup finishes. */
    waiters: obs('waiters'),
    /** Epoch ms of an alert's first gather, when the caller does not keep it. */
    first: (waiterId: string) => `${ns}:first:${waiterId}`,
    /** SET of "provider|type|value" one alert had to look up (its cache misses). */
    pending: (waiterId: string) => `${ns}:pending:${waiterId}`,
    /** SET of obsIds queued alerts still need from a provider and not cached (PendingLookups). */
    ahead: (provider: ProviderName) => `${ns}:ahead:${provider}`,
    /** ZSET of call reservations in the current rate window. */
    window: (provider: ProviderName) => `${ns}:window:${provider}`,
    /** Calls made on one UTC day (YYYY-MM-DD). */
    quota: (provider: ProviderName, day: string) => `${ns}:quota:${provider}:${day}`,
    /** Epoch ms until which the provider asked us (429) to stay away. */
    throttle: (provider: ProviderName) => `${ns}:throttle:${provider}`,
    /** HASH last_ok_at / last_error_at / last_error for /health. */
    health: (provider: ProviderName) => `${ns}:health:${provider}`,
  };
}
export type IntelKeys = ReturnType<typeof intelKeys>;

/** The UTC day a quota counter belongs to. */
export function utcDay(now = Date.now()): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** Next 00:00 UTC, when daily quotas reset. */
export function nextUtcMidnight(now = Date.now()): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}
