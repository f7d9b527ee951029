import { describe, expect, it } from 'vitest';
import { costUsd, formatUsd, priceFor, usageFrom } from './cost.ts';
import { testConfig } from './fixtures.test-support.ts';

describe('cost', () => {
  const prices = testConfig().GEMINI_PRICES;

  it('bills thinking tokens at the output rate', () => {
    const u = usageFrom({ promptTokenCount: 1200, candidatesTokenCount: 180, thoughtsTokenCount: 400 });
    expect(u).toEqual({ input: 1200, output: 180, thinking: 400 });
    // 1200 × 0.30 + (180 + 400) × 2.50 per 1M
    expect(costUsd(u, priceFor('gemini-2.5-flash', prices))).toBeCloseTo((1200 * 0.3 + 580 * 2.5) / 1e6, 12);
    expect(costUsd(u, priceFor('gemini-2.5-flash-lite', prices))).toBeCloseTo(
      (1200 * 0.1 + 580 * 0.4) / 1e6,
      12,
    );
  });

  it('prices unknown model versions by their known prefix and formats like the API', () => {
    expect(priceFor('gemini-2.5-flash-lite-preview-06-17', prices)).toEqual({ input: 0.1, output: 0.4 });
    expect(priceFor('other-model', prices)).toBeUndefined();
    expect(formatUsd(0.0016)).toBe('$0.0016');
    expect(formatUsd(0)).toBe('$0.0000');
    expect(formatUsd(0.0000412)).toBe('$0.000041');
  });

  it('GEMINI_PRICES overrides merge over the defaults', () => {
    const c = testConfig({ GEMINI_PRICES: '{"gemini-2.5-flash":{"input":1,"output":2}}' });
    expect(c.GEMINI_PRICES['gemini-2.5-flash']).toEqual({ input: 1, output: 2 });
    expect(c.GEMINI_PRICES['gemini-2.5-flash-lite']).toEqual({ input: 0.1, output: 0.4 });
    expect(() => testConfig({ GEMINI_PRICES: 'nope' })).toThrow(/GEMINI_PRICES/);
  });
});
