import { newWebhookSecret, WebhookReceiverFake } from '@triage/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyLegacy } from './signature.ts';
import { parseRetryAfter, WebhookClient } from './webhook-client.ts';

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');
  it('reads delay-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Sun, 01 Jun 2025 12:02:00 GMT', now)).toBe(120_000);
    expect(parseRetryAfter('Sun, 01 Jun 2025 11:00:00 GMT', now)).toBe(0);
  });
  it('ignores absent or unreadable values', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('WebhookClient', () => {
  let receiver: WebhookReceiverFake | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  const client = (url: string, secret: string | undefined, timeoutMs = 2000) =>
    new WebhookClient({ url, secret, timeoutMs, maxRetryAfterMs: 60_000 });

  it('classifies answers: 2xx delivered, 4xx rejected, 408/429/5xx retry', async () => {
    const secret = newWebhookSecret();
    receiver = await WebhookReceiverFake.start({ secret });
    const c = client(receiver.url, secret);
    const cases: Array<[number, string]> = [
      [200, 'delivered'],
      [204, 'delivered'],
      [301, 'rejected'],
      [400, 'rejected'],
      [404, 'rejected'],
      [410, 'rejected'],
      [408, 'retry'],
      [429, 'retry'],
      [500, 'retry'],
      [502, 'retry'],
      [503, 'retry'],
    ];
    for (const [status, kind] of cases) {
      receiver.respondOnce({ status });
      expect((await c.send(`d-${status}`, '{}')).kind, `HTTP ${status}`).toBe(kind);
    }
    expect(receiver.rejectedSignatures).toBe(0);
  });

  it('reads Retry-After on 429 and 503 only, capped', async () => {
    receiver = await WebhookReceiverFake.start();
    const c = new WebhookClient({
      url: receiver.url,
      secret: undefined,
      timeoutMs: 2000,
      maxRetryAfterMs: 5000,
    });
    receiver.respondOnce(
      { status: 429, retryAfter: '3' },
      { status: 503, retryAfter: '3600' },
      { status: 500, retryAfter: '3' },
    );
    expect(await c.send('x', '{}')).toMatchObject({ kind: 'retry', status: 429, retryAfterMs: 3000 });
    expect(await c.send('x', '{}')).toMatchObject({ kind: 'retry', status: 503, retryAfterMs: 5000 });
    const third = await c.send('x', '{}');
    expect(third).toMatchObject({ kind: 'retry', status: 500 });
    expect('retryAfterMs' in third).toBe(false);
  });

  it('turns a refused connection and a timeout into retry', async () => {
    receiver = await WebhookReceiverFake.start();
    await receiver.down();
    expect(await client(receiver.url, undefined).send('x', '{}')).toMatchObject({
      kind: 'retry',
      detail: expect.stringContaining('ECONNREFUSED'),
    });
    await receiver.up();
    receiver.respondOnce({ status: 200, delayMs: 1000 });
    expect(await client(receiver.url, undefined, 200).send('x', '{}')).toMatchObject({
      kind: 'retry',
      detail: expect.stringContaining('ETIMEDOUT'),
    });
  });

  it('sends no signature header when unsigned delivery was allowed', async () => {
    receiver = await WebhookReceiverFake.start();
    await client(receiver.url, undefined).send('u1', '{"a":1}');
    const [d] = receiver.deliveries;
    expect(d?.headers['webhook-signature']).toBeUndefined();
    expect(d?.headers['webhook-id']).toBe('u1');
    expect(d?.headers['content-type']).toBe('application/json');
  });

  it('signs with Standard Webhooks: a receiver using the library verifies; a replay with a new id or a stale timestamp fails', async () => {
    const secret = newWebhookSecret();
    receiver = await WebhookReceiverFake.start({ secret });
    const body = '{"id":"a1","result":{"classification":"TRUE_POSITIVE"}}';
    expect(await client(receiver.url, secret).send('a1', body)).toMatchObject({ kind: 'delivered' });
    const [d] = receiver.deliveries;
    expect(d).toMatchObject({ id: 'a1', raw: body });
    expect(d?.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(d?.headers['x-triage-signature']).toBeUndefined();

    // The captured request sent again by someone without the secret.
    const replay = (headers: Record<string, string>) =>
      fetch(receiver!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      }).then((r) => r.status);
    const captured = {
      'webhook-id': String(d?.headers['webhook-id']),
      'webhook-timestamp': String(d?.headers['webhook-timestamp']),
      'webhook-signature': String(d?.headers['webhook-signature']),
    };
    expect(await replay({ ...captured, 'webhook-id': 'a1-replayed' })).toBe(401);
    expect(
      await replay({ ...captured, 'webhook-timestamp': String(Number(captured['webhook-timestamp']) + 1) }),
    ).toBe(401);
    // The same message again is verified and deduped by its id, as a careful receiver does.
    expect(await replay(captured)).toBe(200);
    expect(receiver.duplicates.map((x) => x.id)).toEqual(['a1']);

    // Signed 10 minutes ago (a delivery held back, or a replay long after capture): too old.
    const stale = await client(receiver.url, secret).send('a2', body, new Date(Date.now() - 10 * 60_000));
    expect(stale).toMatchObject({ kind: 'rejected', status: 401 });
    expect(receiver.deliveries.map((x) => x.id)).toEqual(['a1']);
    expect(receiver.rejectedSignatures).toBe(3);
  });

  it('adds the legacy X-Triage-* headers only when asked (WEBHOOK_LEGACY_SIGNATURE)', async () => {
    const secret = newWebhookSecret();
    receiver = await WebhookReceiverFake.start({ secret });
    const body = '{"id":"l1"}';
    const legacy = new WebhookClient({
      url: receiver.url,
      secret,
      legacySignature: true,
      timeoutMs: 2000,
      maxRetryAfterMs: 1000,
    });
    expect(await legacy.send('l1', body)).toMatchObject({ kind: 'delivered' });
    const h = receiver.deliveries[0]!.headers;
    expect(h['x-triage-delivery']).toBe('l1');
    expect(verifyLegacy(secret, String(h['x-triage-timestamp']), body, String(h['x-triage-signature']))).toBe(
      true,
    );
    expect(receiver.rejectedSignatures).toBe(0);
  });
});
