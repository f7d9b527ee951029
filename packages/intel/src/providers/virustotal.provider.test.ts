import { readFileSync } from 'node:fs';
import { loadConfig } from '@triage/runtime';
import { VirusTotalFake } from '@triage/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProviderAuthError, ProviderRateLimitedError, ProviderUnavailableError } from '../provider.ts';
import { VirusTotalProvider, virusTotalOptions, virusTotalUrlId } from './virustotal.provider.ts';

const SHA256 = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';
const URL_VALUE = 'http://evil.example.com/payload?x=1&y=ü';

const fake = new VirusTotalFake({
  detections: {
    '45.2.2.1': { malicious: 5, suspicious: 0 },
    'bad.example.com': { malicious: 0, suspicious: 1 },
    [SHA256]: { malicious: 40, suspicious: 2, harmless: 0, undetected: 20 },
    [URL_VALUE]: { malicious: 3, suspicious: 0 },
    'clean.example.com': { malicious: 0, suspicious: 0, harmless: 70 },
  },
  notFound: ['unseen.example.com'],
});
let provider: VirusTotalProvider;

const make = (overrides: Record<string, string> = {}) =>
  new VirusTotalProvider(
    virusTotalOptions(
      loadConfig({
        VIRUSTOTAL_API_KEY: fake.apiKey,
        VIRUSTOTAL_BASE_URL: fake.url,
        INTEL_TIMEOUT_MS: '200',
        INTEL_QUICK_RETRY_DELAY_MS: '10',
        ...overrides,
      }),
    )!,
  );

beforeAll(async () => {
  await fake.start();
  provider = make();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.resetStats();
  fake.setMode({ kind: 'ok' });
});

describe('VirusTotalProvider', () => {
  it('looks up IPs, domains, files and URLs on their v3 endpoints with x-apikey', async () => {
    expect(await provider.lookup({ type: 'ipv4', value: '45.2.2.1' })).toMatchObject({
      verdict: 'malicious',
      virustotal: {
        malicious: 5,
        suspicious: 0,
        harmless: 60,
        undetected: 10,
        owner: 'FAKE-AS',
        country: 'NL',
      },
    });
    expect(await provider.lookup({ type: 'domain', value: 'bad.example.com' })).toMatchObject({
      verdict: 'suspicious',
      virustotal: { registrar: 'Fake Registrar LLC' },
    });
    expect(await provider.lookup({ type: 'sha256', value: SHA256 })).toMatchObject({
      verdict: 'malicious',
      virustotal: { malicious: 40, meaningful_name: 'payload.exe' },
    });
    expect((await provider.lookup({ type: 'url', value: URL_VALUE })).verdict).toBe('malicious');
    expect((await provider.lookup({ type: 'domain', value: 'clean.example.com' })).verdict).toBe('harmless');
    const s = fake.stats();
    expect(s.byPath).toEqual({
      '/api/v3/ip_addresses/45.2.2.1': 1,
      '/api/v3/domains/bad.example.com': 1,
      [`/api/v3/files/${SHA256}`]: 1,
      [`/api/v3/urls/${virusTotalUrlId(URL_VALUE)}`]: 1,
      '/api/v3/domains/clean.example.com': 1,
    });
    expect(s.seen).toContain(URL_VALUE);
    expect(fake.submissions).toBe(0);
  });

  it('builds the URL id as unpadded URL-safe base64', () => {
    const id = virusTotalUrlId('http://a.com/?q=>>>');
    expect(id).not.toMatch(/[=+/]/);
    expect(Buffer.from(id, 'base64url').toString()).toBe('http://a.com/?q=>>>');
  });

  it('404 NotFoundError is a real "unknown" answer', async () => {
    expect(await provider.lookup({ type: 'domain', value: 'unseen.example.com' })).toMatchObject({
      provider: 'virustotal',
      verdict: 'unknown',
      not_found: true,
    });
  });

  it('uses the configured detection thresholds', async () => {
    const strict = make({ VIRUSTOTAL_MALICIOUS_DETECTIONS: '10', VIRUSTOTAL_SUSPICIOUS_DETECTIONS: '2' });
    expect((await strict.lookup({ type: 'ipv4', value: '45.2.2.1' })).verdict).toBe('suspicious');
    expect((await strict.lookup({ type: 'domain', value: 'bad.example.com' })).verdict).toBe('harmless');
  });

  it('normalizes the real v3 IP and file bodies', () => {
    const read = (f: string) =>
      JSON.parse(
        readFileSync(new URL(`../../../../test/fixtures/intel/virustotal_v3/${f}`, import.meta.url), 'utf8'),
      );
    const ipBody = read('vt3_ip_address_demisto_gti.json');
    expect(provider.normalize(ipBody.data.attributes)).toMatchObject({
      verdict: 'malicious',
      virustotal: {
        malicious: 5,
        suspicious: 2,
        harmless: 72,
        undetected: 8,
        reputation: -4,
        owner: 'EMERALD-ONION',
        country: 'US',
      },
    });
    const fileBody = read('vt3_file_1_msticpy.as_api_response.json');
    const file = provider.normalize(fileBody.data.attributes);
    expect(file.virustotal?.meaningful_name).toBe(fileBody.data.attributes.meaningful_name);
    expect(file.virustotal?.malicious).toBe(fileBody.data.attributes.last_analysis_stats.malicious);
  });

  it('429 → rate limited (not retried); 401 → auth error; 503 twice → unavailable after one retry', async () => {
    fake.queueModes({ kind: 'rate_limited', retryAfterSeconds: 120 });
    const err = await provider.lookup({ type: 'ipv4', value: '45.2.2.1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderRateLimitedError);
    expect((err as ProviderRateLimitedError).retryAfterMs).toBe(120_000);
    expect(fake.stats().requests).toBe(1);

    await expect(
      make({ VIRUSTOTAL_API_KEY: 'nope' }).lookup({ type: 'ipv4', value: '45.2.2.1' }),
    ).rejects.toBeInstanceOf(ProviderAuthError);

    fake.resetStats();
    fake.queueModes({ kind: 'error', status: 503 }, { kind: 'error', status: 503 });
    await expect(provider.lookup({ type: 'ipv4', value: '45.2.2.1' })).rejects.toBeInstanceOf(
      ProviderUnavailableError,
    );
    expect(fake.stats().requests).toBe(2);
  });
});
