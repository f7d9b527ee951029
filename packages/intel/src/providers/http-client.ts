import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderName } from '@triage/contracts';
import got, { RequestError } from 'got';
import { type CallGate, ProviderUnavailableError } from '../provider.ts';

export interface HttpCallOptions {
  provider: ProviderName;
  /** INTEL_TIMEOUT_MS: every attempt is bounded, a hung provider never holds a worker slot. */
  timeoutMs: number;
  /** Pause before the single quick retry (INTEL_QUICK_RETRY_DELAY_MS). */
  retryDelayMs: number;
  /** Reserves rate + quota before each attempt: the quick retry is a real call and is counted too. */
  gate?: CallGate;
  signal?: AbortSignal;
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or undefined when the body was empty or not JSON. */
  body: unknown;
}

/** Gateway errors are the provider's edge failing, usually for a moment: worth one quick retry. */
const QUICK_RETRY_STATUS = new Set([502, 503, 504]);

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * GET a JSON API with the project's retry rules: at most ONE quick retry on a network error,
 * timeout or 502/503/504; everything else (429 included) is returned to the provider, which
 * decides what it means. A 5xx that survives the retry becomes ProviderUnavailableError, left
 * to the lookup queue's backoff. got's own retry is off so every attempt passes the gate.
 */
export async function getJson(
  url: string,
  headers: Record<string, string>,
  opts: HttpCallOptions,
): Promise<HttpAnswer> {
  for (let attempt = 0; ; attempt++) {
    const last = attempt >= 1;
    const release = await opts.gate?.();
    let res: { statusCode: number; headers: IncomingHttpHeaders; body: string } | undefined;
    let failure: unknown;
    try {
      res = await got(url, {
        headers,
        timeout: { request: opts.timeoutMs },
        retry: { limit: 0 },
        throwHttpErrors: false,
        followRedirect: false,
        responseType: 'text',
        signal: opts.signal,
      });
    } catch (err) {
      failure = err;
    } finally {
      // A lost release only keeps the slot until its in-flight cap: never worth failing the lookup.
      await release?.().catch(() => undefined);
    }
    if (!res) {
      if (!(failure instanceof RequestError) || opts.signal?.aborted) throw failure;
      if (!last) {
        await sleep(opts.retryDelayMs, undefined, { signal: opts.signal });
        continue;
      }
      throw new ProviderUnavailableError(opts.provider, {
        message: `${opts.provider} unreachable: ${failure.code} ${failure.message}`,
        cause: failure,
      });
    }
    if (res.statusCode >= 500) {
      if (!last && QUICK_RETRY_STATUS.has(res.statusCode)) {
        await sleep(opts.retryDelayMs, undefined, { signal: opts.signal });
        continue;
      }
      throw new ProviderUnavailableError(opts.provider, {
        message: `${opts.provider} answered HTTP ${res.statusCode}`,
        status: res.statusCode,
      });
    }
    return { status: res.statusCode, headers: res.headers, body: parseJson(res.body) };
  }
}

/**
 * How long a 429 asks us to wait: `Retry-After` (seconds or an HTTP date), else a reset time in
 * epoch seconds (AbuseIPDB's `X-RateLimit-Reset`), else `fallbackMs`. Never below 1 s.
 */
export function retryAfterMs(headers: IncomingHttpHeaders, fallbackMs: number, now = Date.now()): number {
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const retryAfter = header('retry-after')?.trim();
  let ms: number | undefined;
  if (retryAfter && /^\d+(\.\d+)?$/.test(retryAfter)) ms = Number(retryAfter) * 1000;
  else if (retryAfter && !Number.isNaN(Date.parse(retryAfter))) ms = Date.parse(retryAfter) - now;
  const reset = header('x-ratelimit-reset')?.trim();
  if (ms === undefined && reset && /^\d+$/.test(reset)) ms = Number(reset) * 1000 - now;
  return Math.max(1000, Math.ceil(ms ?? fallbackMs));
}
