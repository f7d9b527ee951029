import { z } from 'zod';
import { EnvInt, EnvJson, EnvList, HttpUrl, OptionalSecret, RateLimit } from './env.ts';

/** USD per 1M tokens for one model. Thinking tokens are billed at the output rate. */
export const ModelPrice = z.object({ input: z.number().min(0), output: z.number().min(0) });
export type ModelPrice = z.infer<typeof ModelPrice>;

/**
 * Google's published paid-tier list prices for text prompts up to 200k tokens, USD per 1M tokens,
 * as announced with Gemini 2.5 GA on 2025-06-17 and still listed on
 * ai.google.dev/gemini-api/docs/pricing when read in 2025. Prices change: override
 * with `GEMINI_PRICES` (and `GEMINI_PRICES_AS_OF`) rather than editing code.
 */
export const GEMINI_DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = Object.freeze({
  'gemini-2.5-flash': { input: 0.3, output: 2.5 },
  'gemini-2.5-flash-lite': { input: 0.1, output: 0.4 },
});

/** `GEMINI_PRICES='{"gemini-2.5-flash":{"input":0.3,"output":2.5}}'`, merged over the defaults. */
const PriceTable = EnvJson('{"model":{"input":0.3,"output":2.5}}')
  .pipe(z.record(z.string(), ModelPrice))
  .transform((over) => ({ ...GEMINI_DEFAULT_PRICES, ...over }));

/** Rules engine and the optional Gemini tier (docs/verdicts.md). */
export const ClassifierConfig = z.object({
  GEMINI_API_KEY: OptionalSecret,
  GEMINI_MODEL: z.string().default('gemini-2.5-flash'),
  GEMINI_BASE_URL: HttpUrl.optional(),
  /**
   * API version path segment. Unset = the SDK's default (`v1` in @google/genai 3.x). Set `v1beta`
   * for endpoints or proxies that accept `systemInstruction` / `responseJsonSchema` only there.
   */
  GEMINI_API_VERSION: z
    .string()
    .regex(/^v\d+(?:(?:alpha|beta)\d*)?$/, 'expected e.g. v1 or v1beta')
    .optional(),
  /** Calls across every classify process (a Redis sliding window). */
  GEMINI_RATE_LIMIT: RateLimit.prefault('60/min'),
  /** Calls per UTC day; 0 = unlimited. */
  GEMINI_DAILY_QUOTA: EnvInt(0).default(0),
  /** USD per UTC day; when spent, rules decide alone. Empty = no budget cap. */
  GEMINI_DAILY_BUDGET_USD: z.coerce.number().min(0).optional(),
  GEMINI_TEMPERATURE: z.coerce.number().min(0).max(2).default(0.1),
  GEMINI_THINKING_BUDGET: EnvInt(0, 32_768).default(512),
  GEMINI_TIMEOUT_MS: EnvInt(100).default(30_000),
  /**
   * How long an alert may wait for a free slot in `GEMINI_RATE_LIMIT` before it takes the rules
   * verdict instead. Short on purpose: a throttled LLM must not hold classify worker slots.
   */
  GEMINI_RATE_WAIT_MS: EnvInt(0, 60_000).default(2_000),
  /** Pause after a 429 that carries neither `Retry-After` nor a `RetryInfo` delay. */
  GEMINI_PAUSE_DEFAULT_SECONDS: EnvInt(1, 86_400).default(60),
  /** Upper bound on the alert text sent to the model (characters); longer fields are truncated. */
  GEMINI_MAX_PROMPT_CHARS: EnvInt(2_000, 500_000).default(16_000),
  /** Price table override (JSON, USD per 1M tokens), merged over `GEMINI_DEFAULT_PRICES`. */
  GEMINI_PRICES: PriceTable.prefault(JSON.stringify({})),
  /** The date the price table was read (shown by `status()`), ISO `YYYY-MM-DD`. */
  GEMINI_PRICES_AS_OF: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD')
    .default('2025-06-17'),
  /** How long a verdict is reused for the same fingerprint + intel digest. */
  VERDICT_CACHE_TTL_SECONDS: EnvInt(1).default(24 * 3600),
  /** Known-benign infrastructure (internal scanners, vuln management, monitoring): IPs, CIDRs, hostnames. */
  KNOWN_BENIGN: EnvList.default([]),
  /** Business hours in UTC, `HH-HH`; activity outside counts as off-hours. */
  BUSINESS_HOURS_UTC: z
    .string()
    .regex(/^\d{1,2}-\d{1,2}$/, 'expected HH-HH, e.g. 07-19')
    .default('07-19'),
  /**
   * Rules score (sum of weighted evidence, + toward threat) at or above which the rules lean
   * TRUE_POSITIVE. Between the two lean thresholds the rules say NEEDS_REVIEW.
   */
  RULES_TP_THRESHOLD: z.coerce.number().default(3),
  /** Rules score at or below which the rules lean FALSE_POSITIVE (never with malicious intel). */
  RULES_FP_THRESHOLD: z.coerce.number().default(-2.5),
  /**
   * Score at or above which a TRUE_POSITIVE is decisive: the rules verdict stands and Gemini is
   * not consulted. Below it (but above the lean threshold) Gemini, when configured, decides.
   */
  RULES_TP_DECISIVE: z.coerce.number().default(6),
  /** Score at or below which a FALSE_POSITIVE is decisive (closed without Gemini). */
  RULES_FP_DECISIVE: z.coerce.number().default(-4.5),
});
