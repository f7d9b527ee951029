import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AlertAccepted, BatchAccepted, ErrorBody, HealthView } from '@triage/contracts';
import { createLogger, loadConfig, Shutdown, waitForRedis } from '@triage/runtime';
import { type RedisFixture, redisFixture } from '@triage/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import { createIngestDeps } from './wiring.ts';

/** Open to probes without a key; they have no input, so no 4xx. */
const PROBES = new Set(['GET /health', 'GET /livez', 'GET /readyz']);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);

type Operation = {
  operationId?: string;
  tags?: string[];
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
};

let fx: RedisFixture;
let app: FastifyInstance;
let shutdown: Shutdown;
let spec: { paths: Record<string, Record<string, Operation>>; servers: unknown[]; tags: unknown[] };

beforeAll(async () => {
  fx = await redisFixture('ingest-docs');
  const logger = createLogger('test', 'silent');
  shutdown = new Shutdown(logger, 5000);
  const config = loadConfig({ REDIS_URL: fx.url, QUEUE_PREFIX: fx.prefix, LOG_LEVEL: 'silent' });
  const deps = createIngestDeps(config, logger, shutdown);
  await waitForRedis(deps.redis, fx.url);
  app = await buildApp(deps);
  spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
});
afterAll(async () => {
  await app.close();
  await shutdown.run('test');
  await fx.close();
});

const operations = () =>
  Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })),
  );

describe('OpenAPI generated from the route schemas', () => {
  it('serves Swagger UI at /docs and the document at /docs/json and /docs/yaml', async () => {
    const ui = await app.inject({ method: 'GET', url: '/docs' });
    const page = ui.statusCode === 302 ? await app.inject({ method: 'GET', url: ui.headers.location! }) : ui;
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('swagger-ui');
    const yaml = await app.inject({ method: 'GET', url: '/docs/yaml' });
    expect(yaml.body).toMatch(/^openapi: 3\.1\.0/m);
  });

  it('documents every route with an operationId, a tag and the standard error body', () => {
    const ops = operations();
    expect(ops.map((o) => o.route).sort()).toEqual(
      [
        'GET /health',
        'GET /livez',
        'GET /readyz',
        'GET /metrics',
        'GET /v1/alerts/{id}',
        'GET /v1/audit',
        'GET /v1/batches',
        'GET /v1/batches/{id}',
        'GET /v1/limits',
        'POST /analyze',
        'POST /batch',
        'POST /v1/alerts',
        'POST /v1/alerts/batch',
        'POST /v1/batches/{id}/pause',
        'POST /v1/batches/{id}/resume',
        'POST /v1/alerts/{id}/feedback',
        'GET /v1/feedback',
        'GET /v1/feedback/{id}',
        'DELETE /v1/feedback/{id}',
        'GET /v1/incidents',
        'GET /v1/incidents/{id}',
      ].sort(),
    );
    expect(spec.servers.length).toBeGreaterThan(0);
    const ids = new Set<string>();
    for (const { route, op } of ops) {
      expect(op.operationId, route).toBeTruthy();
      ids.add(op.operationId!);
      expect(op.tags?.length, route).toBe(1);
      for (const [status, res] of Object.entries(op.responses)) {
        if (Number(status) < 400 || PROBES.has(route)) continue;
        expect(res.content?.['application/json']?.schema.$ref, `${route} ${status}`).toBe(
          '#/components/schemas/Error',
        );
      }
      // Probes reach /health, /livez and /readyz without a key; every other route needs one.
      if (PROBES.has(route)) expect(op.security).toEqual([]);
      else expect(Object.keys(op.responses), route).toEqual(expect.arrayContaining(['401', '403', '500']));
    }
    expect(ids.size).toBe(ops.length);
  });

  it('documents both webhook events, their signature headers and bodies, and the memory fields of a result', () => {
    const doc = spec as unknown as {
      webhooks: Record<string, { post: { parameters: Array<{ name: string }>; requestBody: unknown } }>;
      components: { schemas: Record<string, { properties?: Record<string, { description?: string }> }> };
    };
    expect(Object.keys(doc.webhooks).sort()).toEqual(['alert.verdict', 'incident.updated']);
    for (const hook of Object.values(doc.webhooks)) {
      expect(hook.post.parameters.map((p) => p.name)).toEqual([
        'webhook-id',
        'webhook-timestamp',
        'webhook-signature',
      ]);
      // Every reference inside a body resolves to a component of this document.
      for (const [, name] of JSON.stringify(hook.post.requestBody).matchAll(
        /"#\/components\/schemas\/([^"]+)"/g,
      ))
        expect(doc.components.schemas[name!], name).toBeDefined();
      expect(JSON.stringify(hook.post.requestBody)).not.toContain('$defs');
    }
    const body = JSON.stringify(doc.webhooks['incident.updated']!.post.requestBody);
    expect(body).toContain('"const":"incident.updated"');
    expect(body).toContain('"revision"');
    expect(JSON.stringify(doc.webhooks['alert.verdict']!.post.requestBody)).toContain(
      '#/components/schemas/TriageResult',
    );
    const result = doc.components.schemas.TriageResult!.properties!;
    for (const field of ['incident_id', 'disposition', 'memory', 'similarity'])
      expect(result[field]?.description, field).toBeTruthy();
  });

  it('documents what the routes really answer', async () => {
    const alert = { name: 'Brute Force', alert: { user: 'alice', source_ip: '185.220.101.52' } };
    const one = await app.inject({ method: 'POST', url: '/v1/alerts', payload: alert });
    expect(AlertAccepted.parse(one.json()).status).toBe('queued');
    const batch = await app.inject({
      method: 'POST',
      url: '/v1/alerts/batch',
      payload: { alerts: [alert, 7] },
    });
    expect(BatchAccepted.parse(batch.json()).rejected).toHaveLength(1);
    const bad = await app.inject({ method: 'GET', url: '/v1/batches/x?limit=0' });
    expect(bad.statusCode).toBe(400);
    expect(ErrorBody.parse(bad.json()).error.code).toBe('VALIDATION_FAILED');
    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(HealthView.parse(health.json()).status).toBe('ok');
  });

  it('passes Redocly lint with no error and no warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'triage-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(spec));
      const { stdout } = await run(
        join(ROOT, 'node_modules/.bin/redocly'),
        ['lint', file, '--format=json', `--config=${join(ROOT, 'redocly.yaml')}`],
        {
          cwd: ROOT,
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        },
      ).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
      const report = JSON.parse(stdout) as {
        totals: { errors: number; warnings: number };
        problems: Array<{ ruleId: string; message: string }>;
      };
      expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
