import { type RedisFixture, redisFixture } from '@triage/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Metrics, renderMetrics } from './metrics.ts';

let fx: RedisFixture;
beforeAll(async () => {
  fx = await redisFixture('metrics');
});
afterAll(() => fx.close());

it('aggregates counters and histograms from several processes into Prometheus text', async () => {
  const a = new Metrics(fx.redis, fx.prefix, 60_000);
  const b = new Metrics(fx.redis, fx.prefix, 60_000);
  a.inc('triage_verdicts_total', { classification: 'TRUE_POSITIVE', decided_by: 'rules' });
  b.inc('triage_verdicts_total', { classification: 'TRUE_POSITIVE', decided_by: 'rules' }, 2);
  a.observe('triage_stage_duration_seconds', { stage: 'enrich' }, 0.02);
  b.observe('triage_stage_duration_seconds', { stage: 'enrich' }, 3);
  await Promise.all([a.close(), b.close()]);
  const text = await renderMetrics(fx.redis, fx.prefix, [
    {
      name: 'triage_queue_jobs',
      help: 'jobs',
      samples: [{ labels: { queue: 'enrich', state: 'waiting' }, value: 7 }],
    },
  ]);
  expect(text).toContain('# TYPE triage_verdicts_total counter');
  expect(text).toContain('triage_verdicts_total{classification="TRUE_POSITIVE",decided_by="rules"} 3');
  expect(text).toContain('# TYPE triage_stage_duration_seconds histogram');
  expect(text).toContain('triage_stage_duration_seconds_bucket{le="0.025",stage="enrich"} 1');
  expect(text).toContain('triage_stage_duration_seconds_bucket{le="5",stage="enrich"} 2');
  expect(text).toContain('triage_stage_duration_seconds_bucket{le="+Inf",stage="enrich"} 2');
  expect(text).toContain('triage_stage_duration_seconds_count{stage="enrich"} 2');
  expect(text).toContain('triage_queue_jobs{queue="enrich",state="waiting"} 7');
});
