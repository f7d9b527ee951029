import { JOBS } from '@triage/contracts';
import { type RedisFixture, redisFixture, waitFor } from '@triage/testing';
import { ReplyError } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createQueue, createWorker, oomRetryDelayMs, workerLockOptions } from './queue-factory.ts';
import { createRedis, isRedisOom, type Redis } from './redis.ts';

let fx: RedisFixture;
let connection: Redis;

beforeAll(async () => {
  fx = await redisFixture('queue-factory');
  connection = createRedis(fx.url, 'worker');
});
afterAll(async () => {
  connection.disconnect();
  await fx.close();
});

const OOM = "OOM command not allowed when used memory > 'maxmemory'.";

it('a job that meets a full Redis is put back as delayed without spending an attempt', async () => {
  const queue = createQueue(JOBS.enrich, connection, fx.prefix);
  let runs = 0;
  const worker = createWorker(
    JOBS.enrich,
    async () => {
      runs++;
      if (runs === 1) throw new ReplyError(OOM);
      return 'done';
    },
    { connection, prefix: fx.prefix, ...workerLockOptions(5000) },
  );
  await queue.add(JOBS.enrich.name, { alert_id: 'oom-1' }, { jobId: 'oom-1' });
  const job = await waitFor(
    async () => {
      const j = await queue.getJob('oom-1');
      return (await j?.getState()) === 'delayed' && j;
    },
    { message: 'delayed after the refused write' },
  );
  expect(job.attemptsMade).toBe(0);
  // BullMQ scores delayed jobs by due time × 4096 (plus a counter).
  const due = Number(await fx.redis.zscore(`${fx.prefix}:enrich:delayed`, 'oom-1')) / 4096;
  expect(due - Date.now()).toBeGreaterThan(1000);
  await job.promote();
  await waitFor(async () => (await (await queue.getJob('oom-1'))?.getState()) === 'completed', {
    message: 'completed once memory is back',
  });
  const done = await queue.getJob('oom-1');
  expect(done?.returnvalue).toBe('done');
  expect(done?.attemptsMade).toBe(1);
  await worker.close();
  await queue.close();
});

it('other errors still spend attempts', async () => {
  const queue = createQueue(JOBS.classify, connection, fx.prefix);
  const worker = createWorker(
    JOBS.classify,
    async () => {
      throw new Error('boom');
    },
    { connection, prefix: fx.prefix },
  );
  await queue.add(JOBS.classify.name, { alert_id: 'x-1' }, { jobId: 'x-1', attempts: 1 });
  await waitFor(async () => (await (await queue.getJob('x-1'))?.getState()) === 'failed', {
    message: 'failed',
  });
  expect((await queue.getJob('x-1'))?.attemptsMade).toBe(1);
  await worker.close();
  await queue.close();
});

it('recognises the refusal through wrappers, and backs off 2 s doubling to a minute', () => {
  expect(isRedisOom(new ReplyError(`${OOM} script: 369f96, on @user_script:1.`))).toBe(true);
  expect(isRedisOom(new Error('could not enqueue', { cause: new ReplyError(OOM) }))).toBe(true);
  expect(isRedisOom(new Error('ECONNREFUSED'))).toBe(false);
  expect([0, 1, 2, 5, 6, 50].map(oomRetryDelayMs)).toEqual([2000, 4000, 8000, 60_000, 60_000, 60_000]);
  expect(workerLockOptions(10_000)).toEqual({
    lockDuration: 10_000,
    lockRenewTime: 3333,
    stalledInterval: 2500,
  });
});
