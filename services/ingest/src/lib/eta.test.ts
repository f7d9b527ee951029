import { JOBS } from '@triage/contracts';
import { loadConfig, type PipelineSnapshot, type QueueCounts } from '@triage/runtime';
import { expect, it } from 'vitest';
import { ETA_VALUES, EtaEstimator } from './eta.ts';

const counts = (prioritized: number): QueueCounts => ({
  waiting: 0,
  paused: 0,
  prioritized,
  active: 0,
  delayed: 0,
  completed: 0,
  failed: 0,
  'waiting-children': 0,
});

/** A pipeline snapshot as PipelineStatus reads it: `done` alerts finished so far, `llm` as reported. */
function snap(at: number, done: number, llm: Record<string, unknown>, queued = 1000): PipelineSnapshot {
  return {
    at,
    latencyMs: 1,
    memory: { usedBytes: 0, maxBytes: 0 },
    queues: new Map([
      [JOBS.enrich.name, { counts: counts(queued), oldestWaitingAt: null }],
      [JOBS.classify.name, { counts: counts(0), oldestWaitingAt: null }],
    ]),
    workers: new Map([
      [JOBS.enrich.name, 1],
      [JOBS.classify.name, 1],
    ]),
    components: new Map([
      ['intel', { at, instance: 'e', data: [] }],
      ['llm', { at, instance: 'c', data: llm }],
    ]),
    values: new Map([[ETA_VALUES.done, done]]),
  };
}

it('the LLM share of alerts is measured; the budget left at the measured cost per call caps the calls', () => {
  const eta = new EtaEstimator(loadConfig({ GEMINI_RATE_LIMIT: '60/min' }));
  const llm = (calls: number) => ({
    configured: true,
    calls_today: calls,
    spent_today_usd: calls * 0.001,
    budget_usd: 1,
  });
  eta.pipeline(snap(0, 0, llm(900)));
  // 100 alerts in 10 s (10/s), 20 of them went to the LLM: 20 %.
  const e = eta.pipeline(snap(10_000, 100, llm(920)));
  expect(e.done_per_second).toBe(10);
  const bound = e.bounds.find((b) => b.subject === 'llm');
  // 1,000 alerts left → ≈ 200 calls wanted; $0.08 left at $0.001 a call → 80 calls, 1 a second.
  expect(bound).toMatchObject({ factor: 'llm_budget', calls: 80, over_limit: 120, seconds: 80 });
  expect(bound?.detail).toBe('Gemini budget: $0.08 left today (≈ 80 calls, ≈ 200 wanted)');
  // The throughput (1,000 at 10/s = 100 s) is the larger bound.
  expect(e).toMatchObject({ factor: 'throughput', seconds: 100, remaining: 1000 });

  // Without a budget the rate bounds the 200 calls: 200 s, the ETA.
  const free = new EtaEstimator(loadConfig({ GEMINI_RATE_LIMIT: '60/min' }));
  free.pipeline(snap(0, 0, { configured: true, calls_today: 0 }));
  const f = free.pipeline(snap(10_000, 100, { configured: true, calls_today: 20 }));
  expect(f).toMatchObject({
    factor: 'llm_rate',
    seconds: 200,
    limited_by: 'Gemini rate: 60/min for ≈ 200 calls (20% of alerts)',
  });
});

it('nothing queued: done at once; no progress for a minute: says so, no guess', () => {
  const eta = new EtaEstimator(loadConfig({}));
  expect(eta.pipeline(snap(0, 5, { configured: false }, 0))).toMatchObject({
    remaining: 0,
    seconds: 0,
    factor: 'done',
  });
  eta.pipeline(snap(1000, 5, { configured: false }));
  const stuck = eta.pipeline(snap(30_000, 5, { configured: false }));
  expect(stuck).toMatchObject({ seconds: null, factor: 'measuring' });
  expect(stuck.limited_by).toBe('throughput: no alert finished in the last minute (1,000 left)');
});
