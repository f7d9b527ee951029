import { JOBS } from '@triage/contracts';
import { createLogger, loadConfig, Shutdown, waitForRedis } from '@triage/runtime';
import {
  hasPromtool,
  parseExposition,
  promtoolCheckMetrics,
  type RedisFixture,
  redisFixture,
  sumSamples,
} from '@triage/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import { createIngestDeps } from './wiring.ts';

let fx: RedisFixture;
let shutdown: Shutdown;
const replicas: FastifyInstance[] = [];

const alert = (i: number) => ({
  name: `Brute Force ${i}`,
  alert: { user: 'alice', source_ip: '185.220.101.52' },
});

beforeAll(async () => {
  fx = await redisFixture('ingest-metrics');
  const logger = createLogger('test', 'silent');
  shutdown = new Shutdown(logger, 5000);
  // Two ingest replicas of one stack: same Redis, same prefix, separate processes' worth of state.
  for (let i = 0; i < 2; i++) {
    const deps = createIngestDeps(
      loadConfig({ REDIS_URL: fx.url, QUEUE_PREFIX: fx.prefix, LOG_LEVEL: 'silent' }),
      logger,
      shutdown,
    );
    await waitForRedis(deps.redis, fx.url);
    replicas.push(await buildApp(deps));
  }
});
afterAll(async () => {
  await Promise.all(replicas.map((a) => a.close()));
  await shutdown.run('test');
  await fx.close();
});

it('two ingest replicas scraped together: counters sum to what was sent, shared gauges agree', async () => {
  const [a, b] = replicas as [FastifyInstance, FastifyInstance];
  for (let i = 0; i < 3; i++) await a.inject({ method: 'POST', url: '/v1/alerts', payload: alert(i) });
  for (let i = 3; i < 8; i++) await b.inject({ method: 'POST', url: '/v1/alerts', payload: alert(i) });
  await b.inject({
    method: 'POST',
    url: '/v1/alerts',
    payload: '[]',
    headers: { 'content-type': 'application/json' },
  });

  const scrapes = await Promise.all(
    replicas.map(async (r) => (await r.inject({ method: 'GET', url: '/metrics' })).body),
  );
  // Each process counts only what it accepted: sum() over the replicas is the pipeline's total.
  expect(sumSamples(scrapes, 'triage_alerts_received_total', { format: 'original' })).toBe(8);
  expect(sumSamples([scrapes[0]!], 'triage_alerts_received_total')).toBe(3);
  expect(
    sumSamples(scrapes, 'triage_http_request_duration_seconds_count', {
      route: '/v1/alerts',
      status_code: '202',
    }),
  ).toBe(8);
  expect(
    sumSamples(scrapes, 'triage_http_request_duration_seconds_count', {
      route: '/v1/alerts',
      status_code: '400',
    }),
  ).toBe(1);

  // Pipeline gauges are read from Redis: the same on both replicas (aggregate with max()).
  const depth = (s: string) =>
    parseExposition(s).find(
      (x) =>
        x.name === 'triage_queue_jobs' &&
        x.labels.queue === JOBS.enrich.name &&
        x.labels.state === 'prioritized',
    )?.value;
  expect(depth(scrapes[0]!)).toBe(8);
  expect(depth(scrapes[1]!)).toBe(8);
  expect(sumSamples([scrapes[0]!], 'triage_redis_up')).toBe(1);
  expect(
    sumSamples([scrapes[0]!], 'triage_queue_oldest_waiting_seconds', { queue: JOBS.enrich.name }),
  ).toBeGreaterThanOrEqual(0);
  expect(scrapes[0]).toMatch(/^process_cpu_seconds_total /m);
  if (hasPromtool()) for (const s of scrapes) expect(await promtoolCheckMetrics(s)).toEqual([]);
});
