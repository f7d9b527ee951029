import type { Normalizer } from './draft.ts';
import { capString } from './fields.ts';
import { extractGeneric, leftoverFacts } from './generic-extract.ts';
import { genericSignals } from './generic-signals.ts';

/**
 * Any JSON object: fields found by key name (see generic-extract.ts), the remaining top-level
 * scalars kept as facts. Never refuses an object; that is what makes it the fallback.
 */
export const normalizeGeneric: Normalizer = (doc, ctx) => {
  const found = extractGeneric(doc);
  const { used, found: _, ...draft } = found;
  return {
    ...draft,
    name: draft.name ?? untitledName(doc),
    facts: leftoverFacts(doc, used),
    signals: ctx.signals ? genericSignals(doc, found) : undefined,
  };
};

/**
 * A name for an alert that states none, built from its first keys so an operator sees what kind
 * of payload it was ("Untitled alert (test1)"). Stable for a given shape, so it fingerprints.
 */
export function untitledName(doc: Record<string, unknown>): string {
  const keys = Object.keys(doc)
    .sort()
    .slice(0, 3)
    .map((k) => capString(k, 64));
  return keys.length > 0 ? `Untitled alert (${keys.join(', ')})` : 'Untitled alert';
}
