import { describe, expect, it } from 'vitest';
import { alertOf, enrichmentOf, verdictOf } from './fixtures.test-support.ts';
import { buildPrompt } from './gemini/prompt.ts';
import { isGroundTruthKey, withoutGroundTruth } from './ground-truth.ts';

describe('ground truth and dispositions', () => {
  it('recognises dataset labels and analyst dispositions in any spelling', () => {
    for (const k of [
      'event_label',
      'time_label',
      'author_label',
      'groundTruth',
      'Expected',
      'classification',
      'determination',
      'disposition_label',
    ])
      expect(isGroundTruthKey(k), k).toBe(true);
    for (const k of ['name', 'signature', 'rule_level', 'category', 'severity'])
      expect(isGroundTruthKey(k), k).toBe(false);
  });

  it('removes them at any depth, leaving the rest intact', () => {
    expect(
      withoutGroundTruth({
        a: 1,
        event_label: 'dirb',
        properties: { classification: 'TruePositive', x: [{ label: 'fp', y: 2 }] },
      }),
    ).toEqual({ a: 1, properties: { x: [{ y: 2 }] } });
  });

  it('never reach the LLM prompt, neither through facts nor through the raw excerpt', () => {
    const alert = alertOf({
      name: 'Wazuh: Web server 400 error code.',
      src_ip: '172.16.5.5',
      facts: { short: 'W-Acc-400', author_label: 'TP_SECRET_A' },
      raw: {
        name: 'Wazuh: Web server 400 error code.',
        event_label: 'dirb_SECRET_B',
        time_label: 'SECRET_C',
        hierarchical_event_label: 'SECRET_D',
        nested: { ground_truth: 'SECRET_E' },
      },
    });
    const prompt = buildPrompt(alert, enrichmentOf(), verdictOf(alert), false, 20_000);
    expect(prompt.contents).toContain('W-Acc-400');
    expect(prompt.contents).not.toMatch(/SECRET/);
  });
});
