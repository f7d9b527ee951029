import { Enrichment, JOBS, lookupJobId } from '@triage/contracts';
import { createLogger, createRedis, loadConfig, type MetricName, Metrics, type Redis } from '@triage/runtime';
import { AbuseIpdbFake, type RedisFixture, redisFixture, VirusTotalFake, waitFor } from '@triage/testing';
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IntelCache } from './cache.ts';
import { IntelService } from './intel-service.ts';
import { PendingLookups } from './pending-lookups.ts';
import { driveGather, testAlert, WakeHub } from './test-support/gather-driver.ts';

const abuse = new AbuseIpdbFake({ scores: { '45.10.0.1': 95 } });
const vt = new VirusTotalFake({ notFound: ['never-seen.example.com'] });

interface Harness {
  fx: RedisFixture;
  /** The service's general connection, auto-pipelining as in the enrich worker. */
  client: Redis;
  config: ReturnType<typeof loadConfig>;
  service: IntelService;
  metrics: Metrics;
  hub: WakeHub;
}
let open: Harness[] = [];

/** A service on its own Redis prefix, with lookup workers running in this process. */
async function harness(env: Record<string, string> = {}, opts: { workers?: boolean } = {}): Promise<Harness> {
  const fx = await redisFixture('intel-service');
  const config = loadConfig({
    ABUSEIPDB_API_KEY: abuse.apiKey,
    ABUSEIPDB_BASE_URL: abuse.url,
    ABUSEIPDB_RATE_LIMIT: '50/s',
    VIRUSTOTAL_API_KEY: vt.apiKey,
    VIRUSTOTAL_BASE_URL: vt.url,
    VIRUSTOTAL_RATE_LIMIT: '50/s',
    INTEL_TIMEOUT_MS: '300',
    INTEL_QUICK_RETRY_DELAY_MS: '10',
    INTEL_WAIT_MS: '5000',
    INTEL_POLL_MS: '250',
    INTEL_RATE_MARGIN_MS: '0',
    ...env,
  });
  const metrics = new Metrics({ processMetrics: false });
  const hub = new WakeHub();
  const client = createRedis(fx.url, 'client');
  const service = new IntelService({
    redis: client,
    connection: { url: fx.url, maxRetriesPerRequest: null },
    prefix: fx.prefix,
    config,
    logger: createLogger('intel-test', 'silent'),
    metrics,
    wake: hub.wake,
  });
  if (opts.workers !== false) service.startLookupWorkers({ concurrency: 8 });
  const h = { fx, client, config, service, metrics, hub };
  open.push(h);
  return h;
}

const metricValue = (h: Harness, name: MetricName, labels: Record<string, string>) =>
  h.metrics.value(name, labels);

beforeAll(async () => {
  await abuse.start();
  await vt.start();
});
afterAll(async () => {
  await abuse.close();
  await vt.close();
});
beforeEach(() => {
  abuse.resetStats();
  vt.resetStats();
  abuse.setMode({ kind: 'ok' });
  vt.setMode({ kind: 'ok' });
});
afterEach(async () => {
  for (const h of open) {
    await h.service.close();
    await h.metrics.close();
    h.client.disconnect();
    await h.fx.close();
  }
  open = [];
});

describe('IntelService.gather', () => {
  it('looks up public values once, serves offline and cached answers, never sends private or allow-listed ones', async () => {
    const h = await harness({ INTEL_ALLOWLIST: '45.99.0.0/16,corp.com' });
    const alert = testAlert({
      src_ip: '45.10.0.1',
      dst_ip: '10.0.0.5',
      description:
        'from 185.220.101.1 via 192.168.1.1 127.0.0.1 100.64.1.1 203.0.113.5 fe80::1 45.99.1.1 to vpn.corp.com and https://evil.example.net/x by bob@corp.com',
    });
    const first = await driveGather(h.service, h.hub, alert, 'alert-1');
    const e = first.enrichment;
    expect(Enrichment.safeParse(e).success).toBe(true);
    expect(e.partial).toBe(false);
    expect(e.missing).toEqual([]);
    expect(e.intel['45.10.0.1']?.providers).toMatchObject({
      offline: { verdict: 'unknown', not_found: true },
      abuseipdb: { verdict: 'malicious', abuseipdb: { abuse_score: 95 } },
      virustotal: { provider: 'virustotal' },
    });
    expect(e.intel['185.220.101.1']?.providers.offline).toMatchObject({
      verdict: 'suspicious',
      offline: { lists: ['tor_exit', 'tor_relay'] },
    });
    expect(e.intel['evil.example.net']?.providers.virustotal).toBeDefined();
    expect(e.intel['https://evil.example.net/x']?.providers.virustotal).toBeDefined();
    // 2 public IPs × 2 providers + domain + URL on VirusTotal.
    expect(e.cache).toEqual({ hits: 0, misses: 6 });
    expect(abuse.stats().seen.sort()).toEqual(['185.220.101.1', '45.10.0.1']);
    expect(vt.stats().seen.sort()).toEqual([
      '185.220.101.1',
      '45.10.0.1',
      'evil.example.net',
      'https://evil.example.net/x',
    ]);
    expect(vt.submissions).toBe(0);
    // Allow-listed values are in the observables (flagged) but were never sent anywhere.
    expect(e.observables.filter((o) => o.allowlisted).map((o) => o.value)).toEqual(
      expect.arrayContaining(['45.99.1.1', 'vpn.corp.com', 'bob@corp.com']),
    );

    // Same observables in another alert: all from cache, in one gather, no new request.
    const second = await driveGather(h.service, h.hub, alert, 'alert-2');
    expect(second.rounds).toBe(1);
    expect(second.enrichment.cache).toEqual({ hits: 6, misses: 0 });
    expect(abuse.stats().requests + vt.stats().requests).toBe(6);
    expect(await metricValue(h, 'triage_intel_cache_total', { provider: 'virustotal', result: 'hit' })).toBe(
      4,
    );
    expect(await metricValue(h, 'triage_intel_lookups_total', { outcome: 'ok', provider: 'abuseipdb' })).toBe(
      2,
    );
  });

  it('gather is idempotent: calling it again while lookups run enqueues nothing new', async () => {
    const h = await harness({}, { workers: false });
    const alert = testAlert({ src_ip: '45.10.1.1' });
    const at = Date.now();
    for (let i = 0; i < 5; i++) {
      const r = await h.service.gather(alert, { waiterId: 'idem', firstAttemptAt: at });
      expect(r).toMatchObject({ done: false });
    }
    const counts = await Promise.all(
      ['intel-abuseipdb', 'intel-virustotal'].map((q) => h.fx.redis.llen(`${h.fx.prefix}:${q}:wait`)),
    );
    expect(counts).toEqual([1, 1]);
    h.service.startLookupWorkers();
    const done = await driveGather(h.service, h.hub, alert, 'idem');
    expect(done.enrichment.cache).toEqual({ hits: 0, misses: 2 });
    expect(abuse.stats().requests).toBe(1);
  });

  it('without firstAttemptAt the service keeps the first gather time itself and still bounds the wait', async () => {
    const h = await harness({ INTEL_WAIT_MS: '600' }, { workers: false });
    const alert = testAlert({ src_ip: '45.10.8.1' });
    const t0 = Date.now();
    let r = await h.service.gather(alert, { waiterId: 'self-timed' });
    while (!r.done) {
      expect(r.retryInMs).toBeLessThanOrEqual(650);
      await h.hub.wait('self-timed', r.retryInMs);
      r = await h.service.gather(alert, { waiterId: 'self-timed' });
    }
    expect(Date.now() - t0).toBeGreaterThanOrEqual(600);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(r.enrichment.missing.map((m) => m.reason)).toEqual(['timeout', 'timeout']);
    expect(
      await h.fx.redis.exists(
        `${h.fx.prefix}:intel:first:self-timed`,
        `${h.fx.prefix}:intel:pending:self-timed`,
      ),
    ).toBe(0);
  });

  it('a provider outage (5xx / timeouts) ends in partial intel with reasons, never an error', async () => {
    const h = await harness({ INTEL_WAIT_MS: '1500' });
    abuse.setMode({ kind: 'error', status: 503 });
    vt.setMode({ kind: 'slow', delayMs: 2000 });
    const r = await driveGather(h.service, h.hub, testAlert({ src_ip: '45.10.2.1' }), 'outage');
    expect(r.enrichment.partial).toBe(true);
    expect(r.enrichment.missing).toEqual([
      { provider: 'abuseipdb', value: '45.10.2.1', reason: 'timeout' },
      { provider: 'virustotal', value: '45.10.2.1', reason: 'timeout' },
    ]);
    expect(r.enrichment.intel['45.10.2.1']?.providers.offline).toBeDefined();
    expect(r.ms).toBeLessThan(3000);
    // Errors are never cached.
    const cache = new IntelCache(h.fx.redis, h.fx.prefix, loadConfig({}));
    expect(await cache.get({ provider: 'abuseipdb', type: 'ipv4', value: '45.10.2.1' })).toBeUndefined();
  });

  it('a failed lookup ends the wait of its alerts with "error"; the next alert tries again (errors not cached)', async () => {
    const h = await harness();
    vt.queueModes({ kind: 'error', status: 400 });
    const a = await driveGather(h.service, h.hub, testAlert({ domains: ['flaky.example.org'] }), 'err-a');
    expect(a.enrichment.partial).toBe(true);
    expect(a.enrichment.missing).toEqual([
      { provider: 'virustotal', value: 'flaky.example.org', reason: 'error' },
    ]);
    expect(a.ms).toBeLessThan(2000);
    const b = await driveGather(h.service, h.hub, testAlert({ domains: ['flaky.example.org'] }), 'err-b');
    expect(b.enrichment.partial).toBe(false);
    expect(b.enrichment.intel['flaky.example.org']?.providers.virustotal?.virustotal).toBeDefined();
    expect(vt.stats().byValue['flaky.example.org']).toBe(2);
    expect(
      await metricValue(h, 'triage_intel_lookups_total', { outcome: 'error', provider: 'virustotal' }),
    ).toBe(1);
  });

  it('a lookup that fails its last attempt (5xx after the quick retry) wakes its alerts with "error"', async () => {
    const h = await harness({}, { workers: false });
    const data = { provider: 'abuseipdb', type: 'ipv4', value: '45.10.7.1' } as const;
    // The same deterministic job id gather would use, with a single attempt so the test needs no backoff.
    const queue = new Queue(JOBS.intelAbuseipdb.name, {
      connection: { url: h.fx.url, maxRetriesPerRequest: null },
      prefix: h.fx.prefix,
    });
    await queue.add('ipv4', data, { jobId: lookupJobId(data), attempts: 1, removeOnFail: true });
    await queue.close();
    abuse.setMode({ kind: 'error', status: 503 });
    const alert = testAlert({ src_ip: '45.10.7.1' });
    const firstAttemptAt = Date.now();
    expect(await h.service.gather(alert, { waiterId: 'last', firstAttemptAt })).toMatchObject({
      done: false,
    });
    h.service.startLookupWorkers();
    const r = await driveGather(h.service, h.hub, alert, 'last', firstAttemptAt);
    expect(r.enrichment.missing).toEqual([{ provider: 'abuseipdb', value: '45.10.7.1', reason: 'error' }]);
    expect(r.enrichment.intel['45.10.7.1']?.providers.virustotal).toBeDefined();
    expect(r.ms).toBeLessThan(2000);
    expect(abuse.stats().byStatus).toEqual({ 503: 2 });
    const ab = (await h.service.status()).find((s) => s.provider === 'abuseipdb');
    expect(ab).toMatchObject({
      reachable: false,
      last_error: expect.stringContaining('PROVIDER_UNAVAILABLE'),
    });
  });

  it('404 is cached as unknown (negative TTL) and not asked again', async () => {
    const h = await harness({ INTEL_NEGATIVE_TTL_SECONDS: '123' });
    const alert = testAlert({ domains: ['never-seen.example.com'] });
    const a = await driveGather(h.service, h.hub, alert, 'nf-a');
    expect(a.enrichment.intel['never-seen.example.com']?.providers.virustotal).toMatchObject({
      verdict: 'unknown',
      not_found: true,
    });
    const b = await driveGather(h.service, h.hub, alert, 'nf-b');
    expect(b.enrichment.cache).toEqual({ hits: 1, misses: 0 });
    expect(vt.stats().requests).toBe(1);
    const cache = new IntelCache(h.fx.redis, h.fx.prefix, loadConfig({}));
    const ttl = await h.fx.redis.ttl(
      cache.key({ provider: 'virustotal', type: 'domain', value: 'never-seen.example.com' }),
    );
    expect(ttl).toBeGreaterThan(100);
    expect(ttl).toBeLessThanOrEqual(123);
  });

  it('quota exhaustion: calls stop at the daily quota, the rest is partial with quota_exhausted', async () => {
    const h = await harness({ VIRUSTOTAL_DAILY_QUOTA: '2' });
    const ips = ['45.10.3.1', '45.10.3.2', '45.10.3.3', '45.10.3.4'];
    const r = await driveGather(h.service, h.hub, testAlert({ description: ips.join(' ') }), 'quota');
    expect(vt.stats().requests).toBe(2);
    expect(abuse.stats().requests).toBe(4);
    expect(r.enrichment.partial).toBe(true);
    expect(r.enrichment.missing.map((m) => `${m.provider}:${m.reason}`)).toEqual([
      'virustotal:quota_exhausted',
      'virustotal:quota_exhausted',
    ]);
    // A later alert needing VirusTotal is not delayed at all: skipped at once.
    const later = await driveGather(
      h.service,
      h.hub,
      testAlert({ domains: ['later.example.com'] }),
      'quota-2',
    );
    expect(later.rounds).toBe(1);
    expect(later.enrichment.missing).toEqual([
      { provider: 'virustotal', value: 'later.example.com', reason: 'quota_exhausted' },
    ]);
    const vtStatus = (await h.service.status()).find((s) => s.provider === 'virustotal');
    expect(vtStatus?.quota).toMatchObject({ limit: 2, used: 2, left: 0 });
  });

  it('429 pauses the provider (throttled_until in status) without slowing alerts that do not need it', async () => {
    const h = await harness({ INTEL_WAIT_MS: '10000' });
    vt.setMode({ kind: 'rate_limited', retryAfterSeconds: 3600 });
    const t0 = Date.now();
    const a = await driveGather(h.service, h.hub, testAlert({ src_ip: '45.10.4.1' }), 'thr-a');
    // The 429 woke the alert, which went on without VirusTotal instead of waiting 10 s.
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(a.enrichment.missing).toEqual([
      { provider: 'virustotal', value: '45.10.4.1', reason: 'throttled' },
    ]);
    expect(a.enrichment.intel['45.10.4.1']?.providers.abuseipdb).toBeDefined();
    const status = await h.service.status();
    const vtStatus = status.find((s) => s.provider === 'virustotal')!;
    expect(Date.parse(vtStatus.throttled_until ?? '')).toBeGreaterThan(Date.now() + 3500_000);
    expect(vtStatus.reachable).toBe(true);
    expect(status.find((s) => s.provider === 'abuseipdb')?.throttled_until).toBeNull();

    // New IPs: AbuseIPDB answers, VirusTotal is skipped at once (no call while paused).
    const many = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        driveGather(h.service, h.hub, testAlert({ src_ip: `45.10.5.${i + 1}` }), `thr-${i}`),
      ),
    );
    for (const r of many) {
      expect(r.ms).toBeLessThan(1500);
      expect(r.enrichment.missing.map((m) => m.reason)).toEqual(['throttled']);
    }
    // Cached intel is served in one round even while VirusTotal is paused.
    const cached = await driveGather(h.service, h.hub, testAlert({ src_ip: '45.10.4.1' }), 'thr-cached');
    expect(cached.rounds).toBe(1);
    expect(vt.stats().requests).toBe(1);
    expect(await metricValue(h, 'triage_intel_rate_limited_total', { provider: 'virustotal' })).toBe(1);
  });

  it('with no API key: offline only, providers reported not_configured, not partial, no queue', async () => {
    const fx = await redisFixture('intel-offline-only');
    const metrics = new Metrics({ processMetrics: false });
    const service = new IntelService({
      redis: fx.redis,
      connection: { url: fx.url, maxRetriesPerRequest: null },
      prefix: fx.prefix,
      config: loadConfig({}),
      logger: createLogger('intel-test', 'silent'),
      metrics,
    });
    try {
      expect(service.startLookupWorkers()).toEqual([]);
      const r = await service.gather(testAlert({ src_ip: '1.10.20.5', urls: ['http://x.example.com/'] }), {
        waiterId: 'off',
        firstAttemptAt: Date.now(),
      });
      expect(r.done).toBe(true);
      if (!r.done) return;
      expect(r.enrichment.partial).toBe(false);
      expect(r.enrichment.intel['1.10.20.5']?.providers.offline?.verdict).toBe('malicious');
      expect(r.enrichment.missing.map((m) => `${m.provider}:${m.value}`)).toEqual([
        'abuseipdb:1.10.20.5',
        'virustotal:1.10.20.5',
        'virustotal:http://x.example.com/',
        'virustotal:x.example.com',
      ]);
      expect(await fx.redis.keys(`${fx.prefix}:intel-*`)).toEqual([]);
      const status = await service.status();
      expect(status.map((s) => [s.provider, s.configured])).toEqual([
        ['offline', true],
        ['abuseipdb', false],
        ['virustotal', false],
      ]);
      expect(status[0]?.snapshot).toBe('2024-02-27');
    } finally {
      await service.close();
      await metrics.close();
      await fx.close();
    }
  });

  it('status is cheap and shows reachability, quota and cache size', async () => {
    const h = await harness();
    await driveGather(
      h.service,
      h.hub,
      testAlert({ src_ip: '45.10.6.1', domains: ['status.example.com'] }),
      'st',
    );
    await waitFor(
      async () => (await h.service.status()).find((s) => s.provider === 'virustotal')?.cache_size === 2,
    );
    const [offline, ab, v] = await h.service.status();
    expect(offline?.provider).toBe('offline');
    expect(ab).toMatchObject({
      provider: 'abuseipdb',
      configured: true,
      reachable: true,
      cache_size: 1,
      rate_limit: '50/s',
    });
    expect(ab?.quota).toMatchObject({ limit: 1000, used: 1, left: 999 });
    expect(v).toMatchObject({ configured: true, reachable: true, cache_size: 2, throttled_until: null });
  });
});

describe('PendingLookups (the lookups ahead, for the ETA)', () => {
  it('counts the distinct uncached values queued alerts need per provider, until each is answered, failed or given up', async () => {
    const h = await harness(
      { VIRUSTOTAL_DAILY_QUOTA: '2', INTEL_ALLOWLIST: '45.99.0.0/16' },
      { workers: false },
    );
    const { fx, config, service, hub } = h;
    const pending = new PendingLookups(fx.redis, fx.prefix, config);
    const ahead = async () => ({
      abuseipdb: await fx.redis.scard(pending.key('abuseipdb')),
      virustotal: await fx.redis.scard(pending.key('virustotal')),
    });
    // Already answered by VirusTotal: never counted as ahead for it.
    await new IntelCache(fx.redis, fx.prefix, config).set(
      { provider: 'virustotal', type: 'ipv4', value: '45.10.5.4' },
      { provider: 'virustotal', verdict: 'harmless', checked_at: new Date().toISOString() },
    );
    const a = testAlert({ description: '45.10.5.1 45.10.5.2 45.10.5.3 45.10.5.4 10.0.0.1 45.99.1.1' });
    const b = testAlert({ src_ip: '45.10.5.1', domains: ['later5.example.com'] });
    await pending.track([a, b]);
    // Private and allow-listed values are never sent, so never ahead; 45.10.5.1 counts once.
    expect(await ahead()).toEqual({ abuseipdb: 4, virustotal: 4 });

    service.startLookupWorkers({ concurrency: 4 });
    // Two VirusTotal calls fit the quota (answered: cached), the third hits the spent ledger (failed).
    await driveGather(service, hub, a, 'a');
    expect(vt.stats().requests).toBe(2);
    expect(await ahead()).toEqual({ abuseipdb: 0, virustotal: 1 });
    // The domain is skipped at once (quota spent): no lookup will be made for it today.
    const rb = await driveGather(service, hub, b, 'b');
    expect(rb.enrichment.missing).toContainEqual({
      provider: 'virustotal',
      value: 'later5.example.com',
      reason: 'quota_exhausted',
    });
    expect(await ahead()).toEqual({ abuseipdb: 0, virustotal: 0 });

    // Accepted again later: everything is cached (or spent) now, nothing new is ahead for AbuseIPDB.
    await pending.track([a]);
    expect((await ahead()).abuseipdb).toBe(0);
    expect(await fx.redis.ttl(pending.key('virustotal'))).toBeGreaterThan(0);
  });

  it('does nothing without a provider key', async () => {
    const fx = await redisFixture('pending-lookups-none');
    try {
      const pending = new PendingLookups(fx.redis, fx.prefix, loadConfig({}));
      expect(pending.providers).toEqual([]);
      await pending.track([testAlert({ src_ip: '45.10.6.1' })]);
      expect(await fx.redis.keys(`${fx.prefix}:*`)).toEqual([]);
    } finally {
      await fx.close();
    }
  });
});
