/** USD per 1M tokens (the shape of `GEMINI_PRICES` in config). */
export interface ModelPrice {
  input: number;
  output: number;
}

/** Token counts of one call, as `usageMetadata` reports them. */
export interface Usage {
  input: number;
  output: number;
  /** Thinking tokens: billed at the output rate, reported separately by Gemini. */
  thinking: number;
}

interface UsageMetadataLike {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
}

export function usageFrom(meta: UsageMetadataLike | undefined): Usage {
  const n = (v: number | undefined) =>
    typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.round(v) : 0;
  return {
    input: n(meta?.promptTokenCount) + n(meta?.toolUsePromptTokenCount),
    output: n(meta?.candidatesTokenCount),
    thinking: n(meta?.thoughtsTokenCount),
  };
}

export function addUsage(a: Usage, b: Usage): Usage {
  return { input: a.input + b.input, output: a.output + b.output, thinking: a.thinking + b.thinking };
}

export const ZERO_USAGE: Usage = Object.freeze({ input: 0, output: 0, thinking: 0 });

/**
 * Prices are USD per 1M tokens. A model missing from the table is priced like its closest known
 * prefix (e.g. `gemini-2.5-flash-001` → `gemini-2.5-flash`) so cost is never silently zero.
 */
export function priceFor(model: string, table: Readonly<Record<string, ModelPrice>>): ModelPrice | undefined {
  if (table[model]) return table[model];
  const known = Object.keys(table)
    .filter((k) => model.startsWith(k))
    .sort((a, b) => b.length - a.length)[0];
  return known ? table[known] : undefined;
}

export function costUsd(usage: Usage, price: ModelPrice | undefined): number {
  if (!price) return 0;
  return (usage.input * price.input + (usage.output + usage.thinking) * price.output) / 1_000_000;
}

/** "$0.0016" — four decimals as the batch summary shows, six for sub-hundredth-cent amounts. */
export function formatUsd(usd: number): string {
  if (usd > 0 && usd < 0.0001) return `$${usd.toFixed(6)}`;
  return `$${usd.toFixed(4)}`;
}
