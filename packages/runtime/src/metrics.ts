import { Counter, collectDefaultMetrics, Gauge, Histogram, type Metric, Registry } from 'prom-client';

/**
 * Latency buckets in seconds, ascending: from a cache hit to a slow LLM call, and up to an hour for
 * end to end (an alert waits for intel up to INTEL_WAIT_MS, and behind a backlog).
 */
export const LATENCY_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600,
];
/** HTTP request buckets: a 202 takes milliseconds, a 10,000-alert batch or `/analyze` seconds. */
export const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface MetricDef {
  type: 'counter' | 'histogram' | 'gauge';
  help: string;
  /** Every label the metric takes. Values must come from small fixed sets (no ids, no days). */
  labels: readonly string[];
  buckets?: readonly number[];
}

/**
 * The metric catalog. Every process keeps its own values (prom-client, one registry per process)
 * and serves them on its own `/metrics`: ingest on PORT, each worker on WORKER_HTTP_PORT. Prometheus
 * scrapes every process and `sum()` adds the replicas up. Pipeline-wide gauges (queue depth, oldest
 * job, quotas) are read from Redis by ingest: see `pipeline-metrics.ts`.
 */
export const METRICS = {
  triage_alerts_received_total: {
    type: 'counter',
    help: 'Alerts accepted by this ingest process (stored and queued), by detected format',
    labels: ['format'],
  },
  triage_alerts_rejected_total: {
    type: 'counter',
    help: 'Alerts (or batch items) this ingest process refused, by error code',
    labels: ['code'],
  },
  triage_alerts_duplicate_total: {
    type: 'counter',
    help: 'Alerts recognised as already received (same source, source id and content fingerprint), by format',
    labels: ['format'],
  },
  triage_alerts_source_id_reused_total: {
    type: 'counter',
    help: 'Alerts accepted as new although their source id was seen before with other content (flag source_id_reused), by format',
    labels: ['format'],
  },
  triage_verdicts_total: {
    type: 'counter',
    help: 'Verdicts stored by this classify process, by classification and decided_by',
    labels: ['classification', 'decided_by'],
  },
  triage_alerts_failed_total: {
    type: 'counter',
    help: 'Alerts marked failed after their last attempt, by the queue (stage) that gave up (sweeper: stranded with no job after SWEEP_MAX_REDRIVES)',
    labels: ['stage'],
  },
  triage_alerts_redriven_total: {
    type: 'counter',
    help: 'Alerts found in progress with no job (Redis refused writes, a cleaned queue) and queued again by the sweeper, by queue',
    labels: ['queue'],
  },
  triage_stage_duration_seconds: {
    type: 'histogram',
    help: 'Seconds per stage: enrich (first gather to hand-off, intel waits included), classify (verdict), llm (one Gemini call with its retry), end_to_end (accepted by ingest to verdict stored)',
    labels: ['stage'],
    buckets: LATENCY_BUCKETS,
  },
  triage_intel_lookups_total: {
    type: 'counter',
    help: 'Provider lookups run by this process, by provider and outcome',
    labels: ['provider', 'outcome'],
  },
  triage_intel_cache_total: {
    type: 'counter',
    help: 'Intel cache reads for provider answers, by provider and result (hit, miss)',
    labels: ['provider', 'result'],
  },
  triage_intel_rate_limited_total: {
    type: 'counter',
    help: 'HTTP 429 answers received from a provider, by provider',
    labels: ['provider'],
  },
  triage_intel_limit_wait_seconds: {
    type: 'histogram',
    help: 'Seconds a lookup job waited in its provider queue (rate limit and quota) before it ran',
    labels: ['provider'],
    buckets: LATENCY_BUCKETS,
  },
  triage_partial_intel_total: {
    type: 'counter',
    help: 'Alerts handed to classify without all their intel (timeout, quota, outage)',
    labels: [],
  },
  triage_llm_calls_total: {
    type: 'counter',
    help: 'Gemini calls and skipped calls, by outcome',
    labels: ['outcome'],
  },
  triage_llm_tokens_total: {
    type: 'counter',
    help: 'Gemini tokens billed, by kind (input, output, thinking) and model',
    labels: ['kind', 'model'],
  },
  triage_llm_cost_usd_total: {
    type: 'counter',
    help: 'Gemini cost in USD from usageMetadata and the price table, by model',
    labels: ['model'],
  },
  triage_verdict_cache_total: {
    type: 'counter',
    help: 'Verdict cache reads, by outcome (hit, miss, hit_after_wait)',
    labels: ['outcome'],
  },
  triage_webhook_deliveries_total: {
    type: 'counter',
    help: 'Webhook delivery attempts, by outcome',
    labels: ['outcome'],
  },
  triage_http_request_duration_seconds: {
    type: 'histogram',
    help: 'Seconds to answer an HTTP request, by method, route pattern and status code',
    labels: ['method', 'route', 'status_code'],
    buckets: HTTP_BUCKETS,
  },
  triage_metrics_errors_total: {
    type: 'counter',
    help: 'Metric updates that failed (a label outside the catalog): the update is dropped, the job goes on',
    labels: ['metric'],
  },
} as const satisfies Record<string, MetricDef>;
export type MetricName = keyof typeof METRICS;

type Catalog = typeof METRICS;
type NamesOf<T extends MetricDef['type']> = {
  [N in MetricName]: Catalog[N]['type'] extends T ? N : never;
}[MetricName];
/** The labels a metric takes, each optional (an absent label is an empty value). */
export type Labels<N extends MetricName = MetricName> = Partial<
  Record<Catalog[N]['labels'][number], string | number | boolean>
>;

const PROMTOOL_MISNAMED = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export interface MetricsOptions {
  /** Node.js process metrics: CPU, memory, event-loop lag, GC, handles. Default true. */
  processMetrics?: boolean;
}

const text = (labels: object) =>
  Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)])) as Record<string, string>;

/**
 * This process's metrics, on prom-client. Call sites record (`inc`, `observe`); the process serves
 * `render()` on its `/metrics`. Recording never throws: a metric must not fail a job.
 */
export class Metrics {
  readonly registry: Registry;
  private readonly series = new Map<MetricName, Metric>();

  constructor(opts: MetricsOptions = {}) {
    this.registry = new Registry();
    for (const [name, def] of Object.entries(METRICS) as Array<[MetricName, MetricDef]>) {
      const common = {
        name,
        help: def.help,
        labelNames: def.labels as string[],
        registers: [this.registry],
      };
      const metric =
        def.type === 'counter'
          ? new Counter(common)
          : def.type === 'gauge'
            ? new Gauge(common)
            : new Histogram({ ...common, buckets: [...(def.buckets ?? LATENCY_BUCKETS)] });
      this.series.set(name, metric);
    }
    if (opts.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named like counters (promtool: "non-counter metrics should not have _total suffix");
      // the same counts stay available per type as nodejs_active_handles / _requests / _resources.
      for (const name of PROMTOOL_MISNAMED) this.registry.removeSingleMetric(name);
    }
  }

  inc<N extends NamesOf<'counter'>>(name: N, labels: Labels<N> = {}, by = 1): void {
    this.record(name, () => (this.series.get(name) as Counter).inc(text(labels), by));
  }

  observe<N extends NamesOf<'histogram'>>(name: N, labels: Labels<N>, seconds: number): void {
    this.record(name, () => (this.series.get(name) as Histogram).observe(text(labels), seconds));
  }

  /**
   * The current value of a counter: the sum over its series whose labels include `labels` (for a
   * histogram, the number of observations). For tests and status lines; Prometheus reads `render()`.
   */
  async value<N extends MetricName>(name: N, labels: Labels<N> = {}): Promise<number> {
    const want = Object.entries(text(labels));
    const { values } = await (this.series.get(name) as Metric).get();
    const kind = METRICS[name].type;
    return values
      .filter(
        (v) => kind !== 'histogram' || String((v as { metricName?: string }).metricName).endsWith('_count'),
      )
      .filter((v) => want.every(([k, x]) => String((v.labels as Record<string, unknown>)[k]) === x))
      .reduce((a, v) => a + v.value, 0);
  }

  /** Prometheus text exposition of this process's metrics. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Nothing to flush: values live in this process until scraped. Kept for callers that flush on close. */
  async flush(): Promise<void> {}

  async close(): Promise<void> {}

  private record(name: MetricName, update: () => void): void {
    try {
      update();
    } catch {
      (this.series.get('triage_metrics_errors_total') as Counter).inc({ metric: name });
    }
  }
}
