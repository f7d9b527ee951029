import { JOBS } from '@triage/contracts';
import { createLogger, Heartbeat, loadConfig, Shutdown, waitForRedis } from '@triage/runtime';
import { type RedisFixture, redisFixture } from '@triage/testing';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import type { AppDeps } from './app-deps.ts';
import { createIngestDeps } from './wiring.ts';

let fx: RedisFixture;
let deps: AppDeps;
let shutdown: Shutdown;

beforeAll(async () => {
  fx = await redisFixture('ingest-health');
  const logger = createLogger('test', 'silent');
  shutdown = new Shutdown(logger, 5000);
  deps = createIngestDeps(
    loadConfig({ REDIS_URL: fx.url, QUEUE_PREFIX: fx.prefix, LOG_LEVEL: 'silent' }),
    logger,
    shutdown,
  );
  await waitForRedis(deps.redis, fx.url);
});
afterAll(async () => {
  await shutdown.run('test');
  await fx.close();
});

it('/health reads what the workers report: worker counts, provider and LLM snapshots', async () => {
  const app = await buildApp(deps);
  const before = (await app.inject({ method: 'GET', url: '/health' })).json();
  expect(before).toMatchObject({ status: 'ok', providers: null, llm: null });
  expect(before.workers[JOBS.enrich.name]).toBe(0);

  // What an enrich worker process publishes (services/enrich-worker/src/main.ts).
  const worker = new Worker(JOBS.enrich.name, async () => undefined, {
    connection: new Redis(fx.url, { maxRetriesPerRequest: null }),
    prefix: fx.prefix,
  });
  await worker.waitUntilReady();
  const heartbeat = new Heartbeat({ redis: fx.redis, prefix: fx.prefix, instance: 'enrich-1' });
  heartbeat.watch(worker);
  heartbeat.report('intel', async () => [{ provider: 'virustotal', configured: true, quota: { left: 3 } }]);
  heartbeat.report('llm', async () => ({ configured: false, spent_today_usd: 0 }));
  await heartbeat.beat();

  // Within the cache second the first answer is served again; a fresh app reads Redis anew.
  const cached = (await app.inject({ method: 'GET', url: '/health' })).json();
  expect(cached.read_at).toBe(before.read_at);
  await app.close();

  const freshDeps = createIngestDeps(
    loadConfig({ REDIS_URL: fx.url, QUEUE_PREFIX: fx.prefix, LOG_LEVEL: 'silent' }),
    createLogger('test', 'silent'),
    shutdown,
  );
  await waitForRedis(freshDeps.redis, fx.url);
  const fresh = await buildApp(freshDeps);
  const after = (await fresh.inject({ method: 'GET', url: '/health' })).json();
  expect(after.workers[JOBS.enrich.name]).toBe(1);
  expect(after.providers).toEqual([{ provider: 'virustotal', configured: true, quota: { left: 3 } }]);
  expect(after.llm).toEqual({ configured: false, spent_today_usd: 0 });
  await fresh.close();
  await heartbeat.close();
  await worker.close();
});
