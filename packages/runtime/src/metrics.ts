import type { Redis } from 'ioredis';

export type MetricType = 'counter' | 'gauge' | 'histogram';
export interface MetricDef {
  help: string;
  type: MetricType;
}

/** Latency buckets in seconds, from a cache hit to a slow LLM call. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * The metric catalog. Counters and histograms live in one Redis hash so every worker process
 * contributes and `GET /metrics` on any ingest replica shows the whole pipeline.
 */
export const METRICS = {
  triage_alerts_received_total: { type: 'counter', help: 'Alerts accepted by ingest, by format' },
  triage_alerts_rejected_total: { type: 'counter', help: 'Alerts rejected by ingest, by error code' },
  triage_alerts_duplicate_total: {
    type: 'counter',
    help: 'Alerts recognised as already received (same source id)',
  },
  triage_verdicts_total: { type: 'counter', help: 'Verdicts written, by classification and decided_by' },
  triage_alerts_failed_total: { type: 'counter', help: 'Alerts that ended failed' },
  triage_stage_duration_seconds: {
    type: 'histogram',
    help: 'Time spent per stage (enrich, classify, end_to_end)',
  },
  triage_intel_lookups_total: { type: 'counter', help: 'Provider lookups, by provider and outcome' },
  triage_intel_cache_total: { type: 'counter', help: 'Intel cache hits and misses, by provider' },
  triage_intel_rate_limited_total: { type: 'counter', help: '429 answers received, by provider' },
  triage_intel_limit_wait_seconds: { type: 'histogram', help: 'Time a lookup waited for its provider limit' },
  triage_partial_intel_total: {
    type: 'counter',
    help: 'Alerts classified without all intel (timeout, quota, outage)',
  },
  triage_llm_calls_total: { type: 'counter', help: 'Gemini calls, by outcome' },
  triage_llm_tokens_total: { type: 'counter', help: 'Gemini tokens, by kind (input, output, thinking)' },
  triage_llm_cost_usd_total: { type: 'counter', help: 'Gemini cost in USD, by UTC day' },
  triage_verdict_cache_total: { type: 'counter', help: 'Verdict cache hits and misses' },
  triage_webhook_deliveries_total: { type: 'counter', help: 'Webhook deliveries, by outcome' },
} as const satisfies Record<string, MetricDef>;
export type MetricName = keyof typeof METRICS;

export type Labels = Record<string, string | number | boolean>;

function labelText(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map(
      (k) => `${k}="${String(labels[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
    )
    .join(',');
}

/**
 * Buffers increments in memory and flushes them to Redis in one pipeline, so the hot path pays
 * no extra round trip per job.
 */
export class Metrics {
  private readonly redis: Redis;
  private readonly key: string;
  private pending = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(redis: Redis, prefix: string, flushIntervalMs = 1000) {
    this.redis = redis;
    this.key = `${prefix}:metrics`;
    this.timer = setInterval(() => void this.flush().catch(() => undefined), flushIntervalMs);
    this.timer.unref();
  }

  inc(name: MetricName, labels: Labels = {}, by = 1): void {
    this.add(`${name}|${labelText(labels)}`, by);
  }

  observe(name: MetricName, labels: Labels, seconds: number): void {
    const base = labelText(labels);
    for (const le of LATENCY_BUCKETS) {
      if (seconds <= le) this.add(`${name}_bucket|${labelText({ ...labels, le })}`, 1);
    }
    this.add(`${name}_bucket|${labelText({ ...labels, le: '+Inf' })}`, 1);
    this.add(`${name}_sum|${base}`, seconds);
    this.add(`${name}_count|${base}`, 1);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const pipe = this.redis.pipeline();
    for (const [field, v] of batch) pipe.hincrbyfloat(this.key, field, v);
    await pipe.exec();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush().catch(() => undefined);
  }

  private add(field: string, v: number): void {
    this.pending.set(field, (this.pending.get(field) ?? 0) + v);
  }
}

export interface GaugeSample {
  name: string;
  help: string;
  type?: MetricType;
  samples: Array<{ labels: Labels; value: number }>;
}

/** Prometheus text exposition of the shared counters plus live gauges (queue depths, ...). */
export async function renderMetrics(
  redis: Redis,
  prefix: string,
  gauges: GaugeSample[] = [],
): Promise<string> {
  const all = await redis.hgetall(`${prefix}:metrics`);
  const byMetric = new Map<string, string[]>();
  for (const [field, value] of Object.entries(all)) {
    const sep = field.indexOf('|');
    const series = field.slice(0, sep);
    const labels = field.slice(sep + 1);
    const base = series.replace(/_(bucket|sum|count)$/, '');
    const name = base in METRICS ? base : series;
    const line = `${series}${labels ? `{${labels}}` : ''} ${Number(value)}`;
    byMetric.set(name, [...(byMetric.get(name) ?? []), line]);
  }
  const out: string[] = [];
  for (const [name, lines] of [...byMetric].sort(([a], [b]) => a.localeCompare(b))) {
    const def = (METRICS as Record<string, MetricDef>)[name];
    if (def) out.push(`# HELP ${name} ${def.help}`, `# TYPE ${name} ${def.type}`);
    out.push(...lines.sort());
  }
  for (const g of gauges) {
    out.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} ${g.type ?? 'gauge'}`);
    for (const s of g.samples) {
      const l = labelText(s.labels);
      out.push(`${g.name}${l ? `{${l}}` : ''} ${s.value}`);
    }
  }
  return `${out.join('\n')}\n`;
}
