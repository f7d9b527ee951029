import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config.ts';

describe('loadConfig', () => {
  it('gives offline defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(c.QUEUE_PREFIX).toBe('triage');
    expect(c.HOST).toBe('127.0.0.1');
    expect(c.PORT).toBe(3000);
    expect(c.ABUSEIPDB_API_KEY).toBeUndefined();
    expect(c.VIRUSTOTAL_RATE_LIMIT).toEqual({ max: 4, duration: 60_000, text: '4/min' });
    expect(c.ABUSEIPDB_DAILY_QUOTA).toBe(1000);
    expect(c.GEMINI_MODEL).toBe('gemini-2.5-flash');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('parses rates, lists and treats empty strings as unset', () => {
    const c = loadConfig({
      ABUSEIPDB_RATE_LIMIT: '5/s',
      GEMINI_RATE_LIMIT: '100 / h',
      TRIAGE_API_KEYS: 'a, b,,c',
      GEMINI_API_KEY: '',
      PORT: '',
    });
    expect(c.ABUSEIPDB_RATE_LIMIT).toMatchObject({ max: 5, duration: 1000 });
    expect(c.GEMINI_RATE_LIMIT).toMatchObject({ max: 100, duration: 3_600_000 });
    expect(c.TRIAGE_API_KEYS).toEqual(['a', 'b', 'c']);
    expect(c.GEMINI_API_KEY).toBeUndefined();
    expect(c.PORT).toBe(3000);
  });

  it('names every bad variable and never echoes secrets', () => {
    let err: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        VIRUSTOTAL_RATE_LIMIT: '4 per minute',
        REDIS_URL: 'localhost:6379',
        ABUSEIPDB_BASE_URL: 'not a url',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    for (const name of ['PORT', 'VIRUSTOTAL_RATE_LIMIT', 'REDIS_URL', 'ABUSEIPDB_BASE_URL'])
      expect(msg).toContain(name);
    expect(() => loadConfig({ WEBHOOK_URL: 'ftp://x' })).toThrow(/WEBHOOK_URL/);
  });
});

describe('Redis credentials', () => {
  it('never appear in configuration or startup errors', async () => {
    const { redactUrl, waitForRedis, createRedis } = await import('../redis.ts');
    expect(redactUrl('redis://default:s3cret@redis:6379/0')).toBe('redis://default:***@redis:6379/0');
    expect(redactUrl('rediss://:s3cret@h:6380')).toBe('rediss://:***@h:6380');
    expect(redactUrl('redis://s3cret@h')).toBe('redis://***@h');
    expect(redactUrl('redis://h:6379')).toBe('redis://h:6379');
    expect(() => loadConfig({ REDIS_URL: 'redis//user:s3cret@h' })).toThrow(/REDIS_URL/);
    try {
      loadConfig({ REDIS_URL: 'redis//user:s3cret@h' });
    } catch (err) {
      expect((err as Error).message).not.toContain('s3cret');
    }
    const url = 'redis://user:s3cret@127.0.0.1:1';
    const redis = createRedis(url, 'producer');
    try {
      await expect(waitForRedis(redis, url, 300)).rejects.toThrow(/user:\*\*\*@127\.0\.0\.1:1/);
      await expect(waitForRedis(redis, url, 300)).rejects.not.toThrow(/s3cret/);
    } finally {
      redis.disconnect();
    }
  });
});
