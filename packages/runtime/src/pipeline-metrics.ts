import { Gauge, type Registry } from 'prom-client';
import type { PipelineSnapshot, PipelineStatus } from './pipeline-status.ts';

type Num = number | null | undefined;
const num = (v: unknown): Num => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown) => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/** A provider line of the `intel` snapshot (intel's ProviderStatus), read defensively. */
function providers(snap: PipelineSnapshot) {
  const data = snap.components.get('intel')?.data;
  return (Array.isArray(data) ? data : []).map((p) => {
    const o = obj(p);
    const quota = obj(o.quota);
    return {
      provider: String(o.provider ?? 'unknown'),
      configured: o.configured === true,
      throttled: typeof o.throttled_until === 'string',
      used: num(quota.used),
      limit: num(quota.limit),
      cache: num(o.cache_size),
    };
  });
}

/**
 * Pipeline-wide gauges, read from Redis at scrape time through the shared PipelineStatus (so a
 * scrape costs at most one Redis read per second). They describe shared state, so every ingest
 * replica serves the same values: aggregate them with `max()`, never `sum()`. Registered by ingest
 * only; workers serve their own counters.
 */
export function registerPipelineMetrics(registry: Registry, pipeline: PipelineStatus): void {
  let last: Promise<PipelineSnapshot | undefined> | undefined;
  let lastAt = 0;
  // One read per scrape, shared by every gauge's collect().
  const snapshot = () => {
    const now = Date.now();
    if (!last || now - lastAt > 100) {
      lastAt = now;
      last = pipeline.read().catch(() => undefined);
    }
    return last;
  };
  const gauge = (
    name: string,
    help: string,
    labelNames: string[],
    fill: (g: Gauge, s: PipelineSnapshot) => void,
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        const s = await snapshot();
        if (s) fill(this, s);
      },
    });

  new Gauge({
    name: 'triage_redis_up',
    help: 'Whether the last pipeline status read from Redis succeeded (1) or not (0)',
    registers: [registry],
    async collect() {
      this.set((await snapshot()) ? 1 : 0);
    },
  });
  gauge('triage_redis_memory_used_bytes', 'Redis used_memory (the fullest master of a cluster)', [], (g, s) =>
    g.set(s.memory.usedBytes),
  );
  gauge(
    'triage_redis_memory_max_bytes',
    'Redis maxmemory (0: no limit). At it, with noeviction, Redis refuses writes: ingest answers 503',
    [],
    (g, s) => g.set(s.memory.maxBytes),
  );
  gauge(
    'triage_queue_jobs',
    'Jobs per queue and BullMQ state (prioritized holds the waiting jobs that have a priority: all alerts)',
    ['queue', 'state'],
    (g, s) => {
      for (const [queue, q] of s.queues)
        for (const [state, n] of Object.entries(q.counts)) g.set({ queue, state }, n);
    },
  );
  gauge(
    'triage_queue_oldest_waiting_seconds',
    'Age of the oldest job waiting to run (wait, paused or prioritized) per queue; 0 when none waits',
    ['queue'],
    (g, s) => {
      for (const [queue, q] of s.queues)
        g.set({ queue }, q.oldestWaitingAt ? Math.max(0, s.at - q.oldestWaitingAt) / 1000 : 0);
    },
  );
  gauge('triage_queue_workers', 'Worker processes with a fresh heartbeat, per queue', ['queue'], (g, s) => {
    for (const [queue, n] of s.workers) g.set({ queue }, n);
  });
  gauge(
    'triage_status_report_age_seconds',
    'Age of the latest status snapshot a component published (intel: enrich workers, llm: classify workers)',
    ['component'],
    (g, s) => {
      for (const [component, r] of s.components) if (r) g.set({ component }, Math.max(0, s.at - r.at) / 1000);
    },
  );
  gauge(
    'triage_intel_quota_used',
    "Provider calls counted in today's quota ledger (UTC day)",
    ['provider'],
    (g, s) => {
      for (const p of providers(s)) if (p.used != null) g.set({ provider: p.provider }, p.used);
    },
  );
  gauge(
    'triage_intel_quota_limit',
    'Daily call quota of a provider (absent when it has none)',
    ['provider'],
    (g, s) => {
      for (const p of providers(s)) if (p.limit != null) g.set({ provider: p.provider }, p.limit);
    },
  );
  gauge(
    'triage_intel_throttled',
    'Whether a provider is paused after a 429 (1) or not (0)',
    ['provider'],
    (g, s) => {
      for (const p of providers(s)) if (p.configured) g.set({ provider: p.provider }, p.throttled ? 1 : 0);
    },
  );
  gauge('triage_intel_cache_entries', 'Live intel cache entries, per provider', ['provider'], (g, s) => {
    for (const p of providers(s)) if (p.cache != null) g.set({ provider: p.provider }, p.cache);
  });
  const llm = (s: PipelineSnapshot) => obj(s.components.get('llm')?.data);
  gauge('triage_llm_spent_today_usd', 'Gemini spend today (UTC day), USD', [], (g, s) => {
    const v = num(llm(s).spent_today_usd);
    if (v != null) g.set(v);
  });
  gauge(
    'triage_llm_budget_usd',
    'GEMINI_DAILY_BUDGET_USD (absent when there is no budget cap)',
    [],
    (g, s) => {
      const v = num(llm(s).budget_usd);
      if (v != null) g.set(v);
    },
  );
  gauge('triage_llm_calls_today', 'Gemini calls today (UTC day)', [], (g, s) => {
    const v = num(llm(s).calls_today);
    if (v != null) g.set(v);
  });
  gauge('triage_llm_paused', 'Whether Gemini is paused after a 429 (1) or not (0)', [], (g, s) => {
    const l = llm(s);
    if (l.configured === true) g.set(typeof l.paused_until === 'string' ? 1 : 0);
  });
}
