import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TOLERANCE_SECONDS, signPayload, verifySignature } from './signature.ts';

const secret = 'whsec_test';
const body = '{"id":"a1","result":{"classification":"TRUE_POSITIVE"}}';
const now = 1_750_000_000;

describe('webhook signature', () => {
  it('is sha256= + hex HMAC-SHA256 of "<timestamp>.<body>"', () => {
    const mac = createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
    expect(signPayload(secret, now, body)).toBe(`sha256=${mac}`);
    expect(signPayload(secret, String(now), body)).toBe(`sha256=${mac}`);
  });

  it('verifies its own signature within the window', () => {
    const sig = signPayload(secret, now, body);
    expect(verifySignature(secret, now, body, sig, 300, now)).toBe(true);
    expect(verifySignature(secret, String(now), body, sig, 300, now + 299)).toBe(true);
  });

  it('fails on a tampered body, timestamp, signature or secret', () => {
    const sig = signPayload(secret, now, body);
    expect(verifySignature(secret, now, body.replace('TRUE', 'FALSE'), sig, 300, now)).toBe(false);
    expect(verifySignature(secret, now + 1, body, sig, 300, now)).toBe(false);
    expect(
      verifySignature(secret, now, body, `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`, 300, now),
    ).toBe(false);
    expect(verifySignature('another-secret', now, body, sig, 300, now)).toBe(false);
  });

  it('fails on an old or future timestamp even with a correct signature (replay window)', () => {
    const old = now - DEFAULT_TOLERANCE_SECONDS - 1;
    expect(
      verifySignature(secret, old, body, signPayload(secret, old, body), DEFAULT_TOLERANCE_SECONDS, now),
    ).toBe(false);
    const ahead = now + 3600;
    expect(verifySignature(secret, ahead, body, signPayload(secret, ahead, body), 300, now)).toBe(false);
  });

  it('fails on malformed input without throwing', () => {
    const sig = signPayload(secret, now, body);
    expect(verifySignature(secret, now, body, sig.replace('sha256=', ''), 300, now)).toBe(false);
    expect(verifySignature(secret, now, body, '', 300, now)).toBe(false);
    expect(verifySignature(secret, 'yesterday', body, sig, 300, now)).toBe(false);
    expect(verifySignature(secret, '', body, sig, 300, now)).toBe(false);
    expect(verifySignature(secret, now, body, `${sig}00`, 300, now)).toBe(false);
  });
});
