import { readFileSync } from 'node:fs';
import { loadConfig } from '@triage/runtime';
import { AbuseIpdbFake } from '@triage/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ProviderAuthError,
  type ProviderError,
  ProviderRateLimitedError,
  ProviderRejectedError,
  ProviderUnavailableError,
} from '../provider.ts';
import { AbuseIpdbProvider, abuseIpdbOptions } from './abuseipdb.provider.ts';
import { retryAfterMs } from './http-client.ts';

const fake = new AbuseIpdbFake({
  scores: { '45.1.1.1': 90, '45.1.1.2': 30, '45.1.1.3': 10, '45.1.1.4': 0, '45.1.1.5': 100 },
  tor: ['45.1.1.1'],
  whitelisted: ['45.1.1.5'],
});
let provider: AbuseIpdbProvider;
let gateCalls = 0;

const make = (overrides: Record<string, string> = {}) => {
  const config = loadConfig({
    ABUSEIPDB_API_KEY: fake.apiKey,
    ABUSEIPDB_BASE_URL: fake.url,
    INTEL_TIMEOUT_MS: '200',
    INTEL_QUICK_RETRY_DELAY_MS: '10',
    ...overrides,
  });
  return new AbuseIpdbProvider(
    abuseIpdbOptions(config, async () => {
      gateCalls++;
    })!,
  );
};
const ip = (value: string) => ({ type: 'ipv4' as const, value });

beforeAll(async () => {
  await fake.start();
  provider = make();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.resetStats();
  fake.setMode({ kind: 'ok' });
  gateCalls = 0;
});

describe('AbuseIpdbProvider', () => {
  it('calls /api/v2/check with Key + Accept and normalizes the answer', async () => {
    const r = await provider.lookup(ip('45.1.1.1'));
    expect(r).toMatchObject({
      provider: 'abuseipdb',
      verdict: 'malicious',
      abuseipdb: {
        abuse_score: 90,
        is_tor: true,
        country: 'NL',
        usage_type: 'Data Center/Web Hosting/Transit',
        is_whitelisted: false,
      },
    });
    expect(r.abuseipdb?.total_reports).toBeGreaterThan(0);
    expect(fake.stats()).toMatchObject({ requests: 1, byPath: { '/api/v2/check': 1 }, seen: ['45.1.1.1'] });
    expect(gateCalls).toBe(1);
  });

  it('applies the configured thresholds; whitelisted is harmless; never reported is not_found', async () => {
    expect((await provider.lookup(ip('45.1.1.2'))).verdict).toBe('suspicious');
    expect((await provider.lookup(ip('45.1.1.3'))).verdict).toBe('unknown');
    expect(await provider.lookup(ip('45.1.1.4'))).toMatchObject({ verdict: 'unknown', not_found: true });
    expect((await provider.lookup(ip('45.1.1.5'))).verdict).toBe('harmless');
    const strict = make({ ABUSEIPDB_MALICIOUS_SCORE: '95', ABUSEIPDB_SUSPICIOUS_SCORE: '50' });
    expect((await strict.lookup(ip('45.1.1.1'))).verdict).toBe('suspicious');
  });

  it('normalizes the real documented response body', () => {
    const body = JSON.parse(
      readFileSync(
        new URL(
          '../../../../test/fixtures/intel/abuseipdb_v2/abuseipdb_check_response_body.json',
          import.meta.url,
        ),
        'utf8',
      ),
    );
    expect(provider.normalize(body.data, new Date(0))).toEqual({
      provider: 'abuseipdb',
      verdict: 'malicious',
      checked_at: '1970-01-01T00:00:00.000Z',
      abuseipdb: {
        abuse_score: 100,
        is_tor: false,
        total_reports: 47,
        distinct_users: 22,
        usage_type: 'Data Center/Web Hosting/Transit',
        isp: 'Tencent Cloud Computing (Beijing) Co. Ltd',
        domain: 'tencent.com',
        country: 'CN',
        is_whitelisted: false,
        last_reported_at: '2026-05-29T18:33:12+00:00',
      },
    });
  });

  it('a wrong key is an auth error, not retried', async () => {
    const bad = make({ ABUSEIPDB_API_KEY: 'wrong' });
    const err = await bad.lookup(ip('45.1.1.1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderAuthError);
    expect((err as ProviderError).retryable).toBe(false);
    expect(fake.stats().byStatus).toEqual({ 401: 1 });
  });

  it('429 is not retried and carries Retry-After', async () => {
    fake.queueModes({ kind: 'rate_limited', retryAfterSeconds: 7 });
    const err = await provider.lookup(ip('45.1.1.1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderRateLimitedError);
    expect((err as ProviderRateLimitedError).retryAfterMs).toBe(7000);
    expect(fake.stats().requests).toBe(1);
  });

  it('one quick retry on 503, and each attempt passes the gate', async () => {
    fake.queueModes({ kind: 'error', status: 503 });
    expect((await provider.lookup(ip('45.1.1.1'))).verdict).toBe('malicious');
    expect(fake.stats().byStatus).toEqual({ 200: 1, 503: 1 });
    expect(gateCalls).toBe(2);
  });

  it('at most one retry: 502 twice is unavailable; 500 is not retried in place', async () => {
    fake.queueModes({ kind: 'error', status: 502 }, { kind: 'error', status: 502 });
    await expect(provider.lookup(ip('45.1.1.1'))).rejects.toBeInstanceOf(ProviderUnavailableError);
    expect(fake.stats().requests).toBe(2);
    fake.resetStats();
    fake.queueModes({ kind: 'error', status: 500 });
    await expect(provider.lookup(ip('45.1.1.1'))).rejects.toBeInstanceOf(ProviderUnavailableError);
    expect(fake.stats().requests).toBe(1);
  });

  it('times out every attempt (INTEL_TIMEOUT_MS), retries once, then gives up', async () => {
    fake.setMode({ kind: 'slow', delayMs: 1500 });
    const t = Date.now();
    const err = await provider.lookup(ip('45.1.1.1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderUnavailableError);
    expect((err as ProviderError).retryable).toBe(true);
    expect(Date.now() - t).toBeLessThan(1200);
    expect(fake.stats().requests).toBe(2);
  });

  it('an invalid IP is rejected (422), not retried', async () => {
    await expect(provider.lookup(ip('999.1.1.1'))).rejects.toBeInstanceOf(ProviderRejectedError);
    expect(fake.stats().requests).toBe(1);
  });

  it('reads Retry-After as seconds or an HTTP date, else X-RateLimit-Reset', () => {
    const now = Date.parse('2024-02-27T10:00:00Z');
    expect(retryAfterMs({ 'retry-after': '30' }, 5000, now)).toBe(30_000);
    expect(retryAfterMs({ 'retry-after': 'Tue, 27 Feb 2024 10:02:00 GMT' }, 5000, now)).toBe(120_000);
    expect(retryAfterMs({ 'x-ratelimit-reset': String(now / 1000 + 3600) }, 5000, now)).toBe(3_600_000);
    expect(retryAfterMs({}, 5000, now)).toBe(5000);
    expect(retryAfterMs({ 'retry-after': '0' }, 5000, now)).toBe(1000);
  });
});
