import { keys } from '@triage/runtime';
import { type RedisFixture, redisFixture, waitFor } from '@triage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmLedger } from './llm-ledger.ts';

describe('LlmLedger (shared Gemini limits in Redis)', () => {
  let fx: RedisFixture;
  beforeAll(async () => {
    fx = await redisFixture('llm-ledger');
  });
  afterAll(async () => fx.close());

  const ledger = (area: string, o: Partial<ConstructorParameters<typeof LlmLedger>[0]> = {}) =>
    new LlmLedger({
      redis: fx.redis,
      ns: keys(fx.prefix).ns(area),
      rate: { max: 100, duration: 60_000 },
      dailyQuota: 0,
      ...o,
    });

  it('one sliding window across processes', async () => {
    const a = ledger('rate', { rate: { max: 3, duration: 60_000 } });
    const b = ledger('rate', { rate: { max: 3, duration: 60_000 } });
    const grants = await Promise.all([a.tryAcquire(), b.tryAcquire(), a.tryAcquire()]);
    expect(grants.every((g) => g.ok)).toBe(true);
    const denied = await b.tryAcquire();
    expect(denied).toMatchObject({ ok: false, reason: 'rate' });
    expect(denied.ok === false && denied.retryMs).toBeGreaterThan(0);
    expect((await a.status()).callsToday).toBe(3);
  });

  it('waits for a free slot at most maxWaitMs', async () => {
    const l = ledger('wait', { rate: { max: 2, duration: 300 } });
    await l.tryAcquire();
    await l.tryAcquire();
    expect((await l.acquire(0)).ok).toBe(false);
    expect((await l.acquire(2_000)).ok).toBe(true);
  });

  it('daily quota and budget', async () => {
    const q = ledger('quota', { dailyQuota: 2 });
    expect((await q.tryAcquire()).ok).toBe(true);
    expect((await q.tryAcquire()).ok).toBe(true);
    expect(await q.tryAcquire()).toMatchObject({ ok: false, reason: 'quota' });

    const b = ledger('budget', { budgetUsd: 0.01 });
    expect((await b.tryAcquire()).ok).toBe(true);
    await b.recordUsage(0.012, { input: 1000, output: 100, thinking: 50 });
    expect(await b.tryAcquire()).toMatchObject({ ok: false, reason: 'budget' });
    const s = await b.status();
    expect(s.spentTodayUsd).toBeCloseTo(0.012, 6);
    expect(b.budgetExhausted(s.spentTodayUsd)).toBe(true);
  });

  it('a 429 pauses every process until Retry-After; a shorter pause never shortens it', async () => {
    const l = ledger('pause');
    const until = await l.pause(400);
    expect(await l.pause(50)).toBe(until);
    expect(await l.tryAcquire()).toMatchObject({ ok: false, reason: 'paused' });
    expect((await l.status()).pausedUntil).toBe(until);
    await waitFor(async () => (await l.tryAcquire()).ok, { timeoutMs: 3_000, message: 'pause to expire' });
  });
});
