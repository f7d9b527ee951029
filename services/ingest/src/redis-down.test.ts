import { createLogger, loadConfig, Shutdown } from '@triage/runtime';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import { createIngestDeps } from './wiring.ts';

let app: FastifyInstance;
let shutdown: Shutdown;

beforeAll(async () => {
  const logger = createLogger('test', 'silent');
  shutdown = new Shutdown(logger, 2000);
  // Nothing listens on port 1: the producer connection fails fast instead of queueing commands.
  const config = loadConfig({
    REDIS_URL: 'redis://127.0.0.1:1',
    QUEUE_PREFIX: 'redis-down',
    LOG_LEVEL: 'silent',
  });
  app = await buildApp(createIngestDeps(config, logger, shutdown));
});
afterAll(async () => {
  await app.close();
  await shutdown.run('test');
});

it('answers 503 with Retry-After when Redis is away, and accepts nothing', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/alerts',
    payload: { name: 'x', alert: { user: 'a', source_ip: '8.8.8.8' } },
  });
  expect(res.statusCode).toBe(503);
  expect(res.json().error.code).toBe('REDIS_UNAVAILABLE');
  expect(res.headers['retry-after']).toBeDefined();
  const health = await app.inject({ method: 'GET', url: '/health' });
  expect(health.statusCode).toBe(503);
  expect(health.json()).toMatchObject({ status: 'unavailable', redis: { ok: false } });
});
