import { type Enrichment, type NormalizedAlert, type ResultFlag, TriageResult } from '@triage/contracts';
import { AppError, keys, type Logger, type Metrics, type Redis, type TriageConfig } from '@triage/runtime';
import { extractFeatures } from './alert-features.ts';
import { costUsd, priceFor, type Usage } from './cost.ts';
import { GeminiClient } from './gemini/gemini.client.ts';
import { type Denial, LlmLedger } from './gemini/llm-ledger.ts';
import { buildPrompt } from './gemini/prompt.ts';
import { detectInjection, guardLlmVerdict, injectionEvidence } from './guardrails.ts';
import { type BuildContext, fromCache, llmResult, rulesResult } from './result-builder.ts';
import { type RulesSettings, rulesSettings } from './rules/evidence.ts';
import { runRules } from './rules/rules-engine.ts';
import { VerdictCache } from './verdict-cache.ts';

export interface ClassifierOptions {
  redis: Redis;
  /** QUEUE_PREFIX: Redis keys live under `<prefix>:verdict:` and `<prefix>:llm:`. */
  prefix: string;
  config: TriageConfig;
  logger: Logger;
  metrics: Metrics;
}

export interface ClassifierStatus {
  llm: {
    configured: boolean;
    model: string;
    paused_until?: string;
    calls_today: number;
    quota_left?: number;
    spent_today_usd: number;
    budget_usd?: number;
    budget_exhausted: boolean;
    /** Date the price table was read. */
    prices_as_of: string;
  };
}

const UNAVAILABLE: Record<Exclude<Denial, 'budget'>, string> = {
  paused: 'Gemini is paused after a 429 from the API',
  quota: 'the daily Gemini call quota (GEMINI_DAILY_QUOTA) is used up',
  rate: 'the Gemini rate limit (GEMINI_RATE_LIMIT) had no free slot in time',
};

/**
 * The classification chain (docs/verdicts.md): verdict cache → rules → Gemini (only where the rules
 * are not decisive) → guardrails → result. Only LLM verdicts are cached: rules verdicts cost a few
 * microseconds and must follow config changes (KNOWN_BENIGN, thresholds) at once, while an LLM
 * verdict costs money and seconds. Never throws for LLM trouble: every failure becomes a rules
 * verdict (NEEDS_REVIEW when the rules were not decisive) with a flag.
 */
export class Classifier {
  private readonly config: TriageConfig;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly settings: RulesSettings;
  private readonly cache: VerdictCache;
  private readonly ledger: LlmLedger;
  private readonly gemini: GeminiClient | undefined;
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(opts: ClassifierOptions) {
    const c = opts.config;
    if (
      !(
        c.RULES_FP_DECISIVE <= c.RULES_FP_THRESHOLD &&
        c.RULES_FP_THRESHOLD < c.RULES_TP_THRESHOLD &&
        c.RULES_TP_THRESHOLD <= c.RULES_TP_DECISIVE
      )
    ) {
      throw new AppError('INTERNAL', {
        message:
          'Classifier thresholds must satisfy RULES_FP_DECISIVE <= RULES_FP_THRESHOLD < RULES_TP_THRESHOLD <= RULES_TP_DECISIVE',
      });
    }
    this.config = c;
    this.logger = opts.logger.child({ component: 'classifier' });
    this.metrics = opts.metrics;
    this.settings = rulesSettings(c);
    const k = keys(opts.prefix);
    // A flight may make two calls (malformed reply → one retry) after waiting for a rate slot.
    const lockTtlMs = 2 * c.GEMINI_TIMEOUT_MS + c.GEMINI_RATE_WAIT_MS + 5_000;
    this.cache = new VerdictCache({
      redis: opts.redis,
      ns: k.ns('verdict'),
      ttlSeconds: c.VERDICT_CACHE_TTL_SECONDS,
      lockTtlMs,
      flightTtlMs: 15_000,
    });
    this.ledger = new LlmLedger({
      redis: opts.redis,
      ns: k.ns('llm'),
      rate: c.GEMINI_RATE_LIMIT,
      dailyQuota: c.GEMINI_DAILY_QUOTA,
      ...(c.GEMINI_DAILY_BUDGET_USD !== undefined ? { budgetUsd: c.GEMINI_DAILY_BUDGET_USD } : {}),
    });
    this.gemini = c.GEMINI_API_KEY
      ? new GeminiClient({
          apiKey: c.GEMINI_API_KEY,
          ...(c.GEMINI_BASE_URL ? { baseUrl: c.GEMINI_BASE_URL } : {}),
          ...(c.GEMINI_API_VERSION ? { apiVersion: c.GEMINI_API_VERSION } : {}),
          model: c.GEMINI_MODEL,
          temperature: c.GEMINI_TEMPERATURE,
          thinkingBudget: c.GEMINI_THINKING_BUDGET,
          timeoutMs: c.GEMINI_TIMEOUT_MS,
        })
      : undefined;
  }

  /**
   * `llm: false` stops the chain after the rules (a cached verdict still counts): the caller
   * already knows the verdict does not rest on the LLM (analyst memory will decide it) and only
   * needs the rules' evidence. A promise is awaited only where the LLM tier would be asked, so the
   * caller can look that up while the cache and the rules run (a rejected one fails the call; the
   * caller handles its rejection too, since it may never be awaited here).
   */
  async classify(
    alert: NormalizedAlert,
    enrichment: Enrichment,
    opts: { llm?: boolean | Promise<boolean> } = {},
  ): Promise<TriageResult> {
    const p = this.run(alert, enrichment, opts.llm ?? true);
    this.inflight.add(p);
    try {
      return await p;
    } finally {
      this.inflight.delete(p);
    }
  }

  private async run(
    alert: NormalizedAlert,
    enrichment: Enrichment,
    llm: boolean | Promise<boolean>,
  ): Promise<TriageResult> {
    const startedMs = Date.now();
    const injection = detectInjection(alert, this.config.GEMINI_MAX_PROMPT_CHARS);
    const baseFlags: ResultFlag[] = [
      ...(enrichment.partial ? (['partial_intel'] as const) : []),
      ...(injection.suspected ? (['injection_suspected'] as const) : []),
    ];
    const key = this.cache.keyFor(alert, enrichment);
    const cached = await this.cache.get(key).catch((err: unknown) => {
      this.logger.warn({ err, alert_fp: alert.fingerprint }, 'verdict cache read failed; classifying afresh');
      return undefined;
    });
    this.metrics.inc('triage_verdict_cache_total', { outcome: cached ? 'hit' : 'miss' });
    if (cached)
      return TriageResult.parse(
        fromCache(cached, { alert, enrichment, baseFlags, startedMs }, injection.suspected),
      );

    const features = extractFeatures(alert, enrichment);
    const extra = injectionEvidence(injection);
    const rules = runRules({ alert, enrichment, features, settings: this.settings }, extra ? [extra] : []);
    const b: BuildContext = { alert, enrichment, rules, baseFlags, startedMs };
    if (!this.gemini || rules.decisive) return TriageResult.parse(rulesResult(b));
    if (!(await llm)) {
      this.metrics.inc('triage_llm_calls_total', { outcome: 'skipped_memory' });
      return TriageResult.parse(rulesResult(b));
    }

    const { spentTodayUsd } = await this.ledger.status();
    if (this.ledger.budgetExhausted(spentTodayUsd)) {
      this.metrics.inc('triage_llm_calls_total', { outcome: 'skipped_budget' });
      return TriageResult.parse(rulesResult(b, { flags: ['budget_exhausted'] }));
    }

    const gemini = this.gemini;
    const flight = await this.cache.singleFlight(key, () => this.askGemini(gemini, b, injection.suspected));
    if (flight.source === 'cache') {
      this.metrics.inc('triage_verdict_cache_total', { outcome: 'hit_after_wait' });
      return TriageResult.parse(fromCache(flight.result, b, injection.suspected));
    }
    if (flight.source === 'flight') {
      // Another process's fallback for the same alert: same verdict, none of its cost.
      return TriageResult.parse({
        ...rulesResult(b),
        ...pick(flight.result),
        flags: [...new Set([...baseFlags, ...flight.result.flags])],
      });
    }
    return flight.result;
  }

  /** The LLM tier for one alert; returns whether the result may be cached (LLM verdicts only). */
  private async askGemini(
    gemini: GeminiClient,
    b: BuildContext,
    injection: boolean,
  ): Promise<{ result: TriageResult; cacheable: boolean }> {
    const c = this.config;
    const grant = await this.ledger.acquire(c.GEMINI_RATE_WAIT_MS);
    if (!grant.ok) {
      this.metrics.inc('triage_llm_calls_total', { outcome: `skipped_${grant.reason}` });
      if (grant.reason === 'budget')
        return {
          result: TriageResult.parse(rulesResult(b, { flags: ['budget_exhausted'] })),
          cacheable: false,
        };
      const why = UNAVAILABLE[grant.reason];
      return {
        result: this.fallback(b, `Not decisive for the rules and ${why}: rules evidence only.`),
        cacheable: false,
      };
    }

    const prompt = buildPrompt(b.alert, b.enrichment, b.rules, injection, c.GEMINI_MAX_PROMPT_CHARS);
    const t0 = Date.now();
    const outcome = await gemini.classify(prompt, async () => (await this.ledger.tryAcquire()).ok);
    const usd = await this.account(outcome.usage);
    this.metrics.inc('triage_llm_calls_total', {
      outcome: outcome.kind === 'error' && outcome.timeout ? 'timeout' : outcome.kind,
    });
    this.metrics.observe('triage_stage_duration_seconds', { stage: 'llm' }, (Date.now() - t0) / 1000);

    if (outcome.kind === 'ok') {
      const guarded = guardLlmVerdict(outcome.verdict, b.rules, b.alert, injection);
      const result = TriageResult.parse(llmResult(b, outcome.verdict, guarded, outcome.usage, usd));
      return { result, cacheable: true };
    }
    if (outcome.kind === 'rate_limited') {
      const ms = outcome.retryAfterMs ?? c.GEMINI_PAUSE_DEFAULT_SECONDS * 1000;
      const until = await this.ledger.pause(ms);
      this.logger.warn(
        { paused_until: new Date(until).toISOString() },
        'Gemini answered 429; pausing every classifier',
      );
      return {
        result: this.fallback(
          b,
          `Gemini answered 429 (rate limited) and is paused until ${new Date(until).toISOString()}: rules evidence only.`,
          outcome.usage,
          usd,
        ),
        cacheable: false,
      };
    }
    this.logger.warn(
      { kind: outcome.kind, detail: outcome.detail },
      'Gemini gave no usable verdict; falling back to rules',
    );
    const why =
      outcome.kind === 'malformed'
        ? `Gemini's reply was malformed twice (${outcome.detail})`
        : `the Gemini call failed (${outcome.detail})`;
    return {
      result: this.fallback(
        b,
        `Not decisive for the rules and ${why}: rules evidence only.`,
        outcome.usage,
        usd,
      ),
      cacheable: false,
    };
  }

  private fallback(b: BuildContext, note: string, usage?: Usage, usd = 0): TriageResult {
    return TriageResult.parse(
      rulesResult(b, { forceReview: note, flags: ['llm_fallback'], ...(usage ? { usage } : {}), usd }),
    );
  }

  /** Tokens × price into metrics and the per-day spend counter every process reads. */
  private async account(usage: Usage): Promise<number> {
    if (usage.input + usage.output + usage.thinking === 0) return 0;
    const model = this.config.GEMINI_MODEL;
    const usd = costUsd(usage, priceFor(model, this.config.GEMINI_PRICES));
    this.metrics.inc('triage_llm_tokens_total', { kind: 'input', model }, usage.input);
    this.metrics.inc('triage_llm_tokens_total', { kind: 'output', model }, usage.output);
    if (usage.thinking)
      this.metrics.inc('triage_llm_tokens_total', { kind: 'thinking', model }, usage.thinking);
    if (usd > 0) this.metrics.inc('triage_llm_cost_usd_total', { model }, usd);
    await this.ledger
      .recordUsage(usd, usage)
      .catch((err: unknown) => this.logger.warn({ err }, 'could not record Gemini spend'));
    return usd;
  }

  async status(): Promise<ClassifierStatus> {
    const c = this.config;
    const s = await this.ledger.status();
    return {
      llm: {
        configured: this.gemini !== undefined,
        model: c.GEMINI_MODEL,
        ...(s.pausedUntil ? { paused_until: new Date(s.pausedUntil).toISOString() } : {}),
        calls_today: s.callsToday,
        ...(c.GEMINI_DAILY_QUOTA > 0 ? { quota_left: Math.max(0, c.GEMINI_DAILY_QUOTA - s.callsToday) } : {}),
        spent_today_usd: Math.round(s.spentTodayUsd * 1e6) / 1e6,
        ...(c.GEMINI_DAILY_BUDGET_USD !== undefined ? { budget_usd: c.GEMINI_DAILY_BUDGET_USD } : {}),
        budget_exhausted: this.ledger.budgetExhausted(s.spentTodayUsd),
        prices_as_of: c.GEMINI_PRICES_AS_OF,
      },
    };
  }

  /** Waits for in-flight classifications (the caller time-boxes shutdown). Redis is the caller's. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }
}

/** The verdict part of a flight's result, without its performance (this alert paid nothing). */
function pick(r: TriageResult) {
  const { classification, confidence, severity, title, reasoning, mitre } = r;
  return { classification, confidence, severity, title, reasoning, mitre };
}
