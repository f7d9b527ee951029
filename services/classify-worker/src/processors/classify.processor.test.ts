import { Classifier } from '@triage/classifier';
import { type AlertJob, type Enrichment, JOBS, type ResultJob } from '@triage/contracts';
import { autonomyPolicy, VerdictMemory } from '@triage/memory';
import { AlertStore, createLogger, createQueue, createWorker, loadConfig, Metrics } from '@triage/runtime';
import { type RedisFixture, redisFixture, runToFailure, waitFor } from '@triage/testing';
import type { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { classifyProcessor } from './classify.processor.ts';

let fx: RedisFixture;
let conn: Redis;
let store: AlertStore;
let classifyQueue: Queue<AlertJob>;
let resultsQueue: Queue<ResultJob>;
let worker: Worker;
let classifier: Classifier;
let metrics: Metrics;

const enrichment = (malicious: boolean): Enrichment => ({
  observables: [{ type: 'ipv4', value: '203.0.113.9', scope: 'public' }],
  intel: malicious
    ? {
        '203.0.113.9': {
          type: 'ipv4',
          providers: {
            abuseipdb: {
              provider: 'abuseipdb',
              verdict: 'malicious',
              checked_at: new Date().toISOString(),
              abuseipdb: { abuse_score: 100, total_reports: 500, is_tor: false },
            },
          },
        },
      }
    : {},
  partial: false,
  missing: [],
  cache: { hits: 1, misses: 0 },
});

beforeAll(async () => {
  fx = await redisFixture('classify-worker');
  conn = new Redis(fx.url, { maxRetriesPerRequest: null });
  const config = loadConfig({ REDIS_URL: fx.url, QUEUE_PREFIX: fx.prefix });
  store = new AlertStore(fx.redis, fx.prefix, 600);
  metrics = new Metrics({ processMetrics: false });
  classifyQueue = createQueue(JOBS.classify, conn, fx.prefix) as Queue<AlertJob>;
  resultsQueue = createQueue(JOBS.results, conn, fx.prefix) as Queue<ResultJob>;
  classifier = new Classifier({
    redis: fx.redis,
    prefix: fx.prefix,
    config,
    logger: createLogger('test', 'silent'),
    metrics,
  });
  const memory = new VerdictMemory({ redis: fx.redis, prefix: fx.prefix, policy: autonomyPolicy(config) });
  worker = createWorker(
    JOBS.classify,
    classifyProcessor({ store, classifier, memory, resultsQueue, metrics }),
    {
      connection: conn,
      prefix: fx.prefix,
      concurrency: 4,
    },
  );
});

afterAll(async () => {
  await worker.close();
  await Promise.all([classifyQueue.close(), resultsQueue.close(), classifier.close(), metrics.close()]);
  conn.disconnect();
  await fx.close();
});

it('writes the verdict, counts it in the batch and queues the result', async () => {
  const alert = {
    format: 'original' as const,
    name: 'Brute Force',
    severity: 'High' as const,
    src_ip: '203.0.113.9',
    user: 'alice',
    facts: { failed_logins: 25, success: true },
    // What the rules read, as the original normalizer writes it (its detector's counts are metadata).
    signals: {
      detection: { rule_name: 'Brute Force', rule_name_template: 'Brute Force', severity: 'High' as const },
      network: { src_ip: '203.0.113.9' },
      auth: { user: 'alice', failure_count: 25, outcome: 'success' as const },
      provenance: Object.fromEntries(
        [
          'detection.rule_name',
          'detection.rule_name_template',
          'detection.severity',
          'network.src_ip',
          'auth.user',
          'auth.failure_count',
          'auth.outcome',
        ].map((p) => [p, { origin: 'metadata' as const }]),
      ),
    },
    fingerprint: 'fp-c1',
    raw: {},
  };
  await store.create([{ id: 'c1', alert, received_at: new Date().toISOString(), batch_id: 'b1' }], 'b1');
  await store.saveEnrichment('c1', enrichment(true));
  await classifyQueue.add(JOBS.classify.name, { alert_id: 'c1', batch_id: 'b1' }, { jobId: 'c1' });

  const view = await waitFor(async () => {
    const v = await store.get('c1');
    return v?.status === 'completed' ? v : undefined;
  });
  expect(view.result?.classification).toBe('TRUE_POSITIVE');
  // Memory ran: the similarity key analysts give feedback on, and how the verdict is delivered.
  expect(view.result?.similarity?.key).toMatch(/^sim1:/);
  expect(view.result?.disposition).toBe('escalate');
  expect(view.result?.threat_intel['203.0.113.9']?.abuseipdb).toMatchObject({ abuse_score: 100 });
  // The results job carries the id only; the verdict is read from the record at delivery.
  const result = await resultsQueue.getJob('c1');
  expect(result?.data).toEqual({ alert_id: 'c1', batch_id: 'b1' });
  expect(await store.batchSummary('b1')).toMatchObject({
    total: 1,
    completed: 1,
    true_positive: 1,
    ti_cache_hit: 1,
  });

  // The alert opened an incident on its user: the webhook hears of it once (`incident.updated`).
  const incidentId = view.result?.incident_id;
  expect(incidentId).toMatch(/^inc_/);
  const update = await resultsQueue.getJob(`${incidentId}-r1`);
  expect(update?.data).toMatchObject({
    alert_id: 'c1',
    event: 'incident.updated',
    revision: 1,
    changes: ['opened', 'verdict:TRUE_POSITIVE', 'tactic:credential-access', 'tactic:initial-access'],
    incident: { id: incidentId, entity: { type: 'user', value: 'alice' }, verdict: 'TRUE_POSITIVE' },
  });

  // Delivered twice (a crash after the verdict): nothing changes, nothing is counted again.
  await classifyQueue.add(JOBS.classify.name, { alert_id: 'c1', batch_id: 'b1' }, { jobId: 'c1-again' });
  await waitFor(async () => (await classifyQueue.getJob('c1-again'))?.finishedOn);
  expect(await store.batchSummary('b1')).toMatchObject({ total: 1, completed: 1, true_positive: 1 });
  // The retry re-queued the same update (same job id, so still one): a crash never loses it.
  expect(await resultsQueue.getJob(`${incidentId}-r2`)).toBeUndefined();
  expect((await resultsQueue.getJob(`${incidentId}-r1`))?.data.revision).toBe(1);
});

it('fails for good when the enrichment is missing', async () => {
  await store.create([
    {
      id: 'c2',
      alert: { format: 'generic', name: 'x', severity: 'Low', fingerprint: 'f', raw: {} },
      received_at: 'now',
    },
  ]);
  const job = await runToFailure(classifyQueue, JOBS.classify.name, { alert_id: 'c2' }, 'c2');
  expect(job.failedReason).toMatch(/not found/);
  expect(job.attemptsMade).toBe(1);
});

it('a job of a paused batch is parked (delayed), recorded for resume, and not classified', async () => {
  const alert = {
    format: 'generic' as const,
    name: 'x',
    severity: 'Low' as const,
    fingerprint: 'cp',
    raw: {},
  };
  await store.create(
    [{ id: 'cp1', alert, received_at: 'now', batch_id: 'cpb' }],
    'cpb',
    undefined,
    'backlog',
  );
  await store.saveEnrichment('cp1', enrichment(false));
  expect(await store.pauseBatch('cpb')).toBe('backlog');
  await classifyQueue.add(
    JOBS.classify.name,
    { alert_id: 'cp1', batch_id: 'cpb' },
    { jobId: 'cp1', priority: 1_000_004 },
  );
  await waitFor(async () => (await classifyQueue.getJob('cp1'))?.delay, { message: 'parked' });
  expect(await fx.redis.smembers(`${fx.prefix}:batch:cpb:parked`)).toEqual(['classify|cp1']);
  expect((await store.get('cp1'))?.status).toBe('queued');
  expect(await resultsQueue.getJob('cp1')).toBeUndefined();
});

it('an alert whose record expired fails without retries', async () => {
  const job = await runToFailure(classifyQueue, JOBS.classify.name, { alert_id: 'c-gone' }, 'c-gone');
  expect(job.failedReason).toMatch(/not found/);
  expect(job.attemptsMade).toBe(1);
  expect(await fx.redis.exists(`${fx.prefix}:alert:c-gone`)).toBe(0);
});
