import { z } from 'zod';
import { EnvBool, EnvInt, HttpUrl, OptionalSecret } from './env.ts';

/**
 * Delivery of each TriageResult to a SOAR webhook (services/deliver-worker). With no `WEBHOOK_URL`
 * results are not delivered anywhere and the results queue drains without a request.
 */
export const WebhookConfig = z.object({
  /** Where each result is POSTed. Unset = no delivery. */
  WEBHOOK_URL: HttpUrl.optional(),
  /**
   * Standard Webhooks secret, `whsec_` + base64 of 24 to 64 random bytes (`echo "whsec_$(openssl
   * rand -base64 32)"`): signs `webhook-signature`. Required whenever `WEBHOOK_URL` is set: the
   * deliver worker refuses to start without it unless `WEBHOOK_ALLOW_UNSIGNED=true`.
   */
  WEBHOOK_SECRET: OptionalSecret,
  /**
   * Also send the old `X-Triage-Delivery` / `X-Triage-Timestamp` / `X-Triage-Signature` headers
   * (HMAC keyed with the WEBHOOK_SECRET string) beside the Standard Webhooks ones, for receivers not
   * moved yet. Deprecated: removed in the next release.
   */
  WEBHOOK_LEGACY_SIGNATURE: EnvBool.default(false),
  /**
   * Explicit opt-in to unsigned deliveries (a receiver that cannot verify, a lab). Off by default:
   * a verdict a SOAR acts on must be attributable to this pipeline.
   */
  WEBHOOK_ALLOW_UNSIGNED: EnvBool.default(false),
  /** Whole-request timeout of one delivery attempt; a timeout counts as a retryable failure. */
  WEBHOOK_TIMEOUT_MS: EnvInt(100).default(10_000),
  /**
   * Longest `Retry-After` (on 429/503) the worker honours. A receiver asking for more is retried
   * after this long instead, so one bad header cannot park a verdict for days.
   */
  WEBHOOK_MAX_RETRY_AFTER_SECONDS: EnvInt(1).default(3600),
});
