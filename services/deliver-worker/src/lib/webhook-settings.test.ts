import { ConfigError, loadConfig } from '@triage/runtime';
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

  it('passes the URL, secret and limits through', () => {
    const config = loadConfig({
      WEBHOOK_URL: 'https://soar.example/hook',
      WEBHOOK_SECRET: 's3cret',
      WEBHOOK_TIMEOUT_MS: '2500',
      WEBHOOK_MAX_RETRY_AFTER_SECONDS: '120',
    });
    expect(webhookSettings(config)).toEqual({
      url: 'https://soar.example/hook',
      secret: 's3cret',
      timeoutMs: 2500,
      maxRetryAfterMs: 120_000,
    });
  });
});
