import { ConfigError, type TriageConfig } from '@triage/runtime';
import type { WebhookClientOptions } from './webhook-client.ts';

type WebhookKeys =
  | 'WEBHOOK_URL'
  | 'WEBHOOK_SECRET'
  | 'WEBHOOK_ALLOW_UNSIGNED'
  | 'WEBHOOK_TIMEOUT_MS'
  | 'WEBHOOK_MAX_RETRY_AFTER_SECONDS';

/**
 * The client options for the configured webhook, or undefined when none is configured (results
 * are then acknowledged without a request). Throws when a URL is set without a secret: a SOAR acts
 * on these verdicts, so an unsigned delivery needs the explicit `WEBHOOK_ALLOW_UNSIGNED=true`.
 */
export function webhookSettings(config: Pick<TriageConfig, WebhookKeys>): WebhookClientOptions | undefined {
  if (!config.WEBHOOK_URL) return undefined;
  if (!config.WEBHOOK_SECRET && !config.WEBHOOK_ALLOW_UNSIGNED) {
    throw new ConfigError(
      'WEBHOOK_URL is set but WEBHOOK_SECRET is not: deliveries would be unsigned and a receiver could not tell ' +
        'them from forgeries. Set WEBHOOK_SECRET (e.g. `openssl rand -hex 32`), or WEBHOOK_ALLOW_UNSIGNED=true to ' +
        'accept unsigned deliveries knowingly.',
    );
  }
  return {
    url: config.WEBHOOK_URL,
    secret: config.WEBHOOK_SECRET,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    maxRetryAfterMs: config.WEBHOOK_MAX_RETRY_AFTER_SECONDS * 1000,
  };
}
