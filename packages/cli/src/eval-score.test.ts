import { describe, expect, it } from 'vitest';
import { type EvalRow, formatReport, normalizeLabel, scoreEval } from './eval-score.ts';

const row = (
  index: number,
  truth: EvalRow['truth'],
  outcome: EvalRow['outcome'],
  confidence = 50,
  title = `alert ${index}`,
): EvalRow => ({
  index,
  ...(truth ? { truth, label: truth } : {}),
  outcome,
  confidence,
  title,
});

describe('scoreEval', () => {
  it('recall counts threats not closed; FP rate counts benign still sent to analysts', () => {
    const r = scoreEval([
      row(0, 'threat', 'TRUE_POSITIVE'),
      row(1, 'threat', 'NEEDS_REVIEW'),
      row(2, 'threat', 'FALSE_POSITIVE', 90, 'missed brute force'),
      row(3, 'threat', 'FALSE_POSITIVE', 60, 'missed scan'),
      row(4, 'benign', 'FALSE_POSITIVE'),
      row(5, 'benign', 'FALSE_POSITIVE'),
      row(6, 'benign', 'NEEDS_REVIEW'),
      row(7, 'benign', 'TRUE_POSITIVE'),
    ]);
    expect(r.recall).toBe(0.5);
    expect(r.falsePositiveRate).toBe(0.5);
    expect(r.needsReviewShare).toBe(2 / 8);
    expect(r.threatDetectionRate).toBe(0.25);
    expect(r.matrix.threat).toMatchObject({ TRUE_POSITIVE: 1, NEEDS_REVIEW: 1, FALSE_POSITIVE: 2 });
    expect(r.matrix.benign).toMatchObject({ TRUE_POSITIVE: 1, NEEDS_REVIEW: 1, FALSE_POSITIVE: 2 });
    expect(r.worstMisses.map((m) => m.title)).toEqual(['missed brute force', 'missed scan']);
  });

  it('failed/missing and unlabelled rows are shown but not scored', () => {
    const r = scoreEval([
      row(0, 'threat', 'failed'),
      row(1, undefined, 'TRUE_POSITIVE'),
      row(2, 'review', 'NEEDS_REVIEW'),
      row(3, 'benign', 'missing'),
    ]);
    expect(r.scored).toBe(0);
    expect(r.recall).toBeNull();
    expect(r.falsePositiveRate).toBeNull();
    expect(r.needsReviewShare).toBe(0.5);
    expect(r.matrix.unlabelled?.TRUE_POSITIVE).toBe(1);
    expect(r.matrix.threat?.failed).toBe(1);
    expect(r.matrix.benign?.missing).toBe(1);
  });

  it('caps and orders worst misses by confidence', () => {
    const rows = Array.from({ length: 20 }, (_, i) => row(i, 'threat', 'FALSE_POSITIVE', i));
    const r = scoreEval(rows, { worst: 3 });
    expect(r.worstMisses.map((m) => m.confidence)).toEqual([19, 18, 17]);
    expect(r.recall).toBe(0);
  });

  it('maps the bundled datasets’ label vocabularies', () => {
    for (const t of ['TP', 'TRUE_POSITIVE', 'attack_window', 'malicious', 'suspicious'])
      expect(normalizeLabel(t)).toBe('threat');
    for (const b of ['FP', 'FALSE_POSITIVE', 'no_attack', 'benign', '-', 'BenignPositive'])
      expect(normalizeLabel(b)).toBe('benign');
    expect(normalizeLabel('NEEDS_REVIEW')).toBe('review');
    expect(normalizeLabel('')).toBeUndefined();
    expect(normalizeLabel('wpscan')).toBeUndefined();
  });

  it('formats a readable table', () => {
    const text = formatReport(
      scoreEval([row(0, 'threat', 'FALSE_POSITIVE', 88, 'Brute force'), row(1, 'benign', 'FALSE_POSITIVE')]),
    );
    expect(text).toMatch(/recall .*0\.0%/);
    expect(text).toMatch(/false-positive rate .*0\.0%/);
    expect(text).toMatch(/threat\s+0\s+1\s+0/);
    expect(text).toContain('#0  confidence 88');
  });
});
