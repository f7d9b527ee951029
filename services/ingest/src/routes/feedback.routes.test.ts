import { type Feedback, JOBS, type NormalizedAlert, type TriageResult } from '@triage/contracts';
import { createLogger, loadConfig, Shutdown, waitForRedis } from '@triage/runtime';
import { type RedisFixture, redisFixture } from '@triage/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.ts';
import type { AppDeps } from '../app-deps.ts';
import { createIngestDeps } from '../wiring.ts';

let fx: RedisFixture;
let app: FastifyInstance;
let deps: AppDeps;
let shutdown: Shutdown;

const alert: NormalizedAlert = {
  format: 'wazuh',
  name: 'ClamAV database update',
  severity: 'Low',
  host: 'mail',
  fingerprint: 'fp-clam',
  raw: {},
  signals: {
    detection: { vendor: 'wazuh', rule_id: '52502', rule_name: 'ClamAV database update' },
    host: { name: 'mail' },
    provenance: {
      'detection.vendor': { origin: 'metadata' },
      'detection.rule_id': { origin: 'metadata' },
      'detection.rule_name': { origin: 'metadata' },
      'host.name': { origin: 'metadata' },
    },
  },
};
const review: TriageResult = {
  classification: 'NEEDS_REVIEW',
  confidence: 55,
  severity: 'Low',
  title: 'Review: ClamAV database update',
  reasoning: ['Rules score +0.5.'],
  mitre: [],
  threat_intel: {},
  decided_by: 'rules',
  flags: [],
  performance: { processing_time: 0, from_cache: false, cost: '$0.0000', tokens: { input: 0, output: 0 } },
  disposition: 'escalate',
};

async function completed(id: string, batch?: string): Promise<void> {
  await deps.store.create(
    [{ id, alert, received_at: new Date().toISOString(), ...(batch ? { batch_id: batch } : {}) }],
    batch,
  );
  await deps.store.setStage(id, 'classifying');
  await deps.store.complete(id, review, batch);
}

const post = (id: string, body: unknown) =>
  app.inject({
    method: 'POST',
    url: `/v1/alerts/${id}/feedback`,
    payload: body as object,
    headers: { authorization: 'Bearer k1' },
  });

beforeAll(async () => {
  fx = await redisFixture('feedback-routes');
  const config = loadConfig({
    REDIS_URL: fx.url,
    QUEUE_PREFIX: fx.prefix,
    LOG_LEVEL: 'silent',
    TRIAGE_ANALYST_KEYS: 'k1',
    TRIAGE_READ_KEYS: 'r1',
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

describe('feedback API', () => {
  it('201: stores the feedback with who, when and the key; changes the alert and delivers it again', async () => {
    await completed('a1', 'b1');
    const res = await post('a1', {
      verdict: 'FALSE_POSITIVE',
      comment: 'signature updates, every hour',
      analyst: 'dana',
    });
    expect(res.statusCode).toBe(201);
    const fb = res.json() as Feedback;
    expect(fb).toMatchObject({
      alert_id: 'a1',
      verdict: 'FALSE_POSITIVE',
      scope: 'similar',
      analyst: 'dana',
      key_id: expect.stringMatching(/^key:[0-9a-f]{12}$/),
      changed: {
        from: { classification: 'NEEDS_REVIEW', decided_by: 'rules' },
        to: { classification: 'FALSE_POSITIVE' },
      },
      similarity: { anchored: true, text: expect.stringContaining('on host mail') },
    });
    expect(JSON.stringify(fb)).not.toContain('k1');
    expect(fb.similarity.parts.map((p) => p.name)).toEqual(['detection', 'detection_name', 'host']);

    const view = await deps.store.get('a1');
    expect(view?.result).toMatchObject({
      classification: 'FALSE_POSITIVE',
      decided_by: 'memory',
      disposition: 'recommended_close',
    });
    expect(view?.result?.reasoning[0]).toContain(fb.id);
    expect(await deps.store.batchSummary('b1')).toMatchObject({ false_positive: 1, needs_review: 0 });
    const job = await deps.queues.get(JOBS.results.name)!.getJob(`a1-${fb.id}`);
    expect(job?.data).toMatchObject({
      alert_id: 'a1',
      feedback: { id: fb.id },
      result: { classification: 'FALSE_POSITIVE' },
    });

    const list = await app.inject({
      method: 'GET',
      url: '/v1/feedback?limit=10',
      headers: { authorization: 'Bearer k1' },
    });
    expect(list.json()).toMatchObject({ items: [{ id: fb.id }], next_cursor: null });
  });

  it('404 for an unknown alert, 400 for a bad body, 409 before the verdict', async () => {
    const e404 = await post('nope', { verdict: 'FALSE_POSITIVE' });
    expect(e404.statusCode).toBe(404);
    expect(e404.json().error.code).toBe('NOT_FOUND');
    await completed('a2');
    for (const body of [
      { verdict: 'BENIGN' },
      {},
      { verdict: 'FALSE_POSITIVE', scope: 'everything' },
      { verdict: 'FALSE_POSITIVE', expires_in_days: 0 },
      { verdict: 'FALSE_POSITIVE', comment: 'x'.repeat(2001) },
      { verdict: 'FALSE_POSITIVE', scpoe: 'alert' },
      [],
    ]) {
      const res = await post('a2', body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: expect.any(Array) });
    }
    await deps.store.create([{ id: 'a3', alert, received_at: new Date().toISOString() }]);
    const early = await post('a3', { verdict: 'TRUE_POSITIVE' });
    expect(early.statusCode).toBe(409);
    expect(early.json().error.code).toBe('NOT_TRIAGED');
    const none = await app.inject({
      method: 'DELETE',
      url: '/v1/feedback/fb_missing',
      headers: { authorization: 'Bearer k1' },
    });
    expect(none.statusCode).toBe(404);
    const wrong = await app.inject({
      method: 'PUT',
      url: '/v1/feedback/fb_missing',
      headers: { authorization: 'Bearer k1' },
    });
    expect(wrong.statusCode).toBe(405);
    const anon = await app.inject({
      method: 'POST',
      url: '/v1/alerts/a2/feedback',
      payload: { verdict: 'TRUE_POSITIVE' },
    });
    expect(anon.statusCode).toBe(401);
    // A read-only key reads feedback but may not give it: that needs the analyst scope.
    const reader = { authorization: 'Bearer r1' };
    expect((await app.inject({ method: 'GET', url: '/v1/feedback', headers: reader })).statusCode).toBe(200);
    const refused = await app.inject({
      method: 'POST',
      url: '/v1/alerts/a2/feedback',
      payload: { verdict: 'TRUE_POSITIVE' },
      headers: reader,
    });
    expect(refused.statusCode).toBe(403);
  });

  it('DELETE revokes: kept for the audit, no longer deciding; GET filters by alert', async () => {
    await completed('a4');
    const fb = (
      await post('a4', { verdict: 'TRUE_POSITIVE', scope: 'alert', expires_in_days: 30 })
    ).json() as Feedback;
    expect(fb.expires_at).toBeDefined();
    expect(fb.analyst).toMatch(/^key:/);
    const del = await app.inject({
      method: 'DELETE',
      url: `/v1/feedback/${fb.id}`,
      headers: { authorization: 'Bearer k1' },
    });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toMatchObject({ id: fb.id, revoked_by: expect.stringMatching(/^key:/) });
    expect(await deps.memory.feedback.activeFor([fb.similarity.key])).toEqual([]);
    const byAlert = await app.inject({
      method: 'GET',
      url: '/v1/feedback?alert_id=a4',
      headers: { authorization: 'Bearer k1' },
    });
    expect(byAlert.json().items).toEqual([
      expect.objectContaining({ id: fb.id, revoked_at: expect.any(String) }),
    ]);
    const audit = await deps.memory.feedback.audit(10);
    expect(audit.slice(0, 2).map((a) => [a.action, a.feedback_id])).toEqual([
      ['revoked', fb.id],
      ['created', fb.id],
    ]);
  });

  it('is in the OpenAPI document, and so are the new result fields', async () => {
    const doc = (
      await app.inject({ method: 'GET', url: '/docs/json', headers: { authorization: 'Bearer k1' } })
    ).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/alerts/{id}/feedback', '/v1/feedback', '/v1/feedback/{id}']),
    );
    expect(doc.paths['/v1/feedback/{id}'].delete).toBeDefined();
    const view = JSON.stringify(doc.components.schemas.TriageResult);
    for (const field of ['similarity', 'memory', 'incident_id', 'disposition', 'memory_conflict'])
      expect(view).toContain(field);
  });

  it('GET /v1/incidents lists incidents (filters, paging) and GET /v1/incidents/:id shows one; 404 unknown', async () => {
    const t0 = Date.UTC(2025, 3, 1);
    const m = (alertId: string, min: number, tactics: string[]) => ({
      alertId,
      entity: { type: 'host' as const, value: 'WEB-9' },
      entities: ['host:web-9', 'user:www-data'],
      eventMs: t0 + min * 60_000,
      classification: 'NEEDS_REVIEW' as const,
      tactics,
      detection: `d-${alertId}`,
    });
    await deps.memory.incidents.assign(m('i1', 0, ['discovery']));
    await deps.memory.incidents.assign(m('i2', 5, ['execution']));
    const last = await deps.memory.incidents.assign(m('i3', 9, ['persistence']));
    const auth = { authorization: 'Bearer k1' };
    const list = await app.inject({
      method: 'GET',
      url: '/v1/incidents?entity=web-9&status=open',
      headers: auth,
    });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({
      items: [{ id: last.incidentId, alert_count: 3, verdict: 'TRUE_POSITIVE' }],
      next_cursor: null,
    });
    const one = await app.inject({ method: 'GET', url: `/v1/incidents/${last.incidentId}`, headers: auth });
    expect(one.json()).toMatchObject({
      alert_ids: ['i1', 'i2', 'i3'],
      entities: ['host:web-9', 'user:www-data'],
      chain: ['discovery', 'execution', 'persistence'],
      tactics: [{ tactic: 'discovery', alert_id: 'i1' }, { tactic: 'execution' }, { tactic: 'persistence' }],
      first_seen: new Date(t0).toISOString(),
    });
    expect(
      (await app.inject({ method: 'GET', url: '/v1/incidents/inc_nope', headers: auth })).statusCode,
    ).toBe(404);
    const bad = await app.inject({ method: 'GET', url: '/v1/incidents?status=sleeping', headers: auth });
    expect(bad.statusCode).toBe(400);
  });
});
