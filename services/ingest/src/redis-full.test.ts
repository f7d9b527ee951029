import { createLogger, loadConfig, Shutdown, waitForRedis } from '@triage/runtime';
import { EXTRA_REDIS_PORTS, hasRedisServer, type OwnRedis, startRedisServer } from '@triage/testing';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import type { AppDeps } from './app-deps.ts';
import { Backpressure } from './lib/backpressure.ts';
import { createIngestDeps } from './wiring.ts';

const wazuh = {
  rule: { id: '92900', level: 15, description: 'Mimikatz credential dumping detected' },
  agent: { id: '014', name: 'fin-ws-14' },
  manager: { name: 'wazuh.manager' },
  full_log: 'mimikatz.exe "sekurlsa::logonpasswords" exit',
  id: '1796000000.4343',
};
const generic = { name: 'x', alert: { user: 'a', source_ip: '8.8.8.8', severity: 'High' } };

let server: OwnRedis;
let admin: Redis;
let shutdown: Shutdown;
let deps: AppDeps;
let app: FastifyInstance;

/**
 * maxmemory just under what Redis uses now: every write is refused (noeviction). Redis's own use
 * can drop meanwhile (idle clients' query buffers are shrunk in the background): lowered again
 * until a write is refused.
 */
async function fill(): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const info = await admin.info('memory');
    const used = Number(/^used_memory:(\d+)/m.exec(info)?.[1]);
    await admin.config('SET', 'maxmemory', String(Math.max(1024 * 1024, used - 64 * 1024)));
    const refused = await admin.set('probe', 'x').then(
      () => false,
      (err: Error) => /OOM/.test(err.message),
    );
    if (refused) return;
  }
  throw new Error('Redis kept accepting writes under maxmemory');
}
const free = () => admin.config('SET', 'maxmemory', '0');

beforeAll(async () => {
  server = await startRedisServer(['--maxmemory-policy', 'noeviction'], { ports: EXTRA_REDIS_PORTS });
  admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
  admin.on('error', () => undefined);
  const logger = createLogger('test', 'silent');
  shutdown = new Shutdown(logger, 2000);
  deps = createIngestDeps(
    loadConfig({ REDIS_URL: server.url, QUEUE_PREFIX: 'full', LOG_LEVEL: 'silent' }),
    logger,
    shutdown,
  );
  await waitForRedis(deps.redis, server.url);
  app = await buildApp(deps);
  // Warm up: scripts loaded, queues' keys present, as on a running ingest.
  expect((await app.inject({ method: 'POST', url: '/v1/alerts', payload: generic })).statusCode).toBe(202);
}, 30_000);

afterAll(async () => {
  await app?.close();
  await shutdown?.run('test');
  admin?.disconnect();
  await server?.stop();
});

describe.runIf(hasRedisServer())('Redis out of memory (maxmemory, noeviction)', () => {
  it('a refused write on the intake path answers 503 REDIS_FULL + Retry-After, never 500, and accepts nothing', async () => {
    // Without the memory watermark, so each write itself meets the refusal: the source-id claim
    // script, the record pipeline, a batch.
    const watermarked = deps.backpressure;
    deps.backpressure = new Backpressure(deps.enrichQueue, deps.config.ENRICH_MAX_BACKLOG);
    try {
      await fill();
      const answers = await Promise.all([
        app.inject({ method: 'POST', url: '/v1/alerts', payload: wazuh }),
        app.inject({ method: 'POST', url: '/v1/alerts', payload: generic }),
        app.inject({ method: 'POST', url: '/v1/alerts/batch', payload: { alerts: [generic, wazuh] } }),
        app.inject({ method: 'POST', url: '/analyze', payload: generic }),
      ]);
      for (const res of answers) {
        expect(res.statusCode, res.body).toBe(503);
        expect(res.json().error.code).toBe('REDIS_FULL');
        expect(res.headers['retry-after']).toBe('30');
      }
    } finally {
      deps.backpressure = watermarked;
      await free();
    }
    // Nothing of it stayed: the retry is a new alert, not a "duplicate" of one never stored.
    const again = await app.inject({ method: 'POST', url: '/v1/alerts', payload: wazuh });
    expect(again.statusCode).toBe(202);
    expect(again.json().duplicate).toBeUndefined();
    const view = await app.inject({ method: 'GET', url: `/v1/alerts/${again.json().id}` });
    expect(view.statusCode).toBe(200);
  });

  it('past the memory watermark new alerts are refused before any write, and /health says degraded', async () => {
    await fill();
    try {
      // Memory and the /health snapshot are read at most once a second: wait for reads after the fill.
      await new Promise((r) => setTimeout(r, 1100));
      const res = await app.inject({ method: 'POST', url: '/v1/alerts', payload: generic });
      expect(res.statusCode).toBe(503);
      expect(res.json().error).toMatchObject({ code: 'REDIS_FULL' });
      expect(res.json().error.message).toMatch(/of maxmemory/);
      const health = await app.inject({ method: 'GET', url: '/health' });
      expect(health.statusCode).toBe(200);
      expect(health.json()).toMatchObject({
        status: 'degraded',
        redis: { ok: true, memory: { full: true, watermark: 0.9 } },
      });
      // Reads still answer while writes are refused.
      expect((await app.inject({ method: 'GET', url: '/v1/limits' })).statusCode).toBe(200);
    } finally {
      await free();
    }
    await new Promise((r) => setTimeout(r, 1100));
    expect((await app.inject({ method: 'GET', url: '/health' })).json().status).toBe('ok');
    expect((await app.inject({ method: 'POST', url: '/v1/alerts', payload: generic })).statusCode).toBe(202);
  });
});
