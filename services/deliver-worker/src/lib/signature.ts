import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/**
 * Webhook signatures: Standard Webhooks (https://www.standardwebhooks.com), so a receiver verifies
 * with a maintained library in its own language instead of re-implementing a home-made scheme.
 *
 * Every delivery carries:
 *
 * - `webhook-id: <id>`: the message id (the results job id: the alert id for its verdict, a new id
 *   for a verdict delivered again after feedback or an incident). The same on every retry of one
 *   message, so a receiver that stores it drops a message it has already processed.
 * - `webhook-timestamp: <unix seconds>`: when this attempt was signed. New on every attempt.
 * - `webhook-signature: v1,<base64 HMAC-SHA256>` keyed with the decoded `whsec_` secret, over
 *   `<webhook-id>.<webhook-timestamp>.<raw body>`.
 *
 * The id and the timestamp are inside the signed bytes: a captured delivery replayed with a new id
 * (to get past a receiver's dedupe) or later than the receiver's tolerance (the libraries use 5
 * minutes) fails verification.
 */
export const STANDARD_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

/** `whsec_` + base64 of the key, as Standard Webhooks secrets are written. */
const SECRET_PREFIX = 'whsec_';
/** Shortest key accepted (Standard Webhooks: between 24 and 64 bytes). */
export const MIN_SECRET_BYTES = 24;

/** Why `secret` is not a usable Standard Webhooks secret, or undefined when it is one. */
export function secretProblem(secret: string): string | undefined {
  if (!secret.startsWith(SECRET_PREFIX)) return `it must start with ${SECRET_PREFIX}`;
  const b64 = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0)
    return 'the part after whsec_ is not base64';
  const bytes = Buffer.from(b64, 'base64').length;
  if (bytes < MIN_SECRET_BYTES) return `its key is ${bytes} bytes; at least ${MIN_SECRET_BYTES} are needed`;
  return undefined;
}

/** Signs deliveries under one `whsec_` secret: the three Standard Webhooks headers of a message. */
export class StandardSigner {
  private readonly wh: Webhook;

  constructor(secret: string) {
    this.wh = new Webhook(secret);
  }

  headers(id: string, at: Date, body: string): Record<string, string> {
    return {
      [STANDARD_HEADERS.id]: id,
      [STANDARD_HEADERS.timestamp]: String(Math.floor(at.getTime() / 1000)),
      [STANDARD_HEADERS.signature]: this.wh.sign(id, at, body),
    };
  }
}

/**
 * The scheme before Standard Webhooks, sent as well while `WEBHOOK_LEGACY_SIGNATURE=true` (this
 * release only) so receivers can move over: `X-Triage-Delivery: <id>`, `X-Triage-Timestamp: <unix
 * seconds>`, `X-Triage-Signature: sha256=<hex HMAC-SHA256 keyed with the WEBHOOK_SECRET string
 * over "<timestamp>.<raw body>">`. The delivery id is outside the HMAC: that is why it goes.
 */
export const LEGACY_HEADERS = {
  delivery: 'x-triage-delivery',
  timestamp: 'x-triage-timestamp',
  signature: 'x-triage-signature',
} as const;

/** `sha256=<hex>` for `<timestamp>.<body>` under `secret` (the legacy scheme). */
export function signLegacy(secret: string, timestamp: number | string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/** The legacy headers of one attempt. */
export function legacyHeaders(secret: string, id: string, at: Date, body: string): Record<string, string> {
  const ts = Math.floor(at.getTime() / 1000);
  return {
    [LEGACY_HEADERS.delivery]: id,
    [LEGACY_HEADERS.timestamp]: String(ts),
    [LEGACY_HEADERS.signature]: signLegacy(secret, ts, body),
  };
}

/**
 * True when `signature` is the legacy signature of `<timestamp>.<body>` and the timestamp lies
 * within `toleranceSeconds` of now; what a receiver of the legacy headers runs.
 */
export function verifyLegacy(
  secret: string,
  timestamp: string,
  body: string,
  signature: string,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const ts = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
  if (!Number.isSafeInteger(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds) return false;
  const want = Buffer.from(signLegacy(secret, timestamp, body), 'utf8');
  const given = Buffer.from(signature.trim(), 'utf8');
  return given.length === want.length && timingSafeEqual(given, want);
}
