import { JOBS } from '@triage/contracts';
import { type RedisFixture, redisFixture, waitFor } from '@triage/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Heartbeat } from './heartbeat.ts';
import { Metrics } from './metrics.ts';
import { startOpsServer } from './ops-server.ts';
import { createQueue, createWorker } from './queue-factory.ts';
import { WorkerHealth } from './worker-health.ts';

let fx: RedisFixture;
beforeAll(async () => {
  fx = await redisFixture('worker-health');
});
afterAll(() => fx.close());

it('/livez fails while a job hangs past WORKER_STUCK_MS, /readyz while draining; /metrics is the process', async () => {
  const connection = new Redis(fx.url, { maxRetriesPerRequest: null });
  const heartbeat = new Heartbeat({ redis: fx.redis, prefix: fx.prefix, instance: 'w' });
  const health = new WorkerHealth({ heartbeat, connections: [connection], stuckAfterMs: 300 });
  const metrics = new Metrics({ processMetrics: false });
  const ops = await startOpsServer({ host: '127.0.0.1', port: 0, metrics, health });
  let release: () => void = () => undefined;
  const worker = createWorker(
    JOBS.classify,
    async () => {
      metrics.inc('triage_verdicts_total', { classification: 'FALSE_POSITIVE', decided_by: 'rules' });
      await new Promise<void>((r) => {
        release = r;
      });
      return 'done';
    },
    { connection, prefix: fx.prefix, track: health.track },
  );
  heartbeat.watch(worker);
  await worker.waitUntilReady();
  const get = async (path: string) => {
    const res = await fetch(`${ops.url}${path}`);
    return { status: res.status, body: await res.text() };
  };

  expect((await get('/readyz')).status).toBe(503); // no heartbeat yet
  await heartbeat.beat();
  expect(await get('/readyz')).toMatchObject({ status: 200 });
  expect(await get('/livez')).toMatchObject({ status: 200 });

  const queue = createQueue(JOBS.classify, connection, fx.prefix);
  await queue.add('a', { alert_id: 'hang' });
  const stuck = await waitFor(
    async () => {
      const r = await get('/livez');
      return r.status === 503 ? r : undefined;
    },
    { timeoutMs: 10_000, message: '/livez to report the hung job' },
  );
  expect(JSON.parse(stuck.body).problems[0]).toMatch(/a job has been running for \d+ s/);
  expect((await get('/metrics')).body).toContain(
    'triage_verdicts_total{classification="FALSE_POSITIVE",decided_by="rules"} 1',
  );
  release();
  await waitFor(async () => (await get('/livez')).status === 200, { message: '/livez to recover' });

  // Redis out of reach for a minute: the heartbeat has not landed since.
  expect(health.live(heartbeat.lastBeatAt + 61_000).problems).toEqual([
    expect.stringMatching(/Redis has not taken a heartbeat for 61 s/),
  ]);

  health.shuttingDown();
  expect(await get('/readyz')).toMatchObject({ status: 503 });
  await worker.close();
  expect((await get('/livez')).status).toBe(200); // draining is not dead
  expect(JSON.parse((await get('/readyz')).body).problems).toContain('the classify worker is not running');
  expect((await get('/nope')).status).toBe(404);

  await ops.close();
  await queue.close();
  await connection.quit();
});
