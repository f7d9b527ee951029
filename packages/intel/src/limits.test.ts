import type { ProviderResult } from '@triage/contracts';
import { loadConfig, RateLimit } from '@triage/runtime';
import { type RedisFixture, redisFixture, waitFor } from '@triage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntelCache } from './cache.ts';
import { intelKeys, utcDay } from './intel-keys.ts';
import { ProviderLimits } from './limits.ts';
import { LimitWaitError, ProviderQuotaExhaustedError } from './provider.ts';

let fx: RedisFixture;
beforeAll(async () => {
  fx = await redisFixture('intel-limits');
});
afterAll(() => fx.close());

const limits = (provider: 'abuseipdb' | 'virustotal', rate: string, dailyQuota: number) =>
  new ProviderLimits(fx.redis, fx.prefix, provider, {
    rate: RateLimit.parse(rate),
    dailyQuota,
    marginMs: 0,
    maxCallMs: 1000,
  });

const settle = async (fn: () => Promise<unknown>) => {
  try {
    await fn();
    return 'ok';
  } catch (e) {
    return e instanceof LimitWaitError
      ? 'wait'
      : e instanceof ProviderQuotaExhaustedError
        ? 'quota'
        : 'other';
  }
};

describe('ProviderLimits', () => {
  it('sliding window: at most max reservations per duration, then a wait that frees a slot', async () => {
    const l = limits('abuseipdb', '3/s', 0);
    const results = await Promise.all(Array.from({ length: 10 }, () => settle(l.gate)));
    expect(results.filter((r) => r === 'ok')).toHaveLength(3);
    const err = await l.gate().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LimitWaitError);
    expect((err as LimitWaitError).waitMs).toBeGreaterThan(0);
    expect((err as LimitWaitError).waitMs).toBeLessThanOrEqual(1000);
  });

  it('daily quota: atomic check-and-increment across concurrent callers, keyed per UTC day, expiring', async () => {
    const l = limits('virustotal', '1000/s', 7);
    const results = await Promise.all(Array.from({ length: 40 }, () => settle(l.gate)));
    expect(results.filter((r) => r === 'ok')).toHaveLength(7);
    expect(results.filter((r) => r === 'quota')).toHaveLength(33);
    expect(await l.quotaUsed()).toBe(7);
    const key = intelKeys(fx.prefix).quota('virustotal', utcDay());
    expect(key.endsWith(new Date().toISOString().slice(0, 10))).toBe(true);
    const ttl = await fx.redis.ttl(key);
    expect(ttl).toBeGreaterThan(47 * 3600);
    expect(ttl).toBeLessThanOrEqual(48 * 3600);
    expect(l.quotaExhausted(7)).toBe(true);
    expect(l.quotaStatus(7)).toMatchObject({ limit: 7, used: 7, left: 0 });
  });

  it('a call in flight keeps its slot until it completes, then for a full window', async () => {
    const l = new ProviderLimits(fx.redis, `${fx.prefix}-f`, 'virustotal', {
      rate: RateLimit.parse('2/s'),
      dailyQuota: 0,
      marginMs: 0,
      maxCallMs: 5000,
    });
    await l.gate(); // stays in flight: a slow provider answer
    const release = await l.gate();
    await release?.();
    await expect(l.gate()).rejects.toBeInstanceOf(LimitWaitError);
    // After the window, the released call has left it; the one in flight has not.
    await waitFor(async () => (await settle(l.gate)) === 'ok', { timeoutMs: 3000, intervalMs: 100 });
    await expect(l.gate()).rejects.toBeInstanceOf(LimitWaitError);
    await fx.redis.del(intelKeys(`${fx.prefix}-f`).window('virustotal'), l.quotaKey());
  });

  it('a call that must wait does not burn quota', async () => {
    const l = new ProviderLimits(fx.redis, `${fx.prefix}-w`, 'abuseipdb', {
      rate: RateLimit.parse('1/h'),
      dailyQuota: 100,
      marginMs: 0,
      maxCallMs: 1000,
    });
    await l.gate();
    await expect(l.gate()).rejects.toBeInstanceOf(LimitWaitError);
    expect(await l.quotaUsed()).toBe(1);
    await fx.redis.del(intelKeys(`${fx.prefix}-w`).window('abuseipdb'), l.quotaKey());
  });

  it('a 429 pause only moves forward', async () => {
    const l = limits('abuseipdb', '1/s', 0);
    const now = Date.now();
    const first = await l.throttle(60_000, now);
    expect(await l.throttle(1000, now)).toBe(first);
    expect(await l.throttledUntil(now)).toBe(first);
    expect(await l.throttle(120_000, now)).toBe(now + 120_000);
  });
});

describe('IntelCache', () => {
  const result = (over: Partial<ProviderResult> = {}): ProviderResult => ({
    provider: 'virustotal',
    verdict: 'malicious',
    checked_at: new Date().toISOString(),
    ...over,
  });

  it('stores answers with the TTL of their type and the negative TTL for not-found / unknown', async () => {
    const config = loadConfig(
      {},
      { INTEL_TTL_IP_SECONDS: 100, INTEL_TTL_HASH_SECONDS: 300, INTEL_NEGATIVE_TTL_SECONDS: 7 },
    );
    const cache = new IntelCache(fx.redis, fx.prefix, config);
    const ip = { provider: 'virustotal' as const, type: 'ipv4' as const, value: '45.3.3.3' };
    const hash = { provider: 'virustotal' as const, type: 'md5' as const, value: `${'a'.repeat(31)}b` };
    const missing = {
      provider: 'virustotal' as const,
      type: 'domain' as const,
      value: 'nothing.example.com',
    };
    const url = {
      provider: 'virustotal' as const,
      type: 'url' as const,
      value: `https://x.example.com/${'p'.repeat(5000)}`,
    };
    await cache.set(ip, result());
    await cache.set(hash, result());
    await cache.set(missing, result({ verdict: 'unknown', not_found: true }));
    await cache.set(url, result());
    expect(await fx.redis.ttl(cache.key(ip))).toBe(100);
    expect(await fx.redis.ttl(cache.key(hash))).toBe(300);
    expect(await fx.redis.ttl(cache.key(missing))).toBe(7);
    expect(cache.key(url).length).toBeLessThan(200);
    const got = await cache.getMany([ip, missing, { ...ip, value: '45.3.3.4' }, url]);
    expect(got.map((r) => r?.verdict)).toEqual(['malicious', 'unknown', undefined, 'malicious']);
    expect(await cache.size('virustotal')).toBe(4);
    await fx.redis.set(cache.key(ip), '{not json');
    expect(await cache.get(ip)).toBeUndefined();
  });
});
