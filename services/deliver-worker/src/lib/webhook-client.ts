import got, { RequestError } from 'got';
import { LEGACY_HEADERS, legacyHeaders, STANDARD_HEADERS, StandardSigner } from './signature.ts';

export interface WebhookClientOptions {
  url: string;
  /**
   * Standard Webhooks secret (`whsec_<base64>`): signs every request when set; undefined only
   * with `WEBHOOK_ALLOW_UNSIGNED=true`.
   */
  secret: string | undefined;
  /** Also send the pre-Standard-Webhooks `X-Triage-*` headers (this release only). */
  legacySignature?: boolean;
  /** Whole-request timeout of one attempt. */
  timeoutMs: number;
  /** Cap on an honoured `Retry-After`. */
  maxRetryAfterMs: number;
}

/** What one attempt came to. The processor turns it into complete / retry / dead-letter. */
export type SendOutcome =
  | { kind: 'delivered'; status: number }
  /** The receiver refused this delivery for good (4xx other than 408/429, or a redirect). */
  | { kind: 'rejected'; status: number; detail: string }
  /** Worth trying again: 408, 429, 5xx, network error or timeout. */
  | { kind: 'retry'; status?: number; detail: string; retryAfterMs?: number };

/** Statuses that mean "not now" rather than "never". */
const RETRYABLE_4XX = new Set([408, 429]);
/** Only these carry a `Retry-After` we act on (RFC 9110 §10.2.3 names 503 and 3xx; 429 per RFC 6585). */
const RETRY_AFTER_STATUSES = new Set([429, 503]);

/**
 * One signed POST per call. got's own retries are off: BullMQ's job backoff is the single retry
 * mechanism, so a retry survives a crash and shows in Bull Board.
 */
export class WebhookClient {
  private readonly opts: WebhookClientOptions;
  private readonly signer: StandardSigner | undefined;

  constructor(opts: WebhookClientOptions) {
    this.opts = opts;
    this.signer = opts.secret ? new StandardSigner(opts.secret) : undefined;
  }

  /** `messageId` is the `webhook-id`: the same on every retry of one message. */
  async send(messageId: string, body: string, now: Date = new Date()): Promise<SendOutcome> {
    const unix = String(Math.floor(now.getTime() / 1000));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'triage-deliver-worker',
      ...(this.signer
        ? this.signer.headers(messageId, now, body)
        : { [STANDARD_HEADERS.id]: messageId, [STANDARD_HEADERS.timestamp]: unix }),
    };
    if (this.opts.legacySignature) {
      Object.assign(
        headers,
        this.opts.secret
          ? legacyHeaders(this.opts.secret, messageId, now, body)
          : { [LEGACY_HEADERS.delivery]: messageId, [LEGACY_HEADERS.timestamp]: unix },
      );
    }

    let res: { statusCode: number; headers: Record<string, string | string[] | undefined>; body: string };
    try {
      res = await got.post(this.opts.url, {
        body,
        headers,
        timeout: { request: this.opts.timeoutMs },
        retry: { limit: 0 },
        throwHttpErrors: false,
        followRedirect: false,
        responseType: 'text',
      });
    } catch (err) {
      const code = err instanceof RequestError ? err.code : undefined;
      return { kind: 'retry', detail: `${code ?? 'request failed'}: ${(err as Error).message}` };
    }

    const status = res.statusCode;
    const detail = `HTTP ${status}${res.body ? `: ${res.body.slice(0, 200)}` : ''}`;
    if (status >= 200 && status < 300) return { kind: 'delivered', status };
    if (status >= 500 || RETRYABLE_4XX.has(status)) {
      const header = res.headers['retry-after'];
      const retryAfterMs = RETRY_AFTER_STATUSES.has(status)
        ? parseRetryAfter(Array.isArray(header) ? header[0] : header, now.getTime())
        : undefined;
      return {
        kind: 'retry',
        status,
        detail,
        ...(retryAfterMs === undefined
          ? {}
          : { retryAfterMs: Math.min(retryAfterMs, this.opts.maxRetryAfterMs) }),
      };
    }
    return { kind: 'rejected', status, detail };
  }
}

/** `Retry-After` as delay-seconds or an HTTP-date → milliseconds from `nowMs`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP-date names its weekday and month; this keeps Date.parse from reading "-5" as a year.
  const at = /[A-Za-z]{3}/.test(v) ? Date.parse(v) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
