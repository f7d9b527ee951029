import { hasPromtool, promtoolCheckMetrics } from '@triage/testing';
import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.ts';

describe('Metrics (prom-client, one registry per process)', () => {
  it('renders counters and histograms with buckets in numeric order and +Inf last', async () => {
    const m = new Metrics({ processMetrics: false });
    m.inc('triage_verdicts_total', { classification: 'TRUE_POSITIVE', decided_by: 'rules' });
    m.inc('triage_verdicts_total', { classification: 'TRUE_POSITIVE', decided_by: 'rules' }, 2);
    m.observe('triage_stage_duration_seconds', { stage: 'enrich' }, 0.02);
    m.observe('triage_stage_duration_seconds', { stage: 'enrich' }, 3);
    m.observe('triage_stage_duration_seconds', { stage: 'end_to_end' }, 1200);
    const text = await m.render();
    expect(text).toContain('# TYPE triage_verdicts_total counter');
    expect(text).toContain('triage_verdicts_total{classification="TRUE_POSITIVE",decided_by="rules"} 3');
    const les = [
      ...text.matchAll(/triage_stage_duration_seconds_bucket\{le="([^"]+)",stage="enrich"\}/g),
    ].map((x) => x[1]);
    expect(les.at(-1)).toBe('+Inf');
    const numeric = les.slice(0, -1).map(Number);
    expect(numeric).toEqual([...numeric].sort((a, b) => a - b));
    expect(text).toContain('triage_stage_duration_seconds_bucket{le="5",stage="enrich"} 2');
    expect(text).toContain('triage_stage_duration_seconds_bucket{le="+Inf",stage="enrich"} 2');
    expect(text).toContain('triage_stage_duration_seconds_bucket{le="3600",stage="end_to_end"} 1');
    expect(await m.value('triage_stage_duration_seconds', { stage: 'enrich' })).toBe(2);
  });

  it('keeps each process its own counters (no shared global to double-count)', async () => {
    const a = new Metrics({ processMetrics: false });
    const b = new Metrics({ processMetrics: false });
    a.inc('triage_alerts_received_total', { format: 'wazuh' }, 3);
    b.inc('triage_alerts_received_total', { format: 'wazuh' }, 5);
    expect(await a.value('triage_alerts_received_total', { format: 'wazuh' })).toBe(3);
    expect(await b.value('triage_alerts_received_total', { format: 'wazuh' })).toBe(5);
  });

  it('never throws on a bad label: the update is dropped and counted', async () => {
    const m = new Metrics({ processMetrics: false });
    const loose = m as unknown as { inc: (n: string, l: Record<string, string>) => void };
    expect(() => loose.inc('triage_verdicts_total', { tenant: 'x' })).not.toThrow();
    expect(await m.value('triage_metrics_errors_total', { metric: 'triage_verdicts_total' })).toBe(1);
  });

  it('has no unbounded label: no day, id or value labels in the catalog', async () => {
    const m = new Metrics({ processMetrics: false });
    const text = await m.render();
    expect(text).not.toMatch(/\bday=|alert_id|job_id|value=/);
    expect(text).toMatch(/# HELP triage_llm_cost_usd_total .+ by model/);
  });

  it.skipIf(!hasPromtool())('passes promtool check metrics, process metrics included', async () => {
    const m = new Metrics();
    m.inc('triage_llm_tokens_total', { kind: 'input', model: 'gemini-2.5-flash' }, 1200);
    m.observe(
      'triage_http_request_duration_seconds',
      { method: 'POST', route: '/v1/alerts', status_code: 202 },
      0.004,
    );
    expect(await promtoolCheckMetrics(await m.render())).toEqual([]);
  });
});
