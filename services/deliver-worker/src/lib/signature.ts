import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signature scheme (version `sha256`).
 *
 * Every delivery carries:
 *
 * - `X-Triage-Delivery: <id>`: the delivery id (the alert id). Stable across retries, so a receiver
 *   that stores it can drop a delivery it has already processed (idempotency key).
 * - `X-Triage-Timestamp: <unix seconds>`: when this attempt was signed. New on every attempt.
 * - `X-Triage-Signature: sha256=<hex>`: lowercase hex HMAC-SHA256, keyed with `WEBHOOK_SECRET`,
 *   over the bytes `<timestamp>.<raw body>` (the timestamp header value, a literal `.`, then the
 *   request body exactly as received, before any JSON parsing).
 *
 * To verify, a receiver recomputes the HMAC over the raw body, compares it in constant time, and
 * rejects a timestamp further than its tolerance (5 minutes is customary) from its own clock. The
 * timestamp is inside the signed bytes, so a captured request cannot be replayed outside that
 * window, and the delivery id catches replays inside it.
 */
export const SIGNATURE_VERSION = 'sha256';

export const DELIVERY_HEADERS = {
  delivery: 'x-triage-delivery',
  timestamp: 'x-triage-timestamp',
  signature: 'x-triage-signature',
} as const;

/** Replay window a receiver should accept when it has no reason to choose another. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** `sha256=<hex>` for `<timestamp>.<body>` under `secret`. */
export function signPayload(secret: string, timestamp: number | string, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
  return `${SIGNATURE_VERSION}=${mac}`;
}

/**
 * True when `signature` is the `sha256=` signature of `<timestamp>.<body>` under `secret` and the
 * timestamp lies within `toleranceSeconds` of `nowSeconds` (either side: a clock ahead is as
 * suspicious as one behind). The digest comparison takes the same time wherever it differs.
 */
export function verifySignature(
  secret: string,
  timestamp: number | string,
  body: string,
  signature: string,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): boolean {
  const ts =
    typeof timestamp === 'number' ? timestamp : /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
  if (!Number.isSafeInteger(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds) return false;
  const expected = Buffer.from(signPayload(secret, timestamp, body), 'utf8');
  const given = Buffer.from(signature.trim(), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
