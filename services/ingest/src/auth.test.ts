import { createLogger, loadConfig, Shutdown, waitForRedis } from '@triage/runtime';
import { type RedisFixture, redisFixture } from '@triage/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import { createIngestDeps } from './wiring.ts';

let fx: RedisFixture;
let app: FastifyInstance;
let shutdown: Shutdown;
const alert = { name: 'x', alert: { user: 'a', source_ip: '8.8.8.8' } };

beforeAll(async () => {
  fx = await redisFixture('ingest-auth');
  const logger = createLogger('test', 'silent');
  shutdown = new Shutdown(logger, 5000);
  const config = loadConfig({
    REDIS_URL: fx.url,
    QUEUE_PREFIX: fx.prefix,
    LOG_LEVEL: 'silent',
    TRIAGE_API_KEYS: 'k1,k2',
  });
  const deps = createIngestDeps(config, logger, shutdown);
  await waitForRedis(deps.redis, fx.url);
  app = await buildApp(deps);
});
afterAll(async () => {
  await app.close();
  await shutdown.run('test');
  await fx.close();
});

it('requires a key on every route except /health', async () => {
  const none = await app.inject({ method: 'POST', url: '/v1/alerts', payload: alert });
  expect(none.statusCode).toBe(401);
  expect(none.json().error.code).toBe('UNAUTHORIZED');
  expect(
    (
      await app.inject({
        method: 'POST',
        url: '/v1/alerts',
        payload: alert,
        headers: { authorization: 'Bearer nope' },
      })
    ).statusCode,
  ).toBe(401);
  expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
  expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
});

it('accepts Bearer, X-API-Key, and Basic auth for Bull Board', async () => {
  expect(
    (
      await app.inject({
        method: 'POST',
        url: '/v1/alerts',
        payload: alert,
        headers: { authorization: 'Bearer k1' },
      })
    ).statusCode,
  ).toBe(202);
  expect(
    (await app.inject({ method: 'POST', url: '/v1/alerts', payload: alert, headers: { 'x-api-key': 'k2' } }))
      .statusCode,
  ).toBe(202);
  const board = await app.inject({ method: 'GET', url: '/admin/queues' });
  expect(board.statusCode).toBe(401);
  expect(board.headers['www-authenticate']).toContain('Basic');
  const basic = Buffer.from('admin:k1').toString('base64');
  expect(
    (await app.inject({ method: 'GET', url: '/admin/queues', headers: { authorization: `Basic ${basic}` } }))
      .statusCode,
  ).toBe(200);
});
