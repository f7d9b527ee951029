import type { TriageResult } from '@triage/contracts';
import { keys } from '@triage/runtime';
import { type RedisFixture, redisFixture } from '@triage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { abuse, enrichmentOf, ipIntel, vt } from './fixtures.test-support.ts';
import { intelDigest, VerdictCache } from './verdict-cache.ts';

const result = (title: string): TriageResult => ({
  classification: 'TRUE_POSITIVE',
  confidence: 80,
  severity: 'High',
  title,
  reasoning: ['a', 'b', 'c'],
  mitre: [],
  threat_intel: {},
  decided_by: 'llm',
  flags: [],
  performance: {
    processing_time: 0.1,
    from_cache: false,
    cost: '$0.0010',
    cost_usd: 0.001,
    tokens: { input: 1, output: 1 },
  },
});

describe('VerdictCache', () => {
  let fx: RedisFixture;
  beforeAll(async () => {
    fx = await redisFixture('verdict-cache');
  });
  afterAll(async () => fx.close());
  const cache = (o: Partial<ConstructorParameters<typeof VerdictCache>[0]> = {}) =>
    new VerdictCache({
      redis: fx.redis,
      ns: keys(fx.prefix).ns('verdict'),
      ttlSeconds: 60,
      lockTtlMs: 5_000,
      flightTtlMs: 2_000,
      pollMs: 10,
      ...o,
    });

  it('the intel digest ignores ordering and changes with any verdict', () => {
    const a = enrichmentOf({ '1.1.1.1': ipIntel(abuse(0), vt(0)), '2.2.2.2': ipIntel(abuse(90)) });
    const b = enrichmentOf({ '2.2.2.2': ipIntel(abuse(90)), '1.1.1.1': ipIntel(vt(0), abuse(0)) });
    const c = enrichmentOf({ '2.2.2.2': ipIntel(abuse(30)), '1.1.1.1': ipIntel(vt(0), abuse(0)) });
    expect(intelDigest(a)).toBe(intelDigest(b));
    expect(intelDigest(a)).not.toBe(intelDigest(c));
  });

  it('alerts alike but for a signal (or its provenance) get keys of their own', () => {
    const c = cache();
    const signals = (origin: 'metadata' | 'content', cmd = 'whoami') => ({
      process: { command_line: cmd },
      provenance: { 'process.command_line': { origin } },
    });
    const key = (s?: ReturnType<typeof signals>) =>
      c.keyFor({ fingerprint: 'fp', signals: s }, enrichmentOf());
    expect(key(signals('content'))).toBe(key(signals('content')));
    expect(key(signals('content'))).not.toBe(key(signals('metadata')));
    expect(key(signals('content'))).not.toBe(key(signals('content', 'whoami eicar')));
    expect(key(signals('content'))).not.toBe(key());
    // Key order inside the signals does not matter.
    const reordered = {
      provenance: { 'process.command_line': { origin: 'content' as const } },
      process: { command_line: 'whoami' },
    };
    expect(key(reordered)).toBe(key(signals('content')));
  });

  it('N concurrent callers on two instances compute once', async () => {
    const [c1, c2] = [cache(), cache()];
    const key = c1.keyFor({ fingerprint: 'fp-1' }, enrichmentOf());
    let computed = 0;
    const compute = async () => {
      computed += 1;
      await new Promise((r) => setTimeout(r, 100));
      return { result: result('once'), cacheable: true };
    };
    const runs = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? c1 : c2).singleFlight(key, compute)),
    );
    expect(computed).toBe(1);
    expect(runs.filter((r) => r.source === 'self')).toHaveLength(1);
    expect(runs.filter((r) => r.source === 'cache')).toHaveLength(9);
    expect((await c2.get(key))?.title).toBe('once');
  });

  it('a dead lock holder is taken over when its lock expires', async () => {
    const c = cache({ lockTtlMs: 300 });
    const key = c.keyFor({ fingerprint: 'fp-dead' }, enrichmentOf());
    await fx.redis.set(`${key}:lock`, 'crashed-process', 'PX', 300);
    const started = Date.now();
    const r = await c.singleFlight(key, async () => ({ result: result('takeover'), cacheable: true }));
    expect(r.source).toBe('self');
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  it('an uncacheable (fallback) result answers the waiters of that flight only briefly', async () => {
    const c = cache();
    const key = c.keyFor({ fingerprint: 'fp-fallback' }, enrichmentOf());
    let computed = 0;
    const runs = await Promise.all(
      Array.from({ length: 5 }, () =>
        c.singleFlight(key, async () => {
          computed += 1;
          await new Promise((r) => setTimeout(r, 50));
          return { result: result('fallback'), cacheable: false };
        }),
      ),
    );
    expect(computed).toBe(1);
    expect(runs.filter((r) => r.source === 'flight')).toHaveLength(4);
    expect(await c.get(key)).toBeUndefined();
  });
});
