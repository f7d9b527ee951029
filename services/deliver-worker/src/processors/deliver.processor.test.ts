import {
  type Classification,
  type DeadLetterJob,
  type IncidentView,
  JOBS,
  type NormalizedAlert,
  type ResultJob,
  type TriageResult,
  WebhookEvent,
} from '@triage/contracts';
import {
  AlertStore,
  createLogger,
  createQueue,
  createRedis,
  createWorker,
  Metrics,
  onFinalFailure,
  type Redis,
  validated,
} from '@triage/runtime';
import {
  newWebhookSecret,
  type RedisFixture,
  redisFixture,
  WebhookReceiverFake,
  waitFor,
} from '@triage/testing';
import { Backoffs, Job, type JobsOptions, type Queue, type Worker } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { WebhookClient } from '../lib/webhook-client.ts';
import type { WebhookPayload } from '../lib/webhook-payload.ts';
import { type DeliverResult, deliverProcessor } from './deliver.processor.ts';

const SECRET = newWebhookSecret();

function result(classification: Classification): TriageResult {
  return {
    classification,
    confidence: 90,
    severity: 'High',
    title: `${classification} verdict`,
    reasoning: ['reason one', 'reason two', 'reason three'],
    mitre: [{ id: 'T1110', name: 'Brute Force', tactic: 'credential-access' }],
    threat_intel: {},
    decided_by: 'rules',
    flags: [],
    performance: {
      processing_time: 0.2,
      from_cache: false,
      cost: '$0.0000',
      tokens: { input: 0, output: 0 },
    },
  };
}

function alert(n: number): NormalizedAlert {
  return {
    format: 'sentinel',
    source_id: `sentinel-${n}`,
    name: `Brute force ${n}`,
    severity: 'High',
    fingerprint: `fp-${n}`,
    raw: {},
  };
}

interface Harness {
  fx: RedisFixture;
  queue: Queue<ResultJob>;
  deadLetter: Queue<DeadLetterJob>;
  worker: Worker<unknown, DeliverResult>;
  metrics: Metrics;
  /** Date.now() of every failed attempt, by job id (the retry timeline). */
  failures: Map<string, number[]>;
  /** Stores alert records and queues their results (job id = alert id, as classify does). */
  add(ids: string[], classification?: Classification, opts?: JobsOptions): Promise<void>;
  job(id: string): Promise<Job>;
  counter(outcome: string): Promise<number>;
  close(): Promise<void>;
}

let open: Harness[] = [];

/** Real Redis, real BullMQ queue + worker, retry backoff shortened to `backoffMs` so retries take ms. */
async function harness(name: string, url: string | undefined, backoffMs = 100): Promise<Harness> {
  const fx = await redisFixture(`deliver-${name}`);
  const connection: Redis = createRedis(fx.url, 'worker');
  const logger = createLogger('deliver-test', 'silent');
  const store = new AlertStore(fx.redis, fx.prefix, 3600);
  const metrics = new Metrics({ processMetrics: false });
  const queue = createQueue(JOBS.results, connection, fx.prefix, {
    defaultJobOptions: { ...JOBS.results.defaults, backoff: { type: 'exponential', delay: backoffMs } },
  }) as Queue<ResultJob>;
  const deadLetter = createQueue(JOBS.deadLetter, connection, fx.prefix) as Queue<DeadLetterJob>;
  const client = url
    ? new WebhookClient({ url, secret: SECRET, timeoutMs: 300, maxRetryAfterMs: 10_000 })
    : undefined;
  const worker = createWorker(JOBS.results, deliverProcessor({ client, store, metrics, logger }), {
    connection,
    prefix: fx.prefix,
    concurrency: 8,
  });
  onFinalFailure(worker, { deadLetter, metrics, logger });
  const failures = new Map<string, number[]>();
  worker.on('failed', (job) => {
    if (job?.id) failures.set(job.id, [...(failures.get(job.id) ?? []), Date.now()]);
  });

  const h: Harness = {
    fx,
    queue,
    deadLetter,
    worker,
    metrics,
    failures,
    async add(ids, classification = 'TRUE_POSITIVE', opts = {}) {
      await store.create(
        ids.map((id, i) => ({ id, alert: alert(i), received_at: new Date().toISOString() })),
      );
      for (const id of ids) {
        const data = validated(JOBS.results, {
          alert_id: id,
          batch_id: 'b1',
          result: result(classification),
        });
        await queue.add(JOBS.results.name, data, { jobId: id, ...opts });
      }
    },
    async job(id) {
      const j = await Job.fromId(queue, id);
      if (!j) throw new Error(`no job ${id}`);
      return j;
    },
    counter: (outcome) => metrics.value('triage_webhook_deliveries_total', { outcome }),
    async close() {
      await worker.close();
      await Promise.all([queue.close(), deadLetter.close(), metrics.close()]);
      await connection.quit();
      await fx.close();
    },
  };
  open.push(h);
  return h;
}

async function deadLettered(h: Harness, id: string): Promise<DeadLetterJob | undefined> {
  const j = await Job.fromId(h.deadLetter, `${JOBS.results.name}.${id}`);
  return j?.data as DeadLetterJob | undefined;
}

describe('deliver processor', () => {
  let receiver: WebhookReceiverFake;

  afterEach(async () => {
    await Promise.all(open.map((h) => h.close()));
    open = [];
    await receiver?.close();
  });

  it('delivers each result once, signed, with the payload and mappings for each classification', async () => {
    receiver = await WebhookReceiverFake.start({ secret: SECRET });
    const h = await harness('ok', receiver.url);
    await h.add(['tp-1'], 'TRUE_POSITIVE');
    await h.add(['fp-1'], 'FALSE_POSITIVE');
    await h.add(['nr-1'], 'NEEDS_REVIEW');

    await waitFor(async () => (await h.queue.getJobCounts('completed')).completed === 3, {
      message: '3 completed',
    });
    expect(receiver.deliveries).toHaveLength(3);
    expect(receiver.duplicates).toHaveLength(0);
    expect(receiver.rejectedSignatures).toBe(0);
    expect(receiver.requests.every((r) => r.verified === true)).toBe(true);

    const byId = new Map(receiver.deliveries.map((d) => [d.id, d]));
    const tp = byId.get('tp-1')!;
    expect(tp.headers['content-type']).toBe('application/json');
    expect(new Webhook(SECRET).verify(tp.raw, tp.headers as Record<string, string>)).toEqual(tp.body);
    const payload = tp.body as WebhookPayload;
    expect(payload).toMatchObject({
      id: 'tp-1',
      alert_id: 'tp-1',
      batch_id: 'b1',
      source: 'sentinel',
      source_id: 'sentinel-0',
      alert_name: 'Brute force 0',
      result: { classification: 'TRUE_POSITIVE', confidence: 90, title: 'TRUE_POSITIVE verdict' },
      mappings: {
        ocsf: { verdict_id: 2, verdict: 'True Positive' },
        sentinel: { classification: 'TruePositive', classificationReason: 'SuspiciousActivity' },
      },
    });
    expect(Date.parse(payload.delivered_at)).toBeGreaterThan(Date.now() - 60_000);
    expect((byId.get('fp-1')!.body as WebhookPayload).mappings).toEqual({
      ocsf: { verdict_id: 1, verdict: 'False Positive' },
      sentinel: { classification: 'FalsePositive', classificationReason: 'IncorrectAlertLogic' },
    });
    expect((byId.get('nr-1')!.body as WebhookPayload).mappings).toEqual({
      ocsf: { verdict_id: 4, verdict: 'Suspicious' },
      sentinel: { classification: 'Undetermined' },
    });

    expect((await h.job('tp-1')).returnvalue).toEqual({ delivered: true, status: 200 });
    expect(await h.counter('delivered')).toBe(3);
  });

  it('delivers incident updates as their own event, signed, one message per revision', async () => {
    receiver = await WebhookReceiverFake.start({ secret: SECRET });
    const h = await harness('incident', receiver.url);
    await h.add(['m-1'], 'NEEDS_REVIEW');
    const incident: IncidentView = {
      id: 'inc_0123456789abcdef0123',
      status: 'open',
      entity: { type: 'host', value: 'ws-7' },
      entities: ['host:ws-7', 'user:bob'],
      alert_count: 3,
      alert_ids: ['m-0', 'm-1', 'm-2'],
      tactics: [
        { tactic: 'discovery', first_seen: '2025-01-01T00:00:00.000Z', alert_id: 'm-0' },
        { tactic: 'execution', first_seen: '2025-01-01T00:05:00.000Z', alert_id: 'm-1' },
      ],
      chain: [],
      first_seen: '2025-01-01T00:00:00.000Z',
      last_seen: '2025-01-01T00:05:00.000Z',
      verdict: 'NEEDS_REVIEW',
      updated_at: '2025-01-01T00:05:01.000Z',
    };
    for (const [revision, changes] of [
      [1, ['opened', 'verdict:NEEDS_REVIEW', 'tactic:discovery']],
      [2, ['tactic:execution']],
    ] as const) {
      const data = validated(JOBS.results, {
        alert_id: 'm-1',
        event: 'incident.updated',
        incident,
        revision,
        changes: [...changes],
      });
      await h.queue.add(JOBS.results.name, data, { jobId: `${incident.id}-r${revision}` });
    }

    await waitFor(async () => (await h.queue.getJobCounts('completed')).completed === 3, {
      message: '3 completed',
    });
    expect(receiver.requests.every((r) => r.verified === true)).toBe(true);
    const byId = new Map(receiver.deliveries.map((d) => [d.id, d]));
    expect([...byId.keys()].sort()).toEqual([`${incident.id}-r1`, `${incident.id}-r2`, 'm-1'].sort());
    const r2 = byId.get(`${incident.id}-r2`)!;
    expect(new Webhook(SECRET).verify(r2.raw, r2.headers as Record<string, string>)).toEqual(r2.body);
    const body = WebhookEvent.parse(r2.body);
    expect(body).toMatchObject({
      type: 'incident.updated',
      id: `${incident.id}-r2`,
      incident_id: incident.id,
      revision: 2,
      changes: ['tactic:execution'],
      alert_id: 'm-1',
      incident: { id: incident.id, verdict: 'NEEDS_REVIEW', alert_count: 3 },
      mappings: {
        ocsf: { verdict_id: 4, verdict: 'Suspicious' },
        sentinel: { classification: 'Undetermined' },
      },
    });
    // Member ids stay behind GET /v1/incidents/{id}: an update is small whatever the incident's size.
    expect(JSON.stringify(body)).not.toContain('alert_ids');
    // The alert's own verdict is the other event type.
    expect(WebhookEvent.parse(byId.get('m-1')!.body).type).toBe('alert.verdict');
  });

  it('sends nothing again for a message re-added after its finished job was removed', async () => {
    receiver = await WebhookReceiverFake.start({ secret: SECRET });
    const h = await harness('readd', receiver.url);
    await h.add(['once-1']);
    const update = validated(JOBS.results, {
      alert_id: 'once-1',
      event: 'incident.updated',
      incident: {
        id: 'inc_00000000000000000001',
        status: 'open',
        entity: { type: 'host', value: 'ws-1' },
        entities: ['host:ws-1'],
        alert_count: 1,
        alert_ids: ['once-1'],
        tactics: [],
        chain: [],
        first_seen: '2025-01-01T00:00:00.000Z',
        last_seen: '2025-01-01T00:00:00.000Z',
        verdict: 'TRUE_POSITIVE',
        updated_at: '2025-01-01T00:00:01.000Z',
      },
      revision: 1,
      changes: ['opened'],
    });
    await h.queue.add(JOBS.results.name, update, { jobId: 'inc_00000000000000000001-r1' });
    await waitFor(async () => (await h.queue.getJobCounts('completed')).completed === 2, {
      message: '2 completed',
    });
    // As if retention had dropped them, then a classify job run again re-added both by id.
    await h.queue.clean(0, 100, 'completed');
    expect(await h.queue.getJobCounts('completed')).toMatchObject({ completed: 0 });
    const data = validated(JOBS.results, { alert_id: 'once-1', batch_id: 'b1' });
    await h.queue.add(JOBS.results.name, data, { jobId: 'once-1' });
    await h.queue.add(JOBS.results.name, update, { jobId: 'inc_00000000000000000001-r1' });
    await waitFor(async () => (await h.queue.getJobCounts('completed')).completed === 2, {
      message: 're-added completed',
    });
    expect(receiver.deliveries.map((d) => d.id).sort()).toEqual(['inc_00000000000000000001-r1', 'once-1']);
    expect(receiver.duplicates).toHaveLength(0);
    expect((await h.job('once-1')).returnvalue).toEqual({ delivered: false, reason: 'delivered before' });
    expect(await h.counter('duplicate')).toBe(2);
  });

  it('completes at once without a request when no WEBHOOK_URL is configured', async () => {
    receiver = await WebhookReceiverFake.start({ secret: SECRET });
    const h = await harness('none', undefined);
    await h.add(['n-1', 'n-2']);

    await waitFor(async () => (await h.queue.getJobCounts('completed')).completed === 2, {
      message: '2 completed',
    });
    expect((await h.job('n-1')).returnvalue).toEqual({ delivered: false, reason: 'no webhook configured' });
    const counts = await h.queue.getJobCounts('waiting', 'delayed', 'active', 'failed');
    expect(counts).toEqual({ waiting: 0, delayed: 0, active: 0, failed: 0 });
    expect(receiver.requests).toHaveLength(0);
    expect(await h.counter('skipped')).toBe(2);
  });

  it('redelivers after the receiver comes back, each delivery exactly once on the receiver side', async () => {
    receiver = await WebhookReceiverFake.start({ secret: SECRET });
    await receiver.down();
    const h = await harness('down', receiver.url, 200);
    const ids = ['d-1', 'd-2', 'd-3', 'd-4', 'd-5'];
    await h.add(ids);

    // Three refused attempts each (backoff 200, 400 ms), then the receiver returns.
    await waitFor(() => ids.every((id) => (h.failures.get(id)?.length ?? 0) >= 3), {
      message: '3 failed attempts per job',
    });
    await receiver.up();
    await waitFor(async () => (await h.queue.getJobCounts('completed')).completed === ids.length, {
      message: 'all delivered',
    });

    expect(receiver.deliveries.map((d) => d.id).sort()).toEqual(ids);
    expect(receiver.duplicates).toHaveLength(0);
    expect(receiver.rejectedSignatures).toBe(0);
    for (const id of ids) {
      const job = await h.job(id);
      const fails = h.failures.get(id) ?? [];
      expect(job.attemptsMade).toBe(fails.length + 1);
      // Exponential backoff: the gap before retry n is at least 200 ms * 2^(n-1).
      fails.slice(1).forEach((t, i) => {
        expect(t - fails[i]!).toBeGreaterThanOrEqual(200 * 2 ** i - 20);
      });
    }
    expect(await h.counter('retry')).toBeGreaterThanOrEqual(15);
    expect(await h.counter('delivered')).toBe(5);
  });

  it('dead-letters at once when the receiver rejects the delivery (400)', async () => {
    receiver = await WebhookReceiverFake.start({ secret: SECRET });
    receiver.respond({ status: 400, body: 'unknown tenant' });
    const h = await harness('reject', receiver.url);
    await h.add(['r-1']);

    const dl = await waitFor(() => deadLettered(h, 'r-1'), { message: 'dead-letter entry' });
    expect(dl).toMatchObject({ queue: 'results', job_id: 'r-1', data: { alert_id: 'r-1' } });
    expect(dl.failed_reason).toContain('HTTP 400: unknown tenant');
    const job = await h.job('r-1');
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(receiver.requests.filter((r) => r.id === 'r-1')).toHaveLength(1);
    expect(await h.counter('rejected')).toBe(1);
  });

  it('retries 5xx until attempts are exhausted, then dead-letters', async () => {
    receiver = await WebhookReceiverFake.start({ secret: SECRET });
    receiver.respond({ status: 500 });
    const h = await harness('5xx', receiver.url, 50);
    await h.add(['f-1'], 'TRUE_POSITIVE', { attempts: 4 });

    const dl = await waitFor(() => deadLettered(h, 'f-1'), { message: 'dead-letter entry' });
    expect(dl.failed_reason).toContain('HTTP 500');
    expect((await h.job('f-1')).attemptsMade).toBe(4);
    expect(receiver.requests.filter((r) => r.id === 'f-1').map((r) => r.status)).toEqual([
      500, 500, 500, 500,
    ]);
    expect(receiver.deliveries).toHaveLength(0);
    expect(await h.counter('retry')).toBe(3);
    expect(await h.counter('failed')).toBe(1);
  });

  it('honours a Retry-After longer than the backoff without spending an attempt', async () => {
    receiver = await WebhookReceiverFake.start({ secret: SECRET });
    receiver.respondOnce({ status: 429, retryAfter: '1' });
    const h = await harness('429', receiver.url, 100);
    await h.add(['ra-1']);

    await waitFor(async () => (await h.queue.getJobCounts('completed')).completed === 1, {
      message: 'delivered',
    });
    const [first, second] = receiver.requests;
    expect(first?.status).toBe(429);
    expect(second?.status).toBe(200);
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(950);
    const job = await h.job('ra-1');
    expect(job.attemptsMade).toBe(1);
    expect(h.failures.get('ra-1')).toBeUndefined();
    expect(await h.counter('deferred')).toBe(1);
  });

  it('uses the backoff when Retry-After is shorter, and retries a timed-out attempt with the same delivery id', async () => {
    receiver = await WebhookReceiverFake.start({ secret: SECRET });
    // 503 asking for 0 s (shorter than the 100 ms backoff), then an answer slower than the 300 ms timeout.
    receiver.respondOnce({ status: 503, retryAfter: '0' }, { status: 200, delayMs: 1000 });
    const h = await harness('slow', receiver.url, 100);
    await h.add(['s-1']);

    await waitFor(async () => (await h.queue.getJobCounts('completed')).completed === 1, {
      message: 'delivered',
    });
    expect((await h.job('s-1')).attemptsMade).toBe(3);
    expect(await h.counter('deferred')).toBe(0);
    // The slow attempt was processed by the receiver after the sender gave up: the stable
    // X-Triage-Delivery id lets it recognise the retry as a duplicate.
    await waitFor(() => receiver.duplicates.length === 1, { message: 'the late duplicate' });
    expect(receiver.deliveries.map((d) => d.id)).toEqual(['s-1']);
    expect(receiver.duplicates[0]?.id).toBe('s-1');
  });
});

describe('JOBS.results retry schedule', () => {
  it('rides out more than a minute of receiver downtime (computed from BullMQ’s own backoff)', async () => {
    const { attempts, backoff } = JOBS.results.defaults;
    const delays: number[] = [];
    for (let made = 1; made < attempts; made++) {
      delays.push((await Backoffs.calculate(backoff, made, new Error('down'), {} as Job)) ?? 0);
    }
    expect(delays).toEqual([2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048].map((s) => s * 1000));
    let t = 0;
    const elapsed = delays.map((d) => {
      t += d;
      return t;
    });
    // Attempt n+1 starts elapsed[n-1] ms after the first (plus request time).
    const firstAfterMinute = elapsed.findIndex((t) => t > 60_000);
    expect(firstAfterMinute).toBe(4); // the 6th attempt, at ~62 s
    expect(attempts - (firstAfterMinute + 1)).toBe(7); // attempts 6..12 remain after a 60 s outage
    expect(elapsed.at(-1)).toBe(4_094_000); // the last attempt ~68 min after the first
  });
});
