import { JOBS } from '@triage/contracts';
import {
  commandCalls,
  hasRedisServer,
  type OwnRedis,
  type RedisFixture,
  redisFixture,
  startRedisServer,
} from '@triage/testing';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Heartbeat } from './heartbeat.ts';
import { PipelineStatus } from './pipeline-status.ts';
import { createQueue } from './queue-factory.ts';

let fx: RedisFixture;
beforeAll(async () => {
  fx = await redisFixture('pipeline-status');
});
afterAll(() => fx.close());

const QUEUES = [JOBS.enrich.name, JOBS.classify.name];

describe('PipelineStatus', () => {
  it('finds the oldest waiting job among prioritized jobs, not the most urgent one', async () => {
    const q = createQueue(JOBS.enrich, fx.redis, fx.prefix);
    const now = Date.now();
    // Informational, queued a minute ago; then a Critical one 10 s ago (served first); then a plain
    // FIFO job 30 s ago. The oldest waiting is the Informational one.
    await q.add('a', { alert_id: 'old-low' }, { priority: 5, timestamp: now - 60_000 });
    await q.add('a', { alert_id: 'new-critical' }, { priority: 1, timestamp: now - 10_000 });
    await q.add('a', { alert_id: 'fifo' }, { timestamp: now - 30_000 });
    await q.add('a', { alert_id: 'later' }, { delay: 60_000 });
    const status = new PipelineStatus({ redis: fx.redis, prefix: fx.prefix, queues: QUEUES, components: [] });
    const snap = await status.read();
    const enrich = snap.queues.get(JOBS.enrich.name)!;
    expect(enrich.counts).toMatchObject({ prioritized: 2, waiting: 1, delayed: 1, active: 0 });
    expect(enrich.oldestWaitingAt).toBe(now - 60_000);
    expect(snap.queues.get(JOBS.classify.name)).toMatchObject({ oldestWaitingAt: null });
    await q.close();
  });

  it('counts workers by heartbeat and serves component snapshots', async () => {
    const heartbeat = new Heartbeat({ redis: fx.redis, prefix: fx.prefix, instance: 'w1' });
    const worker = new Worker(JOBS.classify.name, async () => undefined, {
      connection: new Redis(fx.url, { maxRetriesPerRequest: null }),
      prefix: fx.prefix,
    });
    await worker.waitUntilReady();
    heartbeat.watch(worker);
    heartbeat.report('llm', async () => ({ spent_today_usd: 1.5 }));
    heartbeat.report('broken', async () => {
      throw new Error('no');
    });
    await heartbeat.beat();
    const status = new PipelineStatus({
      redis: fx.redis,
      prefix: fx.prefix,
      queues: QUEUES,
      components: ['llm', 'intel'],
      cacheMs: 0,
    });
    let snap = await status.read();
    expect(snap.workers.get(JOBS.classify.name)).toBe(1);
    expect(snap.workers.get(JOBS.enrich.name)).toBe(0);
    expect(snap.components.get('llm')).toMatchObject({ instance: 'w1', data: { spent_today_usd: 1.5 } });
    expect(snap.components.get('intel')).toBeUndefined();

    // A beat older than the stale window does not count (a process that died without closing).
    await heartbeat.beat(Date.now() - 60_000);
    snap = await status.read();
    expect(snap.workers.get(JOBS.classify.name)).toBe(0);

    await heartbeat.beat();
    await heartbeat.close();
    snap = await status.read();
    expect(snap.workers.get(JOBS.classify.name)).toBe(0);
    await worker.close();
  });

  it('shares one read per second between callers', async () => {
    const status = new PipelineStatus({ redis: fx.redis, prefix: fx.prefix, queues: QUEUES, components: [] });
    const t = Date.now();
    const a = status.read(t);
    expect(status.read(t + 500)).toBe(a);
    await a;
    expect(status.read(t + 1500)).not.toBe(a);
  });

  it('rejects (for a 503) when Redis is away', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    const status = new PipelineStatus({ redis: down, prefix: 'x', queues: QUEUES, components: [] });
    await expect(status.read()).rejects.toThrow();
    down.disconnect();
  });
});

describe.skipIf(!hasRedisServer())('what one health read costs Redis', () => {
  let own: OwnRedis;
  let redis: Redis;
  beforeAll(async () => {
    own = await startRedisServer();
    redis = new Redis(own.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await own.stop();
  });

  it('a few commands in two round trips, no CLIENT LIST, nothing more within the cache second', async () => {
    const queues = Object.values(JOBS).map((s) => s.name);
    const q = new Queue(JOBS.enrich.name, { connection: redis, prefix: 'cost' });
    await q.addBulk(
      Array.from({ length: 50 }, (_, i) => ({
        name: 'a',
        data: { alert_id: `a${i}` },
        opts: { priority: 1 + (i % 5) },
      })),
    );
    const status = new PipelineStatus({ redis, prefix: 'cost', queues, components: ['intel', 'llm'] });
    await status.read(0); // loads the script once
    await redis.config('RESETSTAT');
    const t = Date.now();
    await status.read(t);
    await status.read(t + 999);
    const calls = await commandCalls(redis);
    calls.delete('info');
    calls.delete('config|resetstat');
    const total = [...calls.values()].reduce((a, b) => a + b, 0);
    // Sent by the client: one EVALSHA per queue, one ZCOUNT per queue, one MGET.
    expect(calls.get('evalsha')).toBe(queues.length);
    expect(calls.get('zcount')).toBe(queues.length);
    expect(calls.get('mget')).toBe(1);
    expect(calls.has('client|list')).toBe(false);
    // Inside the scripts: O(1) reads — 8 counts and 2 list tails per queue, one ZRANGEBYSCORE + HGET
    // per priority band in use (5 here) and one to find there is no further band.
    expect(total).toBe(queues.length * (1 + 8 + 2) + queues.length + 1 + 5 * 2 + 1);
    console.log(
      `one pipeline status read: ${total} Redis commands (${[...calls].map(([c, n]) => `${c}=${n}`).join(' ')})`,
    );
    await q.close();
  });
});
