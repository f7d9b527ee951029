import { type AlertJob, JOBS } from '@triage/contracts';
import { normalize } from '@triage/normalizers';
import { AlertStore, createQueue, Metrics } from '@triage/runtime';
import { type RedisFixture, redisFixture, waitFor } from '@triage/testing';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Intake } from './intake.ts';
import { IntakePool } from './intake-pool.ts';

const LIMITS = { maxDepth: 64, maxFieldBytes: 256 * 1024 };

const alert = (i: number) => ({
  rule: { id: '5710', level: 5, description: 'sshd: attempt to login using a non-existent user' },
  agent: { id: String(i), name: `host-${i}` },
  manager: { name: 'wazuh.manager' },
  full_log: `Failed password for invalid user u${i} from 203.0.113.7 port 4242 ssh2`,
  id: `1796000000.${i}`,
});

/**
 * `target` whose method `name` is refused by Redis (out of memory) on its `nth` call; `calls()`
 * counts the calls so far.
 */
function refusing<T extends object>(
  target: T,
  name: keyof T,
  nth: number,
  opts: { wrote?: boolean } = {},
): { proxy: T; calls: () => number } {
  let calls = 0;
  const proxy = new Proxy(target, {
    get(t, prop, receiver) {
      const v = Reflect.get(t, prop, receiver);
      if (typeof v !== 'function') return v;
      if (prop !== name) return v.bind(t);
      return async (...args: unknown[]) => {
        if (++calls !== nth) return v.apply(t, args);
        // `wrote`: the call's writes went in, then Redis answered an error (a script refused midway).
        if (opts.wrote) await v.apply(t, args);
        throw new Error('OOM command not allowed');
      };
    },
  });
  return { proxy, calls: () => calls };
}

let fx: RedisFixture;
let connection: Redis;
let queue: Queue<AlertJob>;
let store: AlertStore;

/** Jobs waiting in the enrich queue (with or without a priority). */
async function queued(): Promise<number> {
  const c = await queue.getJobCounts('prioritized', 'waiting');
  return (c.prioritized ?? 0) + (c.waiting ?? 0);
}

beforeAll(async () => {
  fx = await redisFixture('intake');
  connection = new Redis(fx.url, { maxRetriesPerRequest: null });
  queue = createQueue(JOBS.enrich, connection, fx.prefix) as Queue<AlertJob>;
  store = new AlertStore(fx.redis, fx.prefix, 3600);
});

afterAll(async () => {
  await queue.close();
  connection.disconnect();
  await fx.close();
});

describe('Intake, a batch in chunks', () => {
  it('stores and enqueues every alert of a batch larger than a chunk, each job with its record', async () => {
    const intake = new Intake(store, queue, new Metrics(), { limits: LIMITS });
    const items = Array.from({ length: 1203 }, (_, i) => ({ index: i, value: alert(i) }));
    const res = await intake.accept(items, { batch: true, lane: 'backlog' });
    expect(res.ids).toHaveLength(1203);
    expect(await store.batchSummary(res.batchId!)).toMatchObject({ total: 1203, lane: 'backlog' });
    expect(await queued()).toBe(1203);
    expect((await store.statuses([res.ids[0]!, res.ids[1202]!])).map((s) => s.status)).toEqual([
      'queued',
      'queued',
    ]);
  });

  it('when a later chunk cannot be enqueued, nothing of the batch stays: jobs, records, claims', async () => {
    await queue.obliterate({ force: true });
    const { proxy: failing, calls } = refusing(queue, 'addBulk', 2);
    const intake = new Intake(store, failing, new Metrics(), { limits: LIMITS });
    const items = Array.from({ length: 1200 }, (_, i) => ({ index: i, value: alert(10_000 + i) }));
    await expect(intake.accept(items, { batch: true })).rejects.toMatchObject({ code: 'REDIS_FULL' });
    expect(calls()).toBeGreaterThanOrEqual(2);
    expect(await queued()).toBe(0);
    // The same alerts again are new (their claims were released), and all go in.
    const again = await new Intake(store, queue, new Metrics(), { limits: LIMITS }).accept(items, {
      batch: true,
    });
    expect(again.ids).toHaveLength(1200);
    expect(again.duplicate.every((d) => !d)).toBe(true);
  });

  for (const wrote of [false, true]) {
    it(`attack: Redis refusing a later chunk's claims and records${wrote ? ' after writing them' : ''} leaves no record, claim, job or in-flight entry`, async () => {
      await queue.obliterate({ force: true });
      // The first two chunks go in; the third is refused (before or after its script wrote).
      const { proxy: failing, calls } = refusing(store, 'claimAndCreate', 3, { wrote });
      const records = async () => (await fx.redis.keys(`${fx.prefix}:alert:*`)).length;
      const inflight = () => fx.redis.zcard(`${fx.prefix}:inflight`);
      const [recordsBefore, inflightBefore] = [await records(), await inflight()];
      const items = Array.from({ length: 1100 }, (_, i) => ({
        index: i,
        value: alert((wrote ? 60_000 : 20_000) + i),
      }));
      await expect(
        new Intake(failing, queue, new Metrics(), { limits: LIMITS }).accept(items, { batch: true }),
      ).rejects.toMatchObject({ code: 'REDIS_FULL' });
      // No chunk after the refused one went in (or each was forgotten), and no batch summary was written.
      expect(calls()).toBeGreaterThanOrEqual(3);
      expect(await queued()).toBe(0);
      expect(await records()).toBe(recordsBefore);
      expect(await inflight()).toBe(inflightBefore);
      // Every claim was withdrawn: the retry is all new alerts.
      const again = await new Intake(store, queue, new Metrics(), { limits: LIMITS }).accept(items, {
        batch: true,
      });
      expect(again.duplicate.every((d) => !d)).toBe(true);
      expect(await queued()).toBe(1100);
    });
  }

  it('attack: one source id twice in a batch with other content is a new alert, flagged reused', async () => {
    const a = alert(30_000);
    const b = { ...alert(30_000), rule: { id: '5712', level: 10, description: 'sshd: brute force' } };
    const res = await new Intake(store, queue, new Metrics(), { limits: LIMITS }).accept(
      [a, b, a].map((value, index) => ({ index, value })),
      { batch: true },
    );
    expect(res.duplicate).toEqual([false, false, true]);
    expect(res.sourceIdReused).toEqual([false, true, false]);
    expect(res.ids[2]).toBe(res.ids[0]);
    expect(res.ids[1]).not.toBe(res.ids[0]);
    expect(await store.batchSummary(res.batchId!)).toMatchObject({ total: 3 });
  });
});

/**
 * Hostile and ordinary NDJSON lines: every one must be answered alike by the worker threads and
 * the event loop (accepted with the same record, or refused with the same error at its place).
 */
function hostileLines(seed: number): string[] {
  const ok = (i: number) => JSON.stringify(alert(seed + i));
  return [
    ok(0),
    '{"rule": {"id": "5710"', // cut short
    `${'['.repeat(80)}${']'.repeat(80)}`, // deeper than the limit
    '{"__proto__": {"polluted": true}, "name": "x"}',
    JSON.stringify({ name: 'big', description: 'A'.repeat(300 * 1024) }),
    '{}',
    '"just a string"',
    '{"name":"nul\\u0000byte"}',
    ` ${ok(1)}\r`,
    JSON.stringify({ ...alert(seed + 2), rule: { id: '5710', description: 'x', description2: 'y' } }),
    ok(3),
  ];
}

describe('Intake on worker threads', () => {
  let pool: IntakePool;
  beforeAll(() => {
    pool = new IntakePool(2, LIMITS);
  });
  afterAll(() => pool.close());

  const read = async (ids: string[]) =>
    Promise.all(
      ids.map(async (id) => ({
        alert: await store.loadAlert(id),
        status: (await store.statuses([id]))[0]?.status,
      })),
    );

  it('a batch read on the threads is accepted as on the event loop: ids, refusals, records', async () => {
    await queue.obliterate({ force: true });
    const lines = Array.from({ length: 30 }, (_, k) => hostileLines(40_000 + k * 10)).flat();
    const items = () => lines.map((text, index) => ({ index, text }));
    const threaded = await new Intake(store, queue, new Metrics(), { limits: LIMITS, pool }).accept(items(), {
      batch: true,
    });
    // The same lines again, read on the event loop, are re-sent alerts: same accepted places and
    // refusals, each answered with the id the threads gave it.
    const looped = await new Intake(store, queue, new Metrics(), { limits: LIMITS }).accept(items(), {
      batch: true,
    });
    expect(looped.rejected).toEqual(threaded.rejected);
    expect(looped.ids).toEqual(threaded.ids);
    expect(looped.duplicate.every(Boolean)).toBe(true);
    expect(threaded.rejected.map((r) => r.error.code).slice(0, 6)).toEqual([
      'INVALID_JSON',
      'NESTING_TOO_DEEP',
      'FORBIDDEN_KEY',
      'FIELD_TOO_LARGE',
      'VALIDATION_FAILED',
      'VALIDATION_FAILED',
    ]);
    expect(threaded.ids).toHaveLength(30 * 4);
    expect(await queued()).toBe(30 * 4);
    // Each record reads back as the normalization of its line.
    const refused = new Set(threaded.rejected.map((r) => r.index));
    const accepted = lines.filter((_, i) => !refused.has(i));
    const records = await read(threaded.ids.slice(0, 12));
    records.forEach((r, i) => {
      expect(r.status).toBe('queued');
      expect(r.alert).toEqual(normalize(JSON.parse(accepted[i]!)));
      expect(r.alert?.signals).toBeDefined();
    });
  });

  it('attack: a thread that dies mid-batch costs nothing: its lines are read on the event loop', async () => {
    await queue.obliterate({ force: true });
    const lines = Array.from({ length: 600 }, (_, i) => JSON.stringify(alert(50_000 + i)));
    const threads = (pool as unknown as { threads: Array<{ worker: { terminate(): Promise<number> } }> })
      .threads;
    void threads[0]!.worker.terminate();
    const res = await new Intake(store, queue, new Metrics(), { limits: LIMITS, pool }).accept(
      lines.map((text, index) => ({ index, text })),
      { batch: true },
    );
    expect(res.ids).toHaveLength(600);
    expect(res.rejected).toEqual([]);
    expect(await queued()).toBe(600);
    // The pool replaced the thread: the next batch goes through two threads again.
    const again = (await Promise.all(pool.prepareTasks(lines.slice(0, 300)))).flat();
    expect(again.every((p) => p.ok)).toBe(true);
    expect(pool.threadCount).toBe(2);
  });

  it('attack: threads that cannot start are given up after a few tries; lines are read on the event loop', async () => {
    const broken = new IntakePool(2, LIMITS, new URL('./no-such-intake-worker.ts', import.meta.url));
    try {
      await waitFor(() => broken.threadCount === 0, { timeoutMs: 30_000, message: 'threads given up' });
      const lines = Array.from({ length: 100 }, (_, i) => JSON.stringify(alert(70_000 + i)));
      const prepared = (await Promise.all(broken.prepareTasks(lines))).flat();
      expect(prepared.every((p) => p.ok)).toBe(true);
    } finally {
      await broken.close();
    }
  });

  it('attack: one source id repeated across chunks read on the threads: re-send and reuse told in request order', async () => {
    await queue.obliterate({ force: true });
    const base = alert(80_000);
    const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify(alert(80_001 + i)));
    lines[10] = JSON.stringify(base);
    // The same alert again two chunks later: a re-send, answered with the first id.
    lines[150] = JSON.stringify(base);
    // Its SIEM id once more with other content, in the last chunk: a new alert, flagged.
    lines[190] = JSON.stringify({ ...base, rule: { ...base.rule, description: 'sshd: brute force' } });
    const res = await new Intake(store, queue, new Metrics(), { limits: LIMITS, pool }).accept(
      lines.map((text, index) => ({ index, text })),
      { batch: true },
    );
    expect(res.ids).toHaveLength(200);
    expect(res.duplicate[150]).toBe(true);
    expect(res.ids[150]).toBe(res.ids[10]);
    expect(res.duplicate[10]).toBe(false);
    expect(res.sourceIdReused[190]).toBe(true);
    expect(res.ids[190]).not.toBe(res.ids[10]);
    expect(res.duplicate.filter(Boolean)).toHaveLength(1);
    expect(await queued()).toBe(199);
    expect(await store.batchSummary(res.batchId!)).toMatchObject({ total: 200, duplicates: 1 });
  });
});
