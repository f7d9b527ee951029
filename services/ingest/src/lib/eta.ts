import { type BatchSummary, type Eta, type EtaBound, JOBS } from '@triage/contracts';
import type { PipelineSnapshot, RateLimit, TriageConfig } from '@triage/runtime';

/** Snapshot `values` the estimator reads (PipelineStatus `values`). */
export const ETA_VALUES = {
  done: 'done',
  ahead: (provider: string) => `ahead:${provider}`,
} as const;

/** The measured pace is taken over this much history (older readings are dropped). */
const WINDOW_MS = 60_000;

const LABEL: Record<string, string> = { abuseipdb: 'AbuseIPDB', virustotal: 'VirusTotal', llm: 'Gemini' };
const STAGES = [JOBS.enrich.name, JOBS.classify.name] as const;
const n = (x: number) => Math.round(x).toLocaleString('en-US');
const perSecond = (r: RateLimit) => r.max / (r.duration / 1000);
/** Seconds to a tenth: estimates, not measurements. */
const tenths = (s: number) => Math.round(s * 10) / 10;
const obj = (v: unknown) => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

interface Reading {
  at: number;
  done: number;
  llmCalls: number | undefined;
}

/** Alerts of a queue not yet finished (every state but completed / failed). */
function unfinished(snap: PipelineSnapshot, queue: string): number {
  const c = snap.queues.get(queue)?.counts;
  return c ? c.waiting + c.paused + c.prioritized + c.active + c.delayed + c['waiting-children'] : 0;
}

/**
 * The quota-aware ETA. Bounds, each a time from now:
 * - throughput: the alerts left at the pipeline's measured pace (alerts made final per second over
 *   the last minute, from the `done` counter every completion increments);
 * - per configured provider: the distinct observables queued alerts need that are not cached
 *   (PendingLookups), capped by what is left of today's quota, at the provider's rate, after any
 *   429 pause;
 * - the LLM: the alerts left times the measured share that went to the LLM, capped by today's quota
 *   and by the budget left at the measured cost per call, at GEMINI_RATE_LIMIT, after any pause.
 * Calls past a quota or budget are not waited for (those alerts are triaged without that source,
 * as the enrich and classify workers do): they are reported as `over_limit`, and the bound names
 * the quota ("VirusTotal quota: 412 lookups left today"). The ETA is the largest bound.
 *
 * Readings are kept in this process (each ingest replica measures on its own); a reading is taken
 * whenever the shared pipeline snapshot is fresh.
 */
export class EtaEstimator {
  private readonly config: TriageConfig;
  private readonly readings: Reading[] = [];

  constructor(config: TriageConfig) {
    this.config = config;
  }

  /** Records a snapshot's counters (once per snapshot). */
  observe(snap: PipelineSnapshot): void {
    const last = this.readings[this.readings.length - 1];
    if (last && last.at >= snap.at) return;
    const llmCalls = num(obj(snap.components.get('llm')?.data).calls_today);
    this.readings.push({ at: snap.at, done: snap.values.get(ETA_VALUES.done) ?? 0, llmCalls });
    while (this.readings.length > 2 && snap.at - this.readings[0]!.at > WINDOW_MS) this.readings.shift();
  }

  /** Alerts made final per second, and the share of them that called the LLM, over the window. */
  private pace(): { donePerSec: number | null; llmShare: number | null } {
    const first = this.readings[0];
    const last = this.readings[this.readings.length - 1];
    if (!first || !last || last.at - first.at < 1000) return { donePerSec: null, llmShare: null };
    const done = last.done - first.done;
    const donePerSec = done >= 0 ? (done * 1000) / (last.at - first.at) : null;
    const calls =
      first.llmCalls !== undefined && last.llmCalls !== undefined ? last.llmCalls - first.llmCalls : null;
    // A UTC day rolling over resets calls_today: no share from that window.
    const llmShare = done > 0 && calls !== null && calls >= 0 ? Math.min(1, calls / done) : null;
    return { donePerSec, llmShare };
  }

  /** Until every alert queued now is triaged (GET /health). */
  pipeline(snap: PipelineSnapshot): Eta {
    this.observe(snap);
    return this.estimate(
      snap,
      STAGES.reduce((a, q) => a + unfinished(snap, q), 0),
    );
  }

  /**
   * Until a batch is triaged: a live batch's own alerts (live alerts run first); a backlog batch
   * waits behind everything queued, so the whole pipeline's.
   */
  batch(snap: PipelineSnapshot, summary: BatchSummary): Eta {
    this.observe(snap);
    const own = Math.max(0, summary.total - summary.completed - summary.failed);
    if (own === 0) return this.estimate(snap, 0);
    if (summary.paused) return this.fixed(own, 'paused', 'paused: resume the batch to go on');
    const ahead = STAGES.reduce((a, q) => a + unfinished(snap, q), 0);
    return this.estimate(snap, summary.lane === 'backlog' ? Math.max(own, ahead) : own);
  }

  private fixed(remaining: number, factor: Eta['factor'], limitedBy: string, bounds: EtaBound[] = []): Eta {
    return {
      remaining,
      seconds: factor === 'done' ? 0 : null,
      at: null,
      limited_by: limitedBy,
      factor,
      done_per_second: this.pace().donePerSec,
      bounds,
    };
  }

  estimate(snap: PipelineSnapshot, remaining: number): Eta {
    if (remaining <= 0)
      return { ...this.fixed(0, 'done', 'nothing left'), at: new Date(snap.at).toISOString() };
    const { donePerSec, llmShare } = this.pace();
    const bounds: EtaBound[] = [];

    // Throughput, named after the stage with the most alerts waiting (the bottleneck).
    const stage = [...STAGES].sort((a, b) => unfinished(snap, b) - unfinished(snap, a))[0]!;
    const idle = STAGES.find((q) => unfinished(snap, q) > 0 && (snap.workers.get(q) ?? 0) === 0);
    bounds.push({
      factor: 'throughput',
      subject: stage,
      seconds: donePerSec && donePerSec > 0 ? tenths(remaining / donePerSec) : null,
      detail:
        donePerSec === null
          ? `throughput: measuring (${n(remaining)} alerts left)`
          : donePerSec === 0
            ? `throughput: no alert finished in the last minute (${n(remaining)} left)`
            : `throughput: ${donePerSec.toFixed(1)} alerts/s, ${n(remaining)} left (most waiting: ${stage}, ${n(unfinished(snap, stage))})`,
    });

    // Providers, as the enrich workers report them (configured, quota, 429 pause).
    const providers = snap.components.get('intel')?.data;
    for (const p of Array.isArray(providers) ? providers : []) {
      const o = obj(p);
      const name = String(o.provider);
      const rate = this.providerRate(name);
      const ahead = snap.values.get(ETA_VALUES.ahead(name)) ?? 0;
      if (o.configured !== true || !rate || ahead === 0) continue;
      const left = num(obj(o.quota).left);
      const calls = left === undefined ? ahead : Math.min(ahead, left);
      const pause = this.pauseSeconds(o.throttled_until, snap.at);
      const label = LABEL[name] ?? name;
      const quotaBound = left !== undefined && ahead > left;
      bounds.push({
        factor: quotaBound ? 'provider_quota' : 'provider_rate',
        subject: name,
        seconds: tenths(pause + calls / perSecond(rate)),
        detail: quotaBound
          ? `${label} quota: ${n(left)} lookups left today (${n(ahead)} observables not yet cached)`
          : `${label} rate: ${rate.text} for ${n(ahead)} observables not yet cached`,
        calls,
        over_limit: ahead - calls,
      });
    }

    const llm = this.llmBound(snap, remaining, llmShare);
    if (llm) bounds.push(llm);

    if (idle) {
      return this.fixed(
        remaining,
        'no_workers',
        `no ${idle} worker running (${n(unfinished(snap, idle))} waiting)`,
        bounds,
      );
    }
    const throughput = bounds[0]!;
    if (throughput.seconds === null) return this.fixed(remaining, 'measuring', throughput.detail, bounds);
    const top = bounds.reduce((a, b) => ((b.seconds ?? 0) > (a.seconds ?? 0) ? b : a));
    const seconds = top.seconds ?? 0;
    return {
      remaining,
      seconds,
      at: new Date(snap.at + seconds * 1000).toISOString(),
      limited_by: top.detail,
      factor: top.factor,
      done_per_second: donePerSec,
      bounds,
    };
  }

  private providerRate(name: string): RateLimit | undefined {
    const c = this.config;
    if (name === 'abuseipdb') return c.ABUSEIPDB_RATE_LIMIT;
    if (name === 'virustotal') return c.VIRUSTOTAL_RATE_LIMIT;
    return undefined;
  }

  private pauseSeconds(until: unknown, now: number): number {
    const ms = typeof until === 'string' ? Date.parse(until) : Number.NaN;
    return Number.isFinite(ms) ? Math.max(0, ms - now) / 1000 : 0;
  }

  /** The LLM calls still ahead (measured share × alerts left), capped by quota and budget. */
  private llmBound(snap: PipelineSnapshot, remaining: number, share: number | null): EtaBound | undefined {
    const l = obj(snap.components.get('llm')?.data);
    if (l.configured !== true || share === null || share === 0) return undefined;
    const expected = Math.ceil(remaining * share);
    let calls = expected;
    let factor: EtaBound['factor'] = 'llm_rate';
    const rate = this.config.GEMINI_RATE_LIMIT;
    let detail = `${LABEL.llm} rate: ${rate.text} for ≈ ${n(expected)} calls (${Math.round(share * 100)}% of alerts)`;
    const quotaLeft = num(l.quota_left);
    if (quotaLeft !== undefined && quotaLeft < calls) {
      calls = quotaLeft;
      factor = 'llm_quota';
      detail = `${LABEL.llm} quota: ${n(quotaLeft)} calls left today (≈ ${n(expected)} wanted)`;
    }
    const budget = num(l.budget_usd);
    const spent = num(l.spent_today_usd) ?? 0;
    const callsToday = num(l.calls_today) ?? 0;
    if (budget !== undefined && callsToday > 0 && spent > 0) {
      // (+1e-6: dollars in binary floating point; 0.08 / 0.001 must be 80 calls, not 79.)
      const affordable = Math.max(0, Math.floor((budget - spent) / (spent / callsToday) + 1e-6));
      if (affordable < calls) {
        calls = affordable;
        factor = 'llm_budget';
        detail = `${LABEL.llm} budget: $${Math.max(0, budget - spent).toFixed(2)} left today (≈ ${n(affordable)} calls, ≈ ${n(expected)} wanted)`;
      }
    }
    return {
      factor,
      subject: 'llm',
      seconds: tenths(this.pauseSeconds(l.paused_until, snap.at) + calls / perSecond(rate)),
      detail,
      calls,
      over_limit: expected - calls,
    };
  }
}
