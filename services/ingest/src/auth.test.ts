import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { createLogger, loadConfig, Shutdown, waitForRedis } from '@triage/runtime';
import { type RedisFixture, redisFixture, waitFor } from '@triage/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import type { AppDeps } from './app-deps.ts';
import { createIngestDeps } from './wiring.ts';

let fx: RedisFixture;
let app: FastifyInstance;
let deps: AppDeps;
let shutdown: Shutdown;
const alert = { name: 'x', alert: { user: 'a', source_ip: '8.8.8.8' } };
const hashed = 'hashed-admin-key';
const KEYS = {
  admin: { authorization: 'Bearer admin-key' },
  hashedAdmin: { 'x-api-key': hashed },
  ingest: { authorization: 'Bearer ingest-key' },
  read: { 'x-api-key': 'read-key' },
  analyst: { authorization: 'Bearer analyst-key' },
};
const basic = (user: string, pass?: string) => ({
  authorization: `Basic ${Buffer.from(pass === undefined ? user : `${user}:${pass}`).toString('base64')}`,
});

beforeAll(async () => {
  fx = await redisFixture('ingest-auth');
  const logger = createLogger('test', 'silent');
  shutdown = new Shutdown(logger, 5000);
  const config = loadConfig({
    REDIS_URL: fx.url,
    QUEUE_PREFIX: fx.prefix,
    LOG_LEVEL: 'silent',
    TRIAGE_API_KEYS: `admin-key,sha256:${createHash('sha256').update(hashed).digest('hex').toUpperCase()}`,
    TRIAGE_INGEST_KEYS: 'ingest-key',
    TRIAGE_READ_KEYS: 'read-key',
    TRIAGE_ANALYST_KEYS: 'analyst-key',
    RATE_LIMIT_PER_KEY: '10000/min',
  });
  deps = createIngestDeps(config, logger, shutdown);
  await waitForRedis(deps.redis, fx.url);
  app = await buildApp(deps);
});
afterAll(async () => {
  await app.close();
  await shutdown.run('test');
  await fx.close();
});

const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, headers = {}, payload?: unknown) =>
  app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });

describe('who may call what', () => {
  it('401 without a key or with an unknown one, with the standard error body', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }, { 'x-api-key': 'admin-ke' }]) {
      const res = await call('POST', '/v1/alerts', headers, alert);
      expect(res.statusCode).toBe(401);
      expect(res.json().error).toMatchObject({ code: 'UNAUTHORIZED', details: [] });
    }
    expect((await call('GET', '/metrics')).statusCode).toBe(401);
    expect((await call('GET', '/v1/nowhere')).statusCode).toBe(401);
    expect((await call('GET', '/v1/nowhere', KEYS.read)).statusCode).toBe(404);
  });

  it('a Basic credential without a colon is not a key; with one the password is', async () => {
    expect((await call('GET', '/admin/queues', basic('admin-key'))).statusCode).toBe(401);
    expect((await call('GET', '/admin/queues', basic('', 'admin-key'))).statusCode).toBe(200);
    const board = await call('GET', '/admin/queues');
    expect(board.statusCode).toBe(401);
    expect(board.headers['www-authenticate']).toContain('Basic');
  });

  it('keys given as sha256:<hex> work like the plain key', async () => {
    expect((await call('POST', '/v1/alerts', KEYS.hashedAdmin, alert)).statusCode).toBe(202);
    expect(
      (await call('PUT', '/admin/queues/api/queues/dead-letter/resume', KEYS.hashedAdmin)).statusCode,
    ).toBe(200);
  });

  it('an ingest key submits and reads nothing', async () => {
    const res = await call('POST', '/v1/alerts', KEYS.ingest, alert);
    expect(res.statusCode).toBe(202);
    const { id } = res.json();
    for (const url of [
      `/v1/alerts/${id}`,
      '/v1/batches/x',
      '/metrics',
      '/admin/queues',
      '/admin/queues/api/queues',
    ]) {
      const r = await call('GET', url, KEYS.ingest);
      expect(r.statusCode, url).toBe(403);
      expect(r.json().error.code).toBe('FORBIDDEN');
    }
    expect((await call('GET', '/health', KEYS.ingest)).json()).toEqual({ status: 'ok' });
  });

  it('read and analyst keys read but do not submit', async () => {
    const { id } = (await call('POST', '/v1/alerts', KEYS.admin, alert)).json();
    for (const key of [KEYS.read, KEYS.analyst]) {
      expect((await call('GET', `/v1/alerts/${id}`, key)).statusCode).toBe(200);
      expect((await call('GET', '/metrics', key)).statusCode).toBe(200);
      for (const url of ['/v1/alerts', '/v1/alerts/batch', '/analyze', '/batch'])
        expect((await call('POST', url, key, { alerts: [alert] })).statusCode, url).toBe(403);
    }
  });

  it('/health answers liveness only without a read key, details with one', async () => {
    expect((await call('GET', '/health')).json()).toEqual({ status: 'ok' });
    const full = (await call('GET', '/health', KEYS.read)).json();
    expect(full.queues).toBeDefined();
    expect(full.redis.ok).toBe(true);
  });
});

describe('Bull Board', () => {
  const ACTIONS: Array<['PUT' | 'POST' | 'PATCH' | 'GET', string, unknown?]> = [
    [
      'POST',
      '/admin/queues/api/queues/results/add',
      { name: 'results', data: { forged: true }, options: {} },
    ],
    ['PUT', '/admin/queues/api/queues/enrich/pause'],
    ['PUT', '/admin/queues/api/queues/pause'],
    ['PUT', '/admin/queues/api/queues/enrich/empty'],
    ['PUT', '/admin/queues/api/queues/enrich/obliterate'],
    ['PUT', '/admin/queues/api/queues/enrich/clean/completed'],
    ['PUT', '/admin/queues/api/queues/enrich/retry/failed'],
    ['PUT', '/admin/queues/api/queues/enrich/promote'],
    ['PUT', '/admin/queues/api/queues/enrich/concurrency', { concurrency: 1 }],
    ['PATCH', '/admin/queues/api/queues/enrich/some-job/update-data', { data: {} }],
    ['PUT', '/admin/queues/api/queues/enrich/some-job/retry'],
    ['GET', '/admin/queues/api/redis/stats'],
    // Encoded and doubled slashes reach the same handlers; the check is on the matched route.
    ['PUT', '/admin/queues/api/queues/%65nrich/pause'],
  ];

  it('read, analyst and ingest keys cannot use a single action (a forged result is impossible)', async () => {
    for (const key of [KEYS.read, KEYS.analyst, KEYS.ingest]) {
      for (const [method, url, body] of ACTIONS) {
        const res = await call(method, url, key, body);
        expect(res.statusCode, `${method} ${url}`).toBe(403);
        expect(res.json().error.code).toBe('FORBIDDEN');
      }
    }
    expect(await deps.queues.get('results')!.count()).toBe(0);
    expect(await deps.queues.get('enrich')!.isPaused()).toBe(false);
  });

  it('read keys see the board in read-only mode', async () => {
    expect((await call('GET', '/admin/queues', KEYS.read)).statusCode).toBe(200);
    const view = (await call('GET', '/admin/queues/api/queues', KEYS.read)).json();
    expect(view.queues.length).toBeGreaterThan(0);
    expect(view.queues.every((q: { readOnlyMode: boolean }) => q.readOnlyMode)).toBe(true);
    const admin = (await call('GET', '/admin/queues/api/queues', KEYS.admin)).json();
    expect(admin.queues.every((q: { readOnlyMode: boolean }) => !q.readOnlyMode)).toBe(true);
  });

  it('admin keys can act, and every admin action is audited by key fingerprint, refused ones too', async () => {
    const add = await call('POST', '/admin/queues/api/queues/dead-letter/add', KEYS.admin, {
      name: 'dead-letter',
      data: { queue: 'x', job_id: '1', data: {}, failed_reason: 'test', failed_at: new Date().toISOString() },
      options: {},
    });
    expect(add.statusCode).toBe(200);
    await call('PUT', '/admin/queues/api/queues/dead-letter/pause', KEYS.read);
    const entries = await waitFor(async () => {
      const e = await deps.audit.recent(50);
      return e.some((x) => x.status === 403) && e.some((x) => x.route.endsWith('/add')) && e;
    });
    const added = entries.find((e) => e.route.endsWith('/:queueName/add'))!;
    expect(added).toMatchObject({
      method: 'POST',
      status: 200,
      path: '/admin/queues/api/queues/dead-letter/add',
    });
    expect(added.key).toBe(`key:${createHash('sha256').update('admin-key').digest('hex').slice(0, 12)}`);
    expect(entries.find((e) => e.status === 403)?.key).toMatch(/^key:[0-9a-f]{12}$/);
    expect(JSON.stringify(entries)).not.toContain('admin-key');
    expect(JSON.stringify(entries)).not.toContain('read-key');
  });
});

describe('GET /v1/audit', () => {
  it('lists admin actions newest first, in pages, to admin keys only', async () => {
    for (const key of [KEYS.read, KEYS.analyst, KEYS.ingest]) {
      expect((await call('GET', '/v1/audit', key)).statusCode).toBe(403);
    }
    expect((await call('GET', '/v1/audit', undefined)).statusCode).toBe(401);
    for (let i = 0; i < 3; i++) await call('PUT', `/admin/queues/api/queues/dead-letter/pause`, KEYS.read);
    const first = await waitFor(async () => {
      const page = (await call('GET', '/v1/audit?limit=2', KEYS.admin)).json();
      return page.items.length === 2 && page;
    });
    expect(first.items[0]).toMatchObject({
      id: expect.stringMatching(/^\d+-\d+$/),
      key: expect.stringMatching(/^key:[0-9a-f]{12}$/),
      method: expect.any(String),
      status: expect.any(Number),
    });
    // Stream ids order by time, then sequence.
    const newer = (a: string, b: string) => {
      const [am, as] = a.split('-').map(Number) as [number, number];
      const [bm, bs] = b.split('-').map(Number) as [number, number];
      return am > bm || (am === bm && as > bs);
    };
    expect(newer(first.items[0].id, first.items[1].id)).toBe(true);
    expect(first.next_cursor).toBe(first.items[1].id);
    const second = (await call('GET', `/v1/audit?limit=2&cursor=${first.next_cursor}`, KEYS.admin)).json();
    expect(second.items.length).toBeGreaterThan(0);
    expect(newer(first.items[1].id, second.items[0].id)).toBe(true);
    // Refused attempts to read it are audited too; the listing never shows a key.
    const all = (await call('GET', '/v1/audit?limit=1000', KEYS.admin)).json();
    expect(
      all.items.some((e: { route: string; status: number }) => e.route === '/v1/audit' && e.status === 403),
    ).toBe(true);
    expect(JSON.stringify(all)).not.toMatch(/admin-key|read-key/);
    expect((await call('GET', '/v1/audit?cursor=not-an-id', KEYS.admin)).statusCode).toBe(400);
  });
});

describe('rate limits and refused bodies', () => {
  it('limits each key on its own, with 429 + Retry-After and the standard body', async () => {
    const logger = createLogger('test', 'silent');
    const local = new Shutdown(logger, 5000);
    const config = loadConfig({
      REDIS_URL: fx.url,
      QUEUE_PREFIX: fx.prefix,
      LOG_LEVEL: 'silent',
      TRIAGE_READ_KEYS: 'r1,r2',
      RATE_LIMIT_PER_KEY: '3/min',
    });
    const d = createIngestDeps(config, logger, local);
    await waitForRedis(d.redis, fx.url);
    const limited = await buildApp(d);
    try {
      const get = (key: string) =>
        limited.inject({ method: 'GET', url: '/metrics', headers: { 'x-api-key': key } });
      for (let i = 0; i < 3; i++) expect((await get('r1')).statusCode).toBe(200);
      const over = await get('r1');
      expect(over.statusCode).toBe(429);
      expect(over.json().error.code).toBe('RATE_LIMITED');
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
      expect((await get('r2')).statusCode).toBe(200);
    } finally {
      await limited.close();
      await local.run('test');
    }
  });

  it('closes the connection of a refused request instead of reading its body', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const sock = connect({ port, host: '127.0.0.1' });
    let answer = '';
    const closed = new Promise<number>((resolve) => {
      sock.on('data', (d) => {
        answer += d.toString();
      });
      sock.on('close', () => resolve(Date.now()));
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const started = Date.now();
    // Announces 10 MB and sends a trickle: a server that drained the body would keep the socket.
    sock.write(
      'POST /v1/alerts HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 10000000\r\n\r\n{',
    );
    const timer = setInterval(() => sock.writable && sock.write('"a":1,'), 100);
    const at = await closed;
    clearInterval(timer);
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(at - started).toBeLessThan(5000);
  });
});
