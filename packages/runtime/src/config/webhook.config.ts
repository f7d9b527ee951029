import { z } from 'zod';
import { EnvInt, HttpUrl, OptionalSecret } from './env.ts';

/** Delivery of each TriageResult to a SOAR webhook. */
export const WebhookConfig = z.object({
  WEBHOOK_URL: HttpUrl.optional(),
  WEBHOOK_SECRET: OptionalSecret,
  WEBHOOK_TIMEOUT_MS: EnvInt(100).default(10_000),
});
