/**
 * The backlog lane with real queues and real worker processes: a live alert overtakes a queued
 * backlog at every stage, a paused backlog parks (losing nothing, blocking nothing) and resumes,
 * and a batch request repeated with its Idempotency-Key is accepted once.
 */
import { readFileSync } from 'node:fs';
import { BACKLOG_PRIORITY_OFFSET, JOBS } from '@triage/contracts';
import { createQueue } from '@triage/runtime';
import {
  type RedisFixture,
  type RunningPipeline,
  readJson,
  redisFixture,
  startPipeline,
  waitFor,
} from '@triage/testing';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const lines = readFileSync(
  new URL('../fixtures/wazuh/wazuh_alerts_aitads_no_attack_100.ndjson', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter((l) => l.trim());

/** `n` distinct real Wazuh alerts (a new alert id each, as a real backlog would have). */
function backlog(n: number, tag: string): string {
  return Array.from({ length: n }, (_, i) => {
    const a = JSON.parse(lines[i % lines.length]!);
    a.id = `${tag}-${i}`;
    return JSON.stringify(a);
  }).join('\n');
}

let fx: RedisFixture;
let pipeline: RunningPipeline;
let conn: Redis;
let enrich: Queue;

const submit = async (body: string, query = '', headers: Record<string, string> = {}) => {
  const res = await fetch(`${pipeline.url}/v1/alerts/batch${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', ...headers },
    body,
  });
  return { status: res.status, headers: res.headers, body: await readJson(res) };
};
const live = async (severity: string) => {
  const res = await fetch(`${pipeline.url}/v1/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: `live ${severity}`,
      alert: { user: 'bob', source_ip: '10.1.2.3', severity },
    }),
  });
  return (await readJson(res)).id as string;
};
const get = async (path: string) => readJson(await fetch(`${pipeline.url}${path}`));
const post = async (path: string) => {
  const res = await fetch(`${pipeline.url}${path}`, { method: 'POST' });
  return { status: res.status, body: await readJson(res) };
};

beforeAll(async () => {
  fx = await redisFixture('e2e-backlog');
  // No worker yet: the queue order is read before anything is taken.
  pipeline = await startPipeline({
    env: { REDIS_URL: fx.url, QUEUE_PREFIX: fx.prefix },
    services: { enrich: 0, classify: 0, deliver: 0 },
  });
  conn = new Redis(fx.url, { maxRetriesPerRequest: null });
  enrich = createQueue(JOBS.enrich, conn, fx.prefix) as Queue;
}, 120_000);

afterAll(async () => {
  await enrich?.close();
  conn?.disconnect();
  await pipeline?.stop();
  await fx?.close();
});

describe('backlog lane (real queues, real workers)', () => {
  let big: string;
  let liveCritical: string;
  let liveInfo: string;

  it('live alerts submitted after a backlog are first in line; the backlog keeps its own band', async () => {
    const acc = await submit(backlog(1500, 'big'), '?lane=backlog');
    expect(acc.status).toBe(202);
    big = acc.body.batch_id;
    liveInfo = await live('Informational');
    liveCritical = await live('Critical');
    const head = await enrich.getJobs(['prioritized'], 0, 1, true);
    expect(head.slice(0, 2).map((j) => j.id)).toEqual([liveCritical, liveInfo]);
    const tail = await enrich.getJobs(['prioritized'], 1500, 1501, true);
    expect(tail.every((j) => (j.opts.priority ?? 0) > BACKLOG_PRIORITY_OFFSET)).toBe(true);
    expect((await get(`/v1/batches/${big}?limit=1`)).summary).toMatchObject({
      lane: 'backlog',
      paused: false,
    });
  });

  it('a paused backlog parks without loss and without holding live work; resume finishes it exactly once', async () => {
    const small = await submit(backlog(200, 'small'), '', { 'x-triage-lane': 'backlog' });
    const paused = await post(`/v1/batches/${small.body.batch_id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body.summary.paused).toBe(true);
    // A live batch is never held.
    const liveBatch = await submit(backlog(3, 'live'));
    expect((await post(`/v1/batches/${liveBatch.body.batch_id}/pause`)).body.error.code).toBe(
      'BATCH_NOT_PAUSABLE',
    );

    await pipeline.start('enrich');
    await pipeline.start('classify');
    await pipeline.start('deliver');
    // The live alerts (queued behind nothing) finish while the big backlog is still far from done.
    for (const id of [liveCritical, liveInfo]) {
      await waitFor(async () => (await get(`/v1/alerts/${id}`)).status === 'completed', {
        timeoutMs: 30_000,
        message: `live alert ${id}`,
      });
    }
    const bigNow = (await get(`/v1/batches/${big}?limit=1`)).summary;
    expect(bigNow.completed).toBeLessThan(1500);

    // Every job of the paused batch ends up parked (delayed), none completes.
    await waitFor(
      async () => {
        const parked = await fx.redis.scard(`${fx.prefix}:batch:${small.body.batch_id}:parked`);
        return parked === 200;
      },
      { timeoutMs: 60_000, intervalMs: 200, message: 'paused batch parked' },
    );
    expect((await get(`/v1/batches/${small.body.batch_id}?limit=1`)).summary.completed).toBe(0);
    // Live work still flows while it is parked.
    const during = await live('High');
    await waitFor(async () => (await get(`/v1/alerts/${during}`)).status === 'completed', {
      timeoutMs: 30_000,
      message: 'live alert during the pause',
    });

    const resumed = await post(`/v1/batches/${small.body.batch_id}/resume`);
    expect(resumed.body).toMatchObject({ parked: 200, summary: { paused: false } });
    const done = await waitFor(
      async () => {
        const s = (await get(`/v1/batches/${small.body.batch_id}?limit=1`)).summary;
        return s.completed + s.failed === 200 && s;
      },
      { timeoutMs: 120_000, intervalMs: 250, message: 'resumed batch' },
    );
    expect(done).toMatchObject({ total: 200, completed: 200, failed: 0 });
    await waitFor(
      async () => {
        const s = (await get(`/v1/batches/${big}?limit=1`)).summary;
        return s.completed + s.failed === 1500 && s;
      },
      { timeoutMs: 180_000, intervalMs: 500, message: 'big backlog' },
    );
    expect((await get(`/v1/batches/${big}?limit=1`)).summary).toMatchObject({ completed: 1500, failed: 0 });
  }, 300_000);

  it('a batch sent again with its Idempotency-Key is answered, not accepted twice', async () => {
    const body = backlog(20, 'idem');
    const key = { 'idempotency-key': 'cli-run-1.batch-7' };
    const first = await submit(body, '?lane=backlog', key);
    const again = await submit(body, '?lane=backlog', key);
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toMatchObject({ batch_id: first.body.batch_id, accepted: 20, ids: first.body.ids });
    const other = await submit(backlog(5, 'idem'), '?lane=backlog', key);
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('IDEMPOTENCY_MISMATCH');
    const bad = await submit(body, '?lane=sideways');
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
  });
});
