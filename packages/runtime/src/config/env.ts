import { z } from 'zod';

/** `N/s`, `N/min`, `N/h` → BullMQ-style limiter `{ max, duration }` (duration in ms). */
export const RateLimit = z
  .string()
  .trim()
  .regex(/^\d+\s*\/\s*(s|sec|second|m|min|minute|h|hour)$/i, 'expected N/s, N/min or N/h (e.g. "4/min")')
  .transform((s) => {
    const [n, unit] = s.split('/').map((p) => p.trim().toLowerCase()) as [string, string];
    const duration = unit.startsWith('s') ? 1000 : unit.startsWith('m') ? 60_000 : 3_600_000;
    return { max: Number(n), duration, text: s };
  })
  .refine((r) => r.max > 0, 'the rate must be at least 1');
export type RateLimit = z.output<typeof RateLimit>;

/** Booleans as operators write them in env files. */
export const EnvBool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

export const EnvInt = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max);

/** Comma-separated list; empty entries dropped. */
export const EnvList = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

export const OptionalSecret = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

export const HttpUrl = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''));

/** A JSON value in one variable; `example` is shown when it does not parse. */
export const EnvJson = (example: string) =>
  z.string().transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected JSON like ${example}` });
      return z.NEVER;
    }
  });
