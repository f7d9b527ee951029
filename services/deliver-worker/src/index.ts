export * from './lib/signature.ts';
export type * from './lib/verdict-mappings.ts';
export type { WebhookPayload } from './lib/webhook-payload.ts';
