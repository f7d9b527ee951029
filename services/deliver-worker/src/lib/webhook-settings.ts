import { ConfigError, type TriageConfig } from '@triage/runtime';
import { secretProblem } from './signature.ts';
import type { WebhookClientOptions } from './webhook-client.ts';

type WebhookKeys =
  | 'WEBHOOK_URL'
  | 'WEBHOOK_SECRET'
  | 'WEBHOOK_ALLOW_UNSIGNED'
  | 'WEBHOOK_LEGACY_SIGNATURE'
  | 'WEBHOOK_TIMEOUT_MS'
  | 'WEBHOOK_MAX_RETRY_AFTER_SECONDS';

const GENERATE = '`echo "whsec_$(openssl rand -base64 32)"`';

/**
 * The client options for the configured webhook, or undefined when none is configured (results
 * are then acknowledged without a request). Throws when a URL is set without a secret: a SOAR acts
 * on these verdicts, so an unsigned delivery needs the explicit `WEBHOOK_ALLOW_UNSIGNED=true`; and
 * when the secret is not a Standard Webhooks one (`whsec_` + base64 of at least 24 bytes).
 */
export function webhookSettings(config: Pick<TriageConfig, WebhookKeys>): WebhookClientOptions | undefined {
  if (!config.WEBHOOK_URL) return undefined;
  if (!config.WEBHOOK_SECRET && !config.WEBHOOK_ALLOW_UNSIGNED) {
    throw new ConfigError(
      'WEBHOOK_URL is set but WEBHOOK_SECRET is not: deliveries would be unsigned and a receiver could not tell ' +
        `them from forgeries. Set WEBHOOK_SECRET (e.g. ${GENERATE}), or WEBHOOK_ALLOW_UNSIGNED=true to ` +
        'accept unsigned deliveries knowingly.',
    );
  }
  const problem = config.WEBHOOK_SECRET ? secretProblem(config.WEBHOOK_SECRET) : undefined;
  if (problem) {
    // The value itself is never echoed: it is a secret even when malformed.
    throw new ConfigError(
      `WEBHOOK_SECRET is not a Standard Webhooks secret: ${problem}. Generate one with ${GENERATE} and give ` +
        'the same value to the receiver.',
    );
  }
  return {
    url: config.WEBHOOK_URL,
    secret: config.WEBHOOK_SECRET,
    legacySignature: config.WEBHOOK_LEGACY_SIGNATURE,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    maxRetryAfterMs: config.WEBHOOK_MAX_RETRY_AFTER_SECONDS * 1000,
  };
}
