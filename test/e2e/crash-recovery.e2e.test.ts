import {
  PIPELINE_HOOK_TIMEOUT_MS,
  type RedisFixture,
  type RunningPipeline,
  readJson,
  redisFixture,
  startPipeline,
  waitFor,
} from '@triage/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

let fx: RedisFixture;
let pipeline: RunningPipeline;

beforeAll(async () => {
  fx = await redisFixture('e2e-crash');
  pipeline = await startPipeline({
    env: { REDIS_URL: fx.url, QUEUE_PREFIX: fx.prefix, WORKER_CONCURRENCY: '8', WORKER_LOCK_MS: '5000' },
  });
}, PIPELINE_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await pipeline?.stop();
  await fx?.close();
});

it('1,000 alerts complete exactly once although every worker is SIGKILLed mid-batch', async () => {
  const alerts = Array.from({ length: 1000 }, (_, i) => ({
    name: `Failed logins ${i % 50}`,
    alert: {
      user: `user${i}`,
      source_ip: `198.51.100.${i % 250}`,
      failed_logins: (i % 20) + 1,
      success: i % 3 === 0,
      severity: ['Low', 'Medium', 'High', 'Critical'][i % 4],
    },
  }));
  const res = await fetch(`${pipeline.url}/v1/alerts/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ alerts }),
  });
  expect(res.status).toBe(202);
  const { batch_id, ids } = await readJson(res);
  expect(ids).toHaveLength(1000);

  const summary = async () => (await readJson(await fetch(`${pipeline.url}/v1/batches/${batch_id}`))).summary;
  // Kill mid-flight: some verdicts written, most not.
  await waitFor(async () => (await summary()).completed >= 50, {
    timeoutMs: 20_000,
    intervalMs: 5,
    message: 'first verdicts',
  });
  await Promise.all([
    pipeline.kill('enrich', 'SIGKILL'),
    pipeline.kill('classify', 'SIGKILL'),
    pipeline.kill('deliver', 'SIGKILL'),
  ]);
  const atKill = (await summary()).completed;
  expect(atKill).toBeLessThan(1000);

  await pipeline.start('enrich');
  await pipeline.start('classify');
  await pipeline.start('deliver');
  // Jobs the killed workers held are taken over once their locks expire (WORKER_LOCK_MS).
  const done = await waitFor(
    async () => {
      const s = await summary();
      return s.completed + s.failed >= 1000 && s;
    },
    { timeoutMs: 120_000, intervalMs: 200, message: `all 1000 verdicts\n${pipeline.logs().slice(-3000)}` },
  );
  expect(done).toMatchObject({ total: 1000, completed: 1000, failed: 0 });
  expect(done.true_positive + done.false_positive + done.needs_review).toBe(1000);

  // Exactly once: one result job per alert (the job id is the alert id), each delivered, none left over.
  const resultIds = await waitFor(
    async () => {
      const ids = await fx.redis.zrange(`${fx.prefix}:results:completed`, '0', '-1');
      return ids.length >= 1000 && ids;
    },
    { timeoutMs: 60_000, intervalMs: 200, message: 'all results delivered' },
  );
  expect(new Set(resultIds)).toEqual(new Set(ids));
  const leftover = await Promise.all(
    ['wait', 'active', 'prioritized', 'delayed', 'failed'].map((s) =>
      s === 'wait' || s === 'active'
        ? fx.redis.llen(`${fx.prefix}:results:${s}`)
        : fx.redis.zcard(`${fx.prefix}:results:${s}`),
    ),
  );
  expect(leftover).toEqual([0, 0, 0, 0, 0]);
  const page = await readJson(await fetch(`${pipeline.url}/v1/batches/${batch_id}?limit=1000`));
  expect(new Set(page.results.map((r: { id: string }) => r.id)).size).toBe(1000);
  expect(page.results.every((r: { status: string }) => r.status === 'completed')).toBe(true);
}, 180_000);
