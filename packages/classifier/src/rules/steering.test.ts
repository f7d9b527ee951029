import { normalize } from '@triage/normalizers';
import { describe, expect, it } from 'vitest';
import { enrichmentOf, testConfig, verdictOf } from '../fixtures.test-support.ts';
import { STEERING_CORPUS, TRICKS } from '../steering-corpus.test-support.ts';

/**
 * The steering corpus (steering-corpus.test-support.ts) through the rules: no attempt ends
 * FALSE_POSITIVE, and each keeps threat-leaning evidence, which is what stops an LLM that says
 * FALSE_POSITIVE (guardrails.ts; end to end in test/e2e/llm-tier.e2e.test.ts). No intel here:
 * the attack in the content has to hold on its own. KNOWN_BENIGN names the hosts some tricks
 * quote, so a name in content is tested against a real allow-list entry.
 */
const config = testConfig({ KNOWN_BENIGN: 'scanner.corp.example,10.0.0.99' });

describe('steering corpus, rules path', () => {
  it('has at least 50 attempts over every format and trick', () => {
    expect(STEERING_CORPUS.length).toBeGreaterThanOrEqual(50);
    expect(new Set(STEERING_CORPUS.map((a) => a.format)).size).toBe(9);
    for (const trick of Object.keys(TRICKS))
      expect(
        STEERING_CORPUS.some((a) => a.trick === trick),
        trick,
      ).toBe(true);
    console.info(`[steering] ${STEERING_CORPUS.length} attempts`);
  });

  it.each(STEERING_CORPUS.map((a) => [a.id, a] as const))('%s', (_id, attempt) => {
    const alert = normalize(attempt.alert);
    expect(alert.format).toBe(attempt.format);
    const v = verdictOf(alert, enrichmentOf(), config);
    expect(v.classification, v.reasons.join('\n')).not.toBe('FALSE_POSITIVE');
    expect(v.threatLeaning, v.reasons.join('\n')).toBeDefined();
    // Nothing benign the attacker wrote counted.
    expect(v.evidence.filter((e) => e.effective < 0 && e.basis?.some((b) => b === 'text'))).toEqual([]);
  });
});
