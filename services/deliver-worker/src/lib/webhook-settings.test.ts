import { ConfigError, loadConfig } from '@triage/runtime';
import { newWebhookSecret } from '@triage/testing';
import { describe, expect, it } from 'vitest';
import { webhookSettings } from './webhook-settings.ts';

describe('webhookSettings', () => {
  it('is undefined without WEBHOOK_URL (no delivery)', () => {
    expect(webhookSettings(loadConfig({}))).toBeUndefined();
  });

  it('refuses a URL without a secret, naming the fix', () => {
    const config = loadConfig({ WEBHOOK_URL: 'https://soar.example/hook' });
    expect(() => webhookSettings(config)).toThrow(ConfigError);
    expect(() => webhookSettings(config)).toThrow(/WEBHOOK_SECRET.*WEBHOOK_ALLOW_UNSIGNED=true/s);
  });

  it('allows unsigned delivery only when asked explicitly', () => {
    const config = loadConfig({ WEBHOOK_URL: 'https://soar.example/hook', WEBHOOK_ALLOW_UNSIGNED: 'true' });
    expect(webhookSettings(config)).toMatchObject({ url: 'https://soar.example/hook', secret: undefined });
  });

  it('refuses a secret that is not a Standard Webhooks one, without echoing it', () => {
    const config = loadConfig({ WEBHOOK_URL: 'https://soar.example/hook', WEBHOOK_SECRET: 'plain-s3cret' });
    expect(() => webhookSettings(config)).toThrow(/whsec_.*openssl rand -base64 32/s);
    expect(() => webhookSettings(config)).not.toThrow(/plain-s3cret/);
  });

  it('passes the URL, secret and limits through', () => {
    const secret = newWebhookSecret();
    const config = loadConfig({
      WEBHOOK_URL: 'https://soar.example/hook',
      WEBHOOK_SECRET: secret,
      WEBHOOK_LEGACY_SIGNATURE: 'true',
      WEBHOOK_TIMEOUT_MS: '2500',
      WEBHOOK_MAX_RETRY_AFTER_SECONDS: '120',
    });
    expect(webhookSettings(config)).toEqual({
      url: 'https://soar.example/hook',
      secret,
      legacySignature: true,
      timeoutMs: 2500,
      maxRetryAfterMs: 120_000,
    });
  });
});
