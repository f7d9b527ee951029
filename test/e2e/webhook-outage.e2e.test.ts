/**
 * Verdicts out to a SOAR through a minute-long outage: the real pipeline with the default retry
 * schedule of the results queue, a receiver that refuses connections for 60 s, then verifies every
 * delivery with the `standardwebhooks` library and counts each webhook-id once. A captured delivery
 * replayed with a new id is refused.
 */
import { WebhookEvent } from '@triage/contracts';
import {
  newWebhookSecret,
  PIPELINE_HOOK_TIMEOUT_MS,
  type RedisFixture,
  type RunningPipeline,
  readJson,
  redisFixture,
  startPipeline,
  WebhookReceiverFake,
  waitFor,
} from '@triage/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

const SECRET = newWebhookSecret();
let fx: RedisFixture;
let receiver: WebhookReceiverFake;
let pipeline: RunningPipeline;

beforeAll(async () => {
  fx = await redisFixture('e2e-webhook');
  receiver = await WebhookReceiverFake.start({ secret: SECRET });
  pipeline = await startPipeline({
    env: { REDIS_URL: fx.url, QUEUE_PREFIX: fx.prefix, WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET },
  });
}, PIPELINE_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await pipeline?.stop();
  await receiver?.down();
  await fx?.close();
});

it('the receiver down for a minute: every result arrives afterwards, signed, exactly once', async () => {
  await receiver.down();
  const downAt = Date.now();
  const alerts = Array.from({ length: 20 }, (_, i) => ({
    name: `Password spray ${i}`,
    alert: {
      user: `u${i}`,
      source_ip: `91.200.${i}.7`,
      failed_logins: 30,
      success: i % 2 === 0,
      severity: 'High',
    },
  }));
  const res = await fetch(`${pipeline.url}/v1/alerts/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ alerts }),
  });
  const { batch_id, ids } = await readJson(res);
  await waitFor(
    async () =>
      (await readJson(await fetch(`${pipeline.url}/v1/batches/${batch_id}`))).summary.completed === 20,
    {
      timeoutMs: 20_000,
    },
  );

  await waitFor(() => Date.now() - downAt >= 60_000, { timeoutMs: 70_000, intervalMs: 500 });
  await receiver.up();
  const upAt = Date.now();
  // Every alert opens an incident on its own user too: those updates are their own event type.
  const verdicts = () =>
    receiver.deliveries.filter((d) => (d.body as { type?: string }).type === 'alert.verdict');
  await waitFor(() => verdicts().length >= 20, {
    timeoutMs: 90_000,
    intervalMs: 200,
    message: `20 deliveries (have ${verdicts().length})\n${pipeline.logs().slice(-2000)}`,
  });
  // Count only once the results queue is drained: then no further delivery attempt can happen.
  const k = (s: string) => `${fx.prefix}:results:${s}`;
  await waitFor(async () => {
    const [done, delayed, waiting, active, prioritized] = await Promise.all([
      fx.redis.zcard(k('completed')),
      fx.redis.zcard(k('delayed')),
      fx.redis.llen(k('wait')),
      fx.redis.llen(k('active')),
      fx.redis.zcard(k('prioritized')),
    ]);
    return done >= 20 && delayed + waiting + active + prioritized === 0;
  });

  expect(new Set(verdicts().map((d) => d.id))).toEqual(new Set(ids));
  expect(receiver.duplicates).toHaveLength(0);
  expect(receiver.rejectedSignatures).toBe(0);
  for (const d of receiver.deliveries) {
    const body = WebhookEvent.parse(d.body);
    if (body.type === 'incident.updated') {
      expect(d.id).toBe(`${body.incident_id}-r${body.revision}`);
      expect(ids).toContain(body.alert_id);
      continue;
    }
    expect(body.alert_id).toBe(d.id);
    expect(['TRUE_POSITIVE', 'FALSE_POSITIVE', 'NEEDS_REVIEW']).toContain(body.result.classification);
    expect(typeof body.mappings.ocsf.verdict_id).toBe('number');
  }
  const delivered = receiver.deliveries.length;
  expect(receiver.requests.every((r) => r.verified === true)).toBe(true);

  // An attacker who captured a delivery sends it again with a new webhook-id to get past dedupe.
  const captured = receiver.deliveries[0]!;
  const replayed = await fetch(receiver.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': `${captured.id}-again`,
      'webhook-timestamp': captured.timestamp,
      'webhook-signature': String(captured.headers['webhook-signature']),
    },
    body: captured.raw,
  });
  expect(replayed.status).toBe(401);
  expect(receiver.deliveries).toHaveLength(delivered);
  const last = Math.max(...verdicts().map((d) => d.receivedAt));
  console.log(
    `[webhook e2e] receiver down ${((upAt - downAt) / 1000).toFixed(0)} s; all 20 delivered ${((last - upAt) / 1000).toFixed(1)} s after it came back; ${receiver.requests.length} requests reached it, 0 duplicates, 0 bad signatures (standardwebhooks), a replay with a new webhook-id refused`,
  );
}, 200_000);
