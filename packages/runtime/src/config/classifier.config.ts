import { z } from 'zod';
import { EnvInt, EnvList, HttpUrl, OptionalSecret, RateLimit } from './env.ts';

/** Rules engine and the optional Gemini tier (DESIGN.md §6). */
export const ClassifierConfig = z.object({
  GEMINI_API_KEY: OptionalSecret,
  GEMINI_MODEL: z.string().default('gemini-2.5-flash'),
  GEMINI_BASE_URL: HttpUrl.optional(),
  GEMINI_RATE_LIMIT: RateLimit.prefault('60/min'),
  /** Calls per UTC day; 0 = unlimited. */
  GEMINI_DAILY_QUOTA: EnvInt(0).default(0),
  /** USD per UTC day; when spent, rules decide alone. Empty = no budget cap. */
  GEMINI_DAILY_BUDGET_USD: z.coerce.number().min(0).optional(),
  GEMINI_TEMPERATURE: z.coerce.number().min(0).max(2).default(0.1),
  GEMINI_THINKING_BUDGET: EnvInt(0, 32_768).default(512),
  GEMINI_TIMEOUT_MS: EnvInt(100).default(30_000),
  /** How long a verdict is reused for the same fingerprint + intel digest. */
  VERDICT_CACHE_TTL_SECONDS: EnvInt(1).default(24 * 3600),
  /** Known-benign infrastructure (internal scanners, vuln management, monitoring): IPs, CIDRs, hostnames. */
  KNOWN_BENIGN: EnvList.default([]),
  /** Business hours in UTC, `HH-HH`; activity outside counts as off-hours. */
  BUSINESS_HOURS_UTC: z
    .string()
    .regex(/^\d{1,2}-\d{1,2}$/, 'expected HH-HH, e.g. 07-19')
    .default('07-19'),
});
