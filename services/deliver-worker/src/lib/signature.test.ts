import { createHmac } from 'node:crypto';
import { newWebhookSecret } from '@triage/testing';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { legacyHeaders, STANDARD_HEADERS, StandardSigner, secretProblem, verifyLegacy } from './signature.ts';

const body = '{"id":"a1","result":{"classification":"TRUE_POSITIVE"}}';

describe('Standard Webhooks signature', () => {
  const secret = newWebhookSecret();

  it('is v1,<base64 HMAC-SHA256> of "<id>.<timestamp>.<body>" under the decoded whsec_ key', () => {
    const at = new Date(1_750_000_000_000);
    const h = new StandardSigner(secret).headers('a1', at, body);
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const mac = createHmac('sha256', key).update(`a1.1750000000.${body}`).digest('base64');
    expect(h).toEqual({
      [STANDARD_HEADERS.id]: 'a1',
      [STANDARD_HEADERS.timestamp]: '1750000000',
      [STANDARD_HEADERS.signature]: `v1,${mac}`,
    });
  });

  it('verifies with the library; a new id, another body or another secret does not', () => {
    const h = new StandardSigner(secret).headers('a1', new Date(), body);
    const wh = new Webhook(secret);
    expect(wh.verify(body, h)).toEqual(JSON.parse(body));
    expect(() => wh.verify(body, { ...h, [STANDARD_HEADERS.id]: 'a1-replayed' })).toThrow();
    expect(() => wh.verify(body.replace('TRUE', 'FALSE'), h)).toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, h)).toThrow();
  });

  it('accepts only whsec_ secrets with a key of 24 bytes or more', () => {
    expect(secretProblem(secret)).toBeUndefined();
    expect(secretProblem(`whsec_${Buffer.alloc(24, 7).toString('base64')}`)).toBeUndefined();
    expect(secretProblem('s3cret-hex-from-openssl')).toMatch(/whsec_/);
    expect(secretProblem('whsec_not base64!')).toMatch(/base64/);
    expect(secretProblem(`whsec_${Buffer.alloc(16).toString('base64')}`)).toMatch(/16 bytes/);
  });
});

describe('legacy X-Triage-Signature (WEBHOOK_LEGACY_SIGNATURE)', () => {
  const secret = 'whsec_legacy';
  const at = new Date(1_750_000_000_000);
  const now = 1_750_000_000;

  it('is sha256= + hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret string', () => {
    const mac = createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
    expect(legacyHeaders(secret, 'a1', at, body)).toEqual({
      'x-triage-delivery': 'a1',
      'x-triage-timestamp': String(now),
      'x-triage-signature': `sha256=${mac}`,
    });
  });

  it('verifies within the window and fails on tampering, a stale time or malformed input', () => {
    const sig = legacyHeaders(secret, 'a1', at, body)['x-triage-signature']!;
    expect(verifyLegacy(secret, String(now), body, sig, 300, now + 299)).toBe(true);
    expect(verifyLegacy(secret, String(now), body.replace('TRUE', 'FALSE'), sig, 300, now)).toBe(false);
    expect(verifyLegacy('other', String(now), body, sig, 300, now)).toBe(false);
    expect(verifyLegacy(secret, String(now), body, sig, 300, now + 301)).toBe(false);
    expect(verifyLegacy(secret, 'yesterday', body, sig, 300, now)).toBe(false);
    expect(verifyLegacy(secret, String(now), body, `${sig}00`, 300, now)).toBe(false);
  });
});
