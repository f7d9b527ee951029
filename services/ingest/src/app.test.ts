import { Readable } from 'node:stream';
import { JOBS } from '@triage/contracts';
import { createLogger, loadConfig, Shutdown, waitForRedis } from '@triage/runtime';
import { type RedisFixture, redisFixture, waitFor } from '@triage/testing';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import type { AppDeps } from './app-deps.ts';
import { readLines } from './plugins/body.plugin.ts';
import { createIngestDeps } from './wiring.ts';

let fx: RedisFixture;
let app: FastifyInstance;
let deps: AppDeps;
let shutdown: Shutdown;

const original = {
  name: 'Brute Force',
  alert: { user: 'alice', source_ip: '185.220.101.52', failed_logins: 12, success: true, severity: 'High' },
};

async function enrichJobs(): Promise<number> {
  const c = await deps.enrichQueue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
  return Object.values(c).reduce((a, b) => a + b, 0);
}

function post(url: string, payload: string | Buffer, contentType = 'application/json') {
  return app.inject({ method: 'POST', url, payload, headers: { 'content-type': contentType } });
}

beforeAll(async () => {
  fx = await redisFixture('ingest-app');
  const config = loadConfig({
    REDIS_URL: fx.url,
    QUEUE_PREFIX: fx.prefix,
    LOG_LEVEL: 'silent',
    BATCH_MAX_ITEMS: '50',
    MAX_JSON_DEPTH: '20',
    MAX_FIELD_BYTES: '4096',
    ALERT_BODY_LIMIT_BYTES: '65536',
    BATCH_BODY_LIMIT_BYTES: '262144',
    ANALYZE_WAIT_MS: '200',
  });
  const logger = createLogger('test', 'silent');
  shutdown = new Shutdown(logger, 5000);
  deps = createIngestDeps(config, logger, shutdown);
  await waitForRedis(deps.redis, fx.url);
  app = await buildApp(deps);
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await shutdown.run('test');
  await fx.close();
});

function expectError(res: { statusCode: number; json: () => unknown }, status: number, code: string) {
  expect(res.statusCode).toBe(status);
  const body = res.json() as { error: { code: string; message: string; details: unknown[] } };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(Array.isArray(body.error.details)).toBe(true);
}

describe('bad input never reaches a queue', () => {
  const cases: Array<[string, () => ReturnType<typeof post>, number, string]> = [
    ['invalid JSON', () => post('/v1/alerts', '{"name": "x", '), 400, 'INVALID_JSON'],
    ['empty body', () => post('/v1/alerts', ''), 400, 'EMPTY_BODY'],
    ['whitespace body', () => post('/v1/alerts', '   \n'), 400, 'EMPTY_BODY'],
    [
      'wrong content type',
      () => post('/v1/alerts', 'name=x', 'application/x-www-form-urlencoded'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'text/plain',
      () => post('/v1/alerts', JSON.stringify(original), 'text/plain'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'array instead of object',
      () => post('/v1/alerts', JSON.stringify([original])),
      400,
      'VALIDATION_FAILED',
    ],
    ['string instead of object', () => post('/v1/alerts', '"an alert"'), 400, 'VALIDATION_FAILED'],
    ['number instead of object', () => post('/v1/alerts', '42'), 400, 'VALIDATION_FAILED'],
    ['null', () => post('/v1/alerts', 'null'), 400, 'EMPTY_BODY'],
    [
      'deep nesting',
      () => post('/v1/alerts', `${'{"a":'.repeat(30)}1${'}'.repeat(30)}`),
      400,
      'NESTING_TOO_DEEP',
    ],
    [
      'deep arrays',
      () => post('/v1/alerts', `${'['.repeat(100000)}${']'.repeat(100000)}`),
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    [
      'deep arrays under the size limit',
      () => post('/v1/alerts', `${'['.repeat(5000)}${']'.repeat(5000)}`),
      400,
      'NESTING_TOO_DEEP',
    ],
    [
      '__proto__ key',
      () => post('/v1/alerts', '{"name":"x","alert":{"__proto__":{"admin":true}}}'),
      400,
      'FORBIDDEN_KEY',
    ],
    [
      'constructor key',
      () => post('/v1/alerts', '{"name":"x","alert":{"constructor":{"prototype":{"x":1}}}}'),
      400,
      'FORBIDDEN_KEY',
    ],
    [
      'NUL byte escaped',
      () => post('/v1/alerts', '{"name":"x\\u0000y","alert":{}}'),
      400,
      'INVALID_ENCODING',
    ],
    ['raw NUL byte', () => post('/v1/alerts', Buffer.from('{"name":"x\u0000y"}')), 400, 'INVALID_JSON'],
    [
      'invalid UTF-8',
      () => post('/v1/alerts', Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])),
      400,
      'INVALID_ENCODING',
    ],
    [
      'huge string field',
      () => post('/v1/alerts', JSON.stringify({ name: 'x', alert: { cmd: 'A'.repeat(5000) } })),
      400,
      'FIELD_TOO_LARGE',
    ],
    [
      'body over the limit',
      () => post('/v1/alerts', JSON.stringify({ name: 'x', alert: { a: Array(20000).fill('abcd') } })),
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    [
      'batch over the item limit',
      () => post('/v1/alerts/batch', JSON.stringify({ alerts: Array(51).fill(original) })),
      400,
      'TOO_MANY_ITEMS',
    ],
    [
      'NDJSON over the item limit',
      () =>
        post('/v1/alerts/batch', Array(51).fill(JSON.stringify(original)).join('\n'), 'application/x-ndjson'),
      400,
      'TOO_MANY_ITEMS',
    ],
    ['batch without alerts', () => post('/v1/alerts/batch', '{"items": []}'), 400, 'VALIDATION_FAILED'],
    ['batch with empty alerts', () => post('/v1/alerts/batch', '{"alerts": []}'), 400, 'VALIDATION_FAILED'],
    [
      'batch of only bad items',
      () => post('/v1/alerts/batch', '{"alerts": [1, "x", null]}'),
      400,
      'VALIDATION_FAILED',
    ],
    [
      'NDJSON to the single route',
      () => post('/v1/alerts', JSON.stringify(original), 'application/x-ndjson'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    ['unknown format', () => post('/v1/alerts?format=nope', JSON.stringify(original)), 400, 'UNKNOWN_FORMAT'],
    ['/analyze with an array', () => post('/analyze', '[1,2]'), 400, 'VALIDATION_FAILED'],
    ['/batch with invalid JSON', () => post('/batch', '{"alerts": ['), 400, 'INVALID_JSON'],
    // Hostile or sloppy original-format bodies that used to be triaged as something else.
    [
      'original envelope with a string alert',
      () => post('/v1/alerts', '{"name":"x","alert":"user=admin src=185.220.101.52"}'),
      400,
      'VALIDATION_FAILED',
    ],
    [
      'original name as an array',
      () => post('/v1/alerts', '{"name":["x"],"alert":{"user":"a"}}'),
      400,
      'VALIDATION_FAILED',
    ],
    [
      'original source_ip as a number',
      () => post('/analyze', '{"name":"x","alert":{"source_ip":12345}}'),
      400,
      'VALIDATION_FAILED',
    ],
    ['an empty object', () => post('/v1/alerts', '{}'), 400, 'VALIDATION_FAILED'],
  ];
  for (const [name, send, status, code] of cases) {
    it(`${name} → ${status} ${code}`, async () => {
      const before = await enrichJobs();
      expectError(await send(), status, code);
      expect(await enrichJobs()).toBe(before);
    });
  }

  it('names the offending field of a mistyped original alert, in the message and the details', async () => {
    const cases: Array<[string, string, string]> = [
      ['/v1/alerts', '{"name":"x","alert":"user=admin src=185.220.101.52"}', 'alert'],
      ['/v1/alerts', '{"name":["x"],"alert":{"user":"a"}}', 'name'],
      ['/v1/alerts', '{"name":"x","alert":{"source_ip":12345}}', 'alert.source_ip'],
      ['/analyze', '{"name":"x","alert":{"failed_logins":"many"}}', 'alert.failed_logins'],
    ];
    for (const [url, body, field] of cases) {
      const res = await post(url, body);
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(res.json().error.message, body).toContain(`${field}:`);
      expect(res.json().error.details, body).toEqual([{ path: field, message: expect.any(String) }]);
    }
    // A batch with no good item lists each item's place and field, on both batch routes.
    const batch = '{"alerts":[{},{"name":["x"],"alert":{"user":"a"}},{"name":"x","alert":{"source_ip":1}}]}';
    for (const url of ['/v1/alerts/batch', '/batch']) {
      const res = await post(url, batch);
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(res.json().error.details.map((d: { path: string }) => d.path)).toEqual([
        'alerts[0]',
        'alerts[1].name',
        'alerts[2].alert.source_ip',
      ]);
    }
    // A batch with good items accepts them and names the field of the rejected one.
    const mixed = await post(
      '/v1/alerts/batch',
      '{"alerts":[{"name":"ok","alert":{"user":"a"}},{"name":["x"],"alert":{"user":"a"}}]}',
    );
    expect(mixed.statusCode).toBe(202);
    expect(mixed.json().rejected).toEqual([
      {
        index: 1,
        error: { code: 'VALIDATION_FAILED', message: expect.stringContaining('name:'), path: 'name' },
      },
    ]);
  });

  it('a URL that cannot be decoded → 400 with the standard body', async () => {
    for (const url of ['/v1/alerts/%00%ff', '/v1/batches/%E0%A4%A', '/v1/alerts/%']) {
      const res = await app.inject({ method: 'GET', url });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(res.json().error.details[0].path).toBe('url');
    }
  });

  it('unknown route → 404, wrong method → 405 with Allow', async () => {
    expectError(await app.inject({ method: 'GET', url: '/nope' }), 404, 'NOT_FOUND');
    const res = await app.inject({ method: 'DELETE', url: '/v1/alerts' });
    expectError(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.allow).toBe('POST');
    expectError(await app.inject({ method: 'GET', url: '/analyze' }), 405, 'METHOD_NOT_ALLOWED');
  });

  it('no prototype pollution and the server stays healthy after hostile input', async () => {
    await post('/v1/alerts', '{"__proto__":{"polluted":true},"name":"x"}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json().status).toBe('ok');
  });
});

describe('accepting alerts', () => {
  it('queues one alert with a severity priority and shows it', async () => {
    const res = await post('/v1/alerts', JSON.stringify(original));
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body).toMatchObject({ status: 'queued', links: { self: `/v1/alerts/${body.id}` } });
    const job = await deps.enrichQueue.getJob(body.id);
    expect(job?.data).toEqual({ alert_id: body.id });
    expect(job?.opts.priority).toBe(2);
    const view = await app.inject({ method: 'GET', url: `/v1/alerts/${body.id}` });
    expect(view.statusCode).toBe(200);
    expect(view.json()).toMatchObject({
      id: body.id,
      status: 'queued',
      alert: { name: 'Brute Force', src_ip: '185.220.101.52', user: 'alice' },
    });
  });

  it('accepts the good items of a batch and reports the bad ones by index', async () => {
    const res = await post(
      '/v1/alerts/batch',
      JSON.stringify({ alerts: [original, 'nope', { ...original, name: 'second' }, [1]] }),
    );
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body.accepted).toBe(2);
    expect(body.ids).toHaveLength(2);
    expect(body.rejected.map((r: { index: number }) => r.index)).toEqual([1, 3]);
    for (const r of body.rejected) expect(r.error.code).toBe('VALIDATION_FAILED');
    const batch = await app.inject({ method: 'GET', url: `/v1/batches/${body.batch_id}` });
    expect(batch.json()).toMatchObject({
      batch_id: body.batch_id,
      summary: { total: 2, completed: 0 },
      next_cursor: null,
    });
    expect(batch.json().results.map((r: { id: string }) => r.id)).toEqual(body.ids);
  });

  it('accepts NDJSON, rejecting bad lines alone', async () => {
    const lines = [
      JSON.stringify(original),
      '{"broken":',
      JSON.stringify({ ...original, name: 'third' }),
      '{"__proto__":{}}',
    ].join('\n');
    const res = await post('/v1/alerts/batch', lines, 'application/x-ndjson');
    expect(res.statusCode).toBe(202);
    expect(res.json().accepted).toBe(2);
    expect(
      res.json().rejected.map((r: { index: number; error: { code: string } }) => [r.index, r.error.code]),
    ).toEqual([
      [1, 'INVALID_JSON'],
      [3, 'FORBIDDEN_KEY'],
    ]);
  });

  it('pages batch results with a cursor', async () => {
    const alerts = Array.from({ length: 5 }, (_, i) => ({ ...original, name: `page ${i}` }));
    const { batch_id, ids } = (await post('/v1/alerts/batch', JSON.stringify({ alerts }))).json();
    const p1 = (await app.inject({ method: 'GET', url: `/v1/batches/${batch_id}?limit=2` })).json();
    expect(p1.results.map((r: { id: string }) => r.id)).toEqual(ids.slice(0, 2));
    expect(p1.next_cursor).toBe('2');
    const p3 = (await app.inject({ method: 'GET', url: `/v1/batches/${batch_id}?limit=2&cursor=4` })).json();
    expect(p3.results).toHaveLength(1);
    expect(p3.next_cursor).toBeNull();
  });

  it('unknown ids are 404', async () => {
    expectError(await app.inject({ method: 'GET', url: '/v1/alerts/does-not-exist' }), 404, 'NOT_FOUND');
    expectError(await app.inject({ method: 'GET', url: '/v1/batches/does-not-exist' }), 404, 'NOT_FOUND');
  });

  it('/analyze answers 202 with the id when no worker runs within the wait', async () => {
    const res = await post('/analyze', JSON.stringify(original));
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ status: 'queued', alert_name: 'Brute Force' });
  });

  it('serves OpenAPI, metrics and Bull Board', async () => {
    const docs = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(docs.json().openapi).toBe('3.1.0');
    expect(Object.keys(docs.json().paths)).toContain('/v1/alerts/batch');
    await deps.metrics.flush();
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain(`triage_queue_jobs{queue="${JOBS.enrich.name}",state="prioritized"}`);
    expect(metrics.body).toMatch(/triage_alerts_received_total\{format="original"\} \d+/);
    const board = await app.inject({ method: 'GET', url: '/admin/queues' });
    expect(board.statusCode).toBe(200);
    expect(board.body).toContain('<html');
  });
});

describe('backpressure', () => {
  /** Ingest deps on `on`'s Redis and prefix with ENRICH_MAX_BACKLOG = `max`. */
  const limited = (on: RedisFixture, max: string) => {
    const logger = createLogger('test', 'silent');
    const sd = new Shutdown(logger, 5000);
    const env = { REDIS_URL: on.url, QUEUE_PREFIX: on.prefix, LOG_LEVEL: 'silent', ENRICH_MAX_BACKLOG: max };
    return { sd, small: createIngestDeps(loadConfig(env), logger, sd) };
  };

  it('answers 503 with Retry-After when the enrich backlog is full', async () => {
    const { sd, small } = limited(fx, '1');
    const a = await buildApp(small);
    const res = await a.inject({ method: 'POST', url: '/v1/alerts', payload: original });
    expectError(res, 503, 'BACKPRESSURE');
    expect(res.headers['retry-after']).toBeDefined();
    await a.close();
    await sd.run('test');
  });

  it('counts the alerts waiting at classify too: a slow classify stage cannot pile up without bound', async () => {
    const own = await redisFixture('ingest-backpressure');
    const { sd, small } = limited(own, '3');
    const a = await buildApp(small);
    try {
      expect((await a.inject({ method: 'POST', url: '/v1/alerts', payload: original })).statusCode).toBe(202);
      // Two enriched alerts waiting for classify, one for enrich: the limit of 3 is reached.
      const classify = small.queues.get(JOBS.classify.name)!;
      await classify.add(JOBS.classify.name, { alert_id: 'c1' }, { jobId: 'c1', priority: 3 });
      await classify.add(JOBS.classify.name, { alert_id: 'c2' }, { jobId: 'c2', priority: 3 });
      await waitFor(
        async () => {
          const res = await a.inject({ method: 'POST', url: '/v1/alerts', payload: original });
          return res.statusCode === 503 && res;
        },
        { timeoutMs: 5000, message: 'backpressure (the depth is read every 500 ms)' },
      ).then((res) => expectError(res, 503, 'BACKPRESSURE'));
      const health = await waitFor(
        async () => {
          const h = (await a.inject({ method: 'GET', url: '/health' })).json();
          return h.status === 'backpressure' && h;
        },
        { timeoutMs: 5000, message: '/health backpressure' },
      );
      // The depth is read every 500 ms: posts within that window were still accepted.
      expect(health.backlog.limit).toBe(3);
      expect(health.queues[JOBS.classify.name].prioritized).toBe(2);
    } finally {
      await a.close();
      await sd.run('test');
      await own.close();
    }
  });
});

describe('NDJSON bodies read as they arrive', () => {
  /** An NDJSON batch sent in these chunks, with no Content-Length (chunked, as a forwarder streams). */
  const stream = (chunks: Buffer[]) =>
    app.inject({
      method: 'POST',
      url: '/v1/alerts/batch',
      payload: Readable.from(chunks),
      headers: { 'content-type': 'application/x-ndjson' },
    });
  const line = (name: string) => Buffer.from(`${JSON.stringify({ ...original, name })}\n`);

  it('a character and a line split between chunks are read whole', async () => {
    const first = line('Connexion refusée — é');
    const cut = first.indexOf(Buffer.from('é')) + 1; // inside the two bytes of the first é
    const res = await stream([
      first.subarray(0, cut),
      first.subarray(cut, cut + 5),
      first.subarray(cut + 5),
      line('second'),
    ]);
    expect(res.statusCode).toBe(202);
    const { ids } = res.json();
    expect(ids).toHaveLength(2);
    expect((await deps.store.get(ids[0]))?.alert.name).toBe('Connexion refusée — é');
  });

  it('attack: invalid UTF-8 in a later chunk refuses the whole body, nothing enqueued', async () => {
    const before = await enrichJobs();
    const res = await stream([line('fine'), Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d, 0x0a])]);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('INVALID_ENCODING');
    expect(await enrichJobs()).toBe(before);
  });

  it('attack: a body past the limit without Content-Length is answered 413 as it passes the limit', async () => {
    // 300 chunks of 1 KiB blank-padded lines: more than BATCH_BODY_LIMIT_BYTES (256 KiB) in all.
    const chunk = Buffer.from(`${' '.repeat(1023)}\n`);
    const res = await stream(Array.from({ length: 300 }, () => chunk));
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('a body of blank lines only is empty', async () => {
    const res = await stream([Buffer.from('\n  \r\n'), Buffer.from('\t\n')]);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('EMPTY_BODY');
  });
});

describe('NDJSON bodies with more lines than a batch takes', () => {
  it('attack: 100,000 two-byte lines are refused as too many, the lines past the limit counted, not kept', async () => {
    const body = Buffer.from('x\n'.repeat(100_000));
    const res = await post('/v1/alerts/batch', body, 'application/x-ndjson');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'TOO_MANY_ITEMS',
      message: 'The batch has 100000 alerts; the limit is 50',
    });
    // What the parser hands on: the count, and no more lines than the limit.
    const read = await readLines(
      { routeOptions: { bodyLimit: 1 << 20 } as FastifyRequest['routeOptions'], headers: {} },
      Readable.from([body.subarray(0, 7), body.subarray(7)]),
      50,
    );
    expect(read.count).toBe(100_000);
    expect(read.lines).toHaveLength(50);
  });
});
