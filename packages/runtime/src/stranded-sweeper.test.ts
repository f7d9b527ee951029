import { type AlertJob, type DeadLetterJob, JOBS, type NormalizedAlert } from '@triage/contracts';
import { type RedisFixture, redisFixture } from '@triage/testing';
import { Job, type Queue } from 'bullmq';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AlertStore } from './alert-store.ts';
import { createLogger } from './logger.ts';
import { Metrics } from './metrics.ts';
import { createQueue } from './queue-factory.ts';
import { createRedis, type Redis } from './redis.ts';
import { StrandedSweeper } from './stranded-sweeper.ts';

let fx: RedisFixture;
let connection: Redis;
let store: AlertStore;
let enrich: Queue<AlertJob>;
let classify: Queue<AlertJob>;
let deadLetter: Queue<DeadLetterJob>;
let metrics: Metrics;
let sweeper: StrandedSweeper;

const alert: NormalizedAlert = { format: 'generic', name: 'x', severity: 'High', fingerprint: 'f', raw: {} };
const NOW = () => Date.now() + 10 * 60_000; // every record is "old enough" for the sweeper

beforeAll(async () => {
  fx = await redisFixture('sweeper');
  connection = createRedis(fx.url, 'worker');
  store = new AlertStore(fx.redis, fx.prefix, 600);
  enrich = createQueue(JOBS.enrich, connection, fx.prefix) as Queue<AlertJob>;
  classify = createQueue(JOBS.classify, connection, fx.prefix) as Queue<AlertJob>;
  deadLetter = createQueue(JOBS.deadLetter, connection, fx.prefix) as Queue<DeadLetterJob>;
  metrics = new Metrics();
  sweeper = new StrandedSweeper({
    redis: fx.redis,
    prefix: fx.prefix,
    store,
    enrich,
    classify,
    deadLetter,
    metrics,
    logger: createLogger('test', 'silent'),
    intervalMs: 1000,
    strandedAfterMs: 60_000,
    maxRedrives: 2,
  });
});
afterAll(async () => {
  await Promise.all([enrich.close(), classify.close(), deadLetter.close()]);
  connection.disconnect();
  await fx.close();
});

/** One round, as if the lock of the previous round had lapsed. */
async function sweep() {
  await fx.redis.del(`${fx.prefix}:sweeper:lock`);
  return sweeper.sweepOnce(NOW());
}

it('leaves alerts whose job will still run, and drops final or expired ones from its list', async () => {
  await store.create([
    { id: 'moving', alert, received_at: 'now' },
    { id: 'done', alert, received_at: 'now' },
    { id: 'expired', alert, received_at: 'now' },
  ]);
  await enrich.add(JOBS.enrich.name, { alert_id: 'moving' }, { jobId: 'moving', delay: 60_000 });
  await fx.redis.hset(`${fx.prefix}:alert:done`, 'status', 'completed');
  await fx.redis.del(`${fx.prefix}:alert:expired`);
  expect(await sweep()).toEqual({ checked: 3, redriven: 0, failed: 0 });
  expect(await fx.redis.zrange(`${fx.prefix}:inflight`, '0', '-1')).toEqual(['moving']);
  // Checked now: it goes to the back of the list and is not looked at again this soon.
  expect(await sweeper.sweepOnce(Date.now())).toEqual({ checked: 0, redriven: 0, failed: 0 });
  await enrich.remove('moving');
  await store.touchInflight([], ['moving']);
});

it('runs a stranded alert again at its next stage, replacing a finished job of the same id', async () => {
  await store.create([
    { id: 'lost', alert, received_at: 'now' },
    { id: 'gave-up', alert, received_at: 'now' },
  ]);
  await store.setStage('gave-up', 'enriching');
  await store.saveEnrichment('gave-up', {
    observables: [],
    intel: {},
    partial: false,
    missing: [],
    cache: { hits: 0, misses: 0 },
  });
  // A classify job that spent its attempts while Redis refused the failure record.
  await classify.add(JOBS.classify.name, { alert_id: 'gave-up' }, { jobId: 'gave-up' });
  await fx.redis.hset(
    `${fx.prefix}:classify:gave-up`,
    'finishedOn',
    String(Date.now()),
    'failedReason',
    'OOM',
  );

  expect(await sweep()).toEqual({ checked: 2, redriven: 2, failed: 0 });
  const lost = await Job.fromId(enrich, 'lost');
  expect(lost?.data).toEqual({ alert_id: 'lost' });
  expect(await lost?.getState()).toBe('prioritized');
  const again = await Job.fromId(classify, 'gave-up');
  expect(again?.finishedOn).toBeUndefined();
  expect(await again?.getState()).toBe('prioritized');
  expect(await metrics.registry.getSingleMetricAsString('triage_alerts_redriven_total')).toMatch(
    /queue="classify"} 1/,
  );
  await Promise.all([enrich.remove('lost'), classify.remove('gave-up')]);
  await store.touchInflight([], ['lost', 'gave-up']);
});

it('fails an alert visibly once it was re-driven SWEEP_MAX_REDRIVES times, with a dead-letter copy', async () => {
  await store.create([{ id: 'hopeless', alert, received_at: 'now', batch_id: 'b1' }], 'b1');
  expect((await sweep()).redriven).toBe(1);
  await enrich.remove('hopeless');
  expect((await sweep()).redriven).toBe(1);
  await enrich.remove('hopeless');
  expect(await sweep()).toMatchObject({ redriven: 0, failed: 1 });
  const view = await store.get('hopeless');
  expect(view).toMatchObject({ status: 'failed' });
  expect(view?.error).toMatch(/stranded: in progress \(queued\) with no job after 2 re-drives/);
  expect((await store.batchSummary('b1'))?.failed).toBe(1);
  expect((await Job.fromId(deadLetter, 'sweeper.hopeless'))?.data).toMatchObject({
    queue: 'sweeper',
    job_id: 'hopeless',
  });
  expect(await fx.redis.zscore(`${fx.prefix}:inflight`, 'hopeless')).toBeNull();
});

it('completion and failure take the alert off the list; one process sweeps per round', async () => {
  await store.create([{ id: 'c1', alert, received_at: 'now' }]);
  expect(await fx.redis.zscore(`${fx.prefix}:inflight`, 'c1')).not.toBeNull();
  await store.fail('c1', 'x');
  expect(await fx.redis.zscore(`${fx.prefix}:inflight`, 'c1')).toBeNull();
  await fx.redis.set(`${fx.prefix}:sweeper:lock`, 'another-process', 'PX', 10_000);
  await store.create([{ id: 'c2', alert, received_at: 'now' }]);
  expect(await sweeper.sweepOnce(NOW())).toEqual({ checked: 0, redriven: 0, failed: 0 });
});
