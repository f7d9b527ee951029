import { type AlertJob, BACKLOG_PRIORITY_OFFSET, JOBS, jobPriority } from '@triage/contracts';
import { IntelService } from '@triage/intel';
import { AlertStore, createLogger, createQueue, createWorker, loadConfig, Metrics } from '@triage/runtime';
import { type RedisFixture, redisFixture, runToFailure, waitFor } from '@triage/testing';
import type { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { enrichProcessor } from './enrich.processor.ts';

let fx: RedisFixture;
let conn: Redis;
let store: AlertStore;
let enrichQueue: Queue<AlertJob>;
let classifyQueue: Queue<AlertJob>;
let worker: Worker;
let intel: IntelService;
let metrics: Metrics;

beforeAll(async () => {
  fx = await redisFixture('enrich-worker');
  conn = new Redis(fx.url, { maxRetriesPerRequest: null });
  const config = loadConfig({ REDIS_URL: fx.url, QUEUE_PREFIX: fx.prefix });
  const logger = createLogger('test', 'silent');
  store = new AlertStore(fx.redis, fx.prefix, 600);
  metrics = new Metrics({ processMetrics: false });
  enrichQueue = createQueue(JOBS.enrich, conn, fx.prefix) as Queue<AlertJob>;
  classifyQueue = createQueue(JOBS.classify, conn, fx.prefix) as Queue<AlertJob>;
  intel = new IntelService({ redis: fx.redis, connection: conn, prefix: fx.prefix, config, logger, metrics });
  worker = createWorker(JOBS.enrich, enrichProcessor({ store, intel, classifyQueue, metrics, logger }), {
    connection: conn,
    prefix: fx.prefix,
    concurrency: 4,
  });
});

afterAll(async () => {
  await worker.close();
  await Promise.all([enrichQueue.close(), classifyQueue.close(), intel.close(), metrics.close()]);
  conn.disconnect();
  await fx.close();
});

it('enriches with the offline feeds and hands the alert to classify at its priority', async () => {
  // 185.220.101.x is a Tor exit range; 10.1.2.3 is private and must be marked so, never looked up.
  const alert = {
    format: 'generic' as const,
    name: 'Outbound connection',
    severity: 'Critical' as const,
    src_ip: '10.1.2.3',
    description: 'beacon to hxxp://update-check[.]xyz/payload from 10.1.2.3',
    fingerprint: 'fp1',
    raw: {},
  };
  await store.create([{ id: 'e1', alert, received_at: new Date().toISOString() }]);
  await enrichQueue.add(JOBS.enrich.name, { alert_id: 'e1' }, { jobId: 'e1', priority: 1 });
  const job = await waitFor(() => classifyQueue.getJob('e1'), { message: 'classify job' });
  expect(job.data).toEqual({ alert_id: 'e1' });
  expect(job.opts.priority).toBe(1);
  const enrichment = await store.loadEnrichment('e1');
  expect(enrichment?.partial).toBe(false);
  const byValue = Object.fromEntries((enrichment?.observables ?? []).map((o) => [o.value, o]));
  expect(byValue['10.1.2.3']?.scope).toBe('private');
  expect(Object.keys(byValue)).toContain('http://update-check.xyz/payload');
  expect((await store.get('e1'))?.status).toBe('enriching');
});

it('a payload that fails the catalog schema fails for good instead of being retried', async () => {
  const job = await runToFailure(enrichQueue, JOBS.enrich.name, { alert_id: '' } as AlertJob, 'bad1');
  expect(job.failedReason).toMatch(/invalid enrich payload/);
  expect(job.attemptsMade).toBe(1);
});

it('an alert whose record expired fails without retries', async () => {
  const job = await runToFailure(enrichQueue, JOBS.enrich.name, { alert_id: 'gone' }, 'gone');
  expect(job.failedReason).toMatch(/not found/);
  expect(job.attemptsMade).toBe(1);
});

it('a backlog alert keeps its backlog priority at the next stage', async () => {
  const alert = {
    format: 'generic' as const,
    name: 'x',
    severity: 'Low' as const,
    fingerprint: 'b',
    raw: {},
  };
  await store.create([{ id: 'bk1', alert, received_at: new Date().toISOString() }]);
  const priority = jobPriority('Low', 'backlog');
  expect(priority).toBeGreaterThan(BACKLOG_PRIORITY_OFFSET);
  await enrichQueue.add(JOBS.enrich.name, { alert_id: 'bk1' }, { jobId: 'bk1', priority });
  const job = await waitFor(() => classifyQueue.getJob('bk1'), { message: 'classify job' });
  expect(job.opts.priority).toBe(priority);
});

it('a job of a paused batch is parked (delayed), recorded for resume, and not enriched', async () => {
  const alert = {
    format: 'generic' as const,
    name: 'x',
    severity: 'Low' as const,
    fingerprint: 'p',
    raw: {},
  };
  await store.create([{ id: 'pk1', alert, received_at: 'now', batch_id: 'pb' }], 'pb', undefined, 'backlog');
  expect(await store.pauseBatch('pb')).toBe('backlog');
  await enrichQueue.add(
    JOBS.enrich.name,
    { alert_id: 'pk1', batch_id: 'pb' },
    { jobId: 'pk1', priority: 1_000_004 },
  );
  await waitFor(async () => (await enrichQueue.getJob('pk1'))?.delay, { message: 'parked' });
  expect(await fx.redis.smembers(`${fx.prefix}:batch:pb:parked`)).toEqual(['enrich|pk1']);
  expect((await store.get('pk1'))?.status).toBe('queued');
  expect(await classifyQueue.getJob('pk1')).toBeUndefined();
});
