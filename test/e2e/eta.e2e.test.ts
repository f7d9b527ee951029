/**
 * The quota-aware ETA through the ingest app on real Redis: alerts accepted, the lookups they need
 * counted, worker snapshots and completions as the workers write them; read back from /health, the
 * batch view and the CLI (`triage status`, `triage watch --once`).
 */
import { PassThrough } from 'node:stream';
import { triageMain } from '@triage/cli';
import { type Eta, type HealthView, JOBS } from '@triage/contracts';
import { type AppDeps, buildApp, createIngestDeps } from '@triage/ingest';
import { IntelCache } from '@triage/intel';
import { createLogger, Heartbeat, keys, loadConfig, Shutdown, waitForRedis } from '@triage/runtime';
import { type RedisFixture, redisFixture, waitFor } from '@triage/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';

let fx: RedisFixture;
let deps: AppDeps;
let app: FastifyInstance;
let shutdown: Shutdown;
let heartbeat: Heartbeat;
const config = () =>
  loadConfig({
    REDIS_URL: fx.url,
    QUEUE_PREFIX: fx.prefix,
    LOG_LEVEL: 'silent',
    VIRUSTOTAL_API_KEY: 'k',
    VIRUSTOTAL_RATE_LIMIT: '4/min',
    VIRUSTOTAL_DAILY_QUOTA: '500',
  });

beforeAll(async () => {
  fx = await redisFixture('ingest-eta');
  const logger = createLogger('test', 'silent');
  shutdown = new Shutdown(logger, 5000);
  deps = createIngestDeps(config(), logger, shutdown);
  await waitForRedis(deps.redis, fx.url);
  app = await buildApp(deps);
  heartbeat = new Heartbeat({ redis: fx.redis, prefix: fx.prefix, instance: 'workers-1' });
});
afterAll(async () => {
  await heartbeat.close();
  await app.close();
  await shutdown.run('test');
  await fx.close();
});

/** The next /health after the shared snapshot (one second) expired. */
async function freshHealth(after: string | undefined) {
  let h = {} as HealthView & { eta: Eta };
  await waitFor(
    async () => {
      h = (await app.inject({ method: 'GET', url: '/health' })).json();
      return h.read_at !== after;
    },
    { timeoutMs: 10_000, intervalMs: 100, message: 'a fresh /health' },
  );
  return h;
}

it('ETA: measured throughput against each provider quota and rate, in /health and GET /v1/batches/:id', async () => {
  // 20 distinct public addresses, one already answered by VirusTotal, and a private one.
  const ips = Array.from({ length: 20 }, (_, i) => `45.10.7.${i + 1}`);
  await new IntelCache(fx.redis, fx.prefix, deps.config).set(
    { provider: 'virustotal', type: 'ipv4', value: ips[0]! },
    { provider: 'virustotal', verdict: 'harmless', checked_at: new Date().toISOString() },
  );
  const lines = Array.from({ length: 40 }, (_, i) =>
    JSON.stringify({
      name: `Login ${i}`,
      alert: { user: `u${i}`, source_ip: ips[i % 20], dest_ip: '10.0.0.1', severity: 'Low' },
    }),
  );
  const res = await app.inject({
    method: 'POST',
    url: '/v1/alerts/batch?lane=backlog',
    payload: lines.join('\n'),
    headers: { 'content-type': 'application/x-ndjson' },
  });
  expect(res.statusCode).toBe(202);
  const { batch_id: batchId, ids } = res.json() as { batch_id: string; ids: string[] };

  // What the enrich workers publish: VirusTotal configured, 12 calls left of today's 500.
  heartbeat.report('intel', async () => [
    { provider: 'virustotal', configured: true, quota: { limit: 500, used: 488, left: 12 } },
  ]);
  heartbeat.report('llm', async () => ({ configured: false }));
  await heartbeat.beat();

  // No worker yet: the ETA says so instead of guessing.
  const first = await freshHealth(undefined);
  expect(first.eta).toMatchObject({ remaining: 40, seconds: null, factor: 'no_workers' });
  expect(first.eta.limited_by).toBe('no enrich worker running (40 waiting)');

  // Workers of both stages (their heartbeats), and alerts being finished at a measurable pace.
  const now = Date.now();
  await fx.redis.zadd(keys(fx.prefix).workers(JOBS.enrich.name), now + 60_000, 'w1');
  await fx.redis.zadd(keys(fx.prefix).workers(JOBS.classify.name), now + 60_000, 'w1');
  const measured = await freshHealth(first.read_at);
  for (const id of ids.slice(0, 10)) expect(await deps.store.fail(id, 'test', batchId)).toBe(true);
  await new Promise((r) => setTimeout(r, 1100));
  const h = await freshHealth(measured.read_at);

  expect(h.eta.done_per_second).toBeGreaterThan(0);
  const vt = h.eta.bounds.find((b) => b.subject === 'virustotal');
  // 19 uncached values need VirusTotal, only 12 can be asked today, at 4 a minute: 180 s.
  expect(vt).toEqual({
    factor: 'provider_quota',
    subject: 'virustotal',
    seconds: 180,
    detail: 'VirusTotal quota: 12 lookups left today (19 observables not yet cached)',
    calls: 12,
    over_limit: 7,
  });
  // Ten alerts in about a second: the throughput bound is seconds, the quota sets the ETA.
  expect(h.eta).toMatchObject({
    remaining: 40,
    factor: 'provider_quota',
    seconds: 180,
    limited_by: 'VirusTotal quota: 12 lookups left today (19 observables not yet cached)',
  });
  expect(Date.parse(h.eta.at ?? '')).toBeGreaterThan(Date.now() + 170_000);

  // The batch (backlog: behind everything queued) shows the same estimate.
  const view = (await app.inject({ method: 'GET', url: `/v1/batches/${batchId}?limit=1` })).json();
  expect(view.eta).toMatchObject({ factor: 'provider_quota', seconds: 180, remaining: 40 });

  // An answer cached by a lookup worker is no longer ahead: 18 left, still over the quota.
  await new IntelCache(fx.redis, fx.prefix, deps.config).set(
    { provider: 'virustotal', type: 'ipv4', value: ips[1]! },
    { provider: 'virustotal', verdict: 'harmless', checked_at: new Date().toISOString() },
  );
  const later = await freshHealth(h.read_at);
  expect(later.eta.bounds.find((b) => b.subject === 'virustotal')?.detail).toBe(
    'VirusTotal quota: 12 lookups left today (18 observables not yet cached)',
  );

  // A quota with room: the provider's rate is the bound.
  heartbeat.report('intel', async () => [
    { provider: 'virustotal', configured: true, quota: { limit: 500, used: 0, left: 500 } },
  ]);
  await heartbeat.beat();
  const roomy = await freshHealth(later.read_at);
  expect(roomy.eta).toMatchObject({
    factor: 'provider_rate',
    seconds: 270,
    limited_by: 'VirusTotal rate: 4/min for 18 observables not yet cached',
  });

  // A paused backlog batch has no ETA until it is resumed.
  expect((await app.inject({ method: 'POST', url: `/v1/batches/${batchId}/pause` })).statusCode).toBe(200);
  const paused = (await app.inject({ method: 'GET', url: `/v1/batches/${batchId}?limit=1` })).json();
  expect(paused.eta).toMatchObject({ factor: 'paused', seconds: null, remaining: 30 });
});

async function cli(baseUrl: string, ...argv: string[]): Promise<{ code: number; out: string }> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d) => (out += d));
  const stderr = new PassThrough();
  stderr.resume();
  const code = await triageMain({
    argv: ['--url', baseUrl, ...argv],
    env: {},
    cwd: process.cwd(),
    stdin: new PassThrough(),
    stdout,
    stderr,
  });
  return { code, out };
}

it('the CLI shows the ETA and what limits it: triage status, triage watch', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/alerts/batch?lane=backlog',
    payload: JSON.stringify({ name: 'One more', alert: { source_ip: '45.10.8.1', severity: 'Low' } }),
    headers: { 'content-type': 'application/x-ndjson' },
  });
  const batchId = (res.json() as { batch_id: string }).batch_id;
  // Once the shared snapshot shows the new alert's lookup (a second at most).
  await waitFor(
    async () =>
      (await app.inject({ method: 'GET', url: '/health' }))
        .json()
        .eta?.limited_by?.includes('for 19 observables'),
    { timeoutMs: 10_000, intervalMs: 100, message: 'the new lookup ahead' },
  );
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  const status = await cli(baseUrl, 'status', batchId);
  expect(status.code).toBe(0);
  expect(status.out).toMatch(
    /^eta +\d+ min \d+ s — VirusTotal rate: 4\/min for 19 observables not yet cached$/m,
  );
  const watch = await cli(baseUrl, 'watch', '--once');
  expect(watch.code).toBe(0);
  expect(watch.out).toMatch(
    /^ETA \d+ min \d+ s — VirusTotal rate: 4\/min for 19 observables not yet cached$/m,
  );
  expect(watch.out).toMatch(/^ {2}\d+(\.\d)? s {2}throughput: [\d.]+ alerts\/s, 41 left/m);
});
