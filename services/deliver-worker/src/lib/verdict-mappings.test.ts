import { describe, expect, it } from 'vitest';
import { verdictMappings } from './verdict-mappings.ts';

describe('verdictMappings', () => {
  it('maps TRUE_POSITIVE to OCSF 2 True Positive and Sentinel TruePositive / SuspiciousActivity', () => {
    expect(verdictMappings('TRUE_POSITIVE')).toEqual({
      ocsf: { verdict_id: 2, verdict: 'True Positive' },
      sentinel: { classification: 'TruePositive', classificationReason: 'SuspiciousActivity' },
    });
  });

  it('maps FALSE_POSITIVE to OCSF 1 False Positive and Sentinel FalsePositive / IncorrectAlertLogic', () => {
    expect(verdictMappings('FALSE_POSITIVE')).toEqual({
      ocsf: { verdict_id: 1, verdict: 'False Positive' },
      sentinel: { classification: 'FalsePositive', classificationReason: 'IncorrectAlertLogic' },
    });
  });

  it('maps NEEDS_REVIEW to OCSF 4 Suspicious and Sentinel Undetermined without a reason', () => {
    const m = verdictMappings('NEEDS_REVIEW');
    expect(m).toEqual({
      ocsf: { verdict_id: 4, verdict: 'Suspicious' },
      sentinel: { classification: 'Undetermined' },
    });
    expect('classificationReason' in m.sentinel).toBe(false);
  });

  it('follows the disposition: only an auto-close resolves the record', () => {
    expect(verdictMappings('FALSE_POSITIVE', 'auto_closed')).toEqual({
      ocsf: { verdict_id: 1, verdict: 'False Positive', status_id: 4, status: 'Resolved' },
      sentinel: {
        status: 'Closed',
        classification: 'FalsePositive',
        classificationReason: 'IncorrectAlertLogic',
      },
    });
    expect(verdictMappings('FALSE_POSITIVE', 'recommended_close')).toMatchObject({
      ocsf: { verdict_id: 1, status_id: 1, status: 'New' },
      sentinel: { status: 'New', classification: 'FalsePositive' },
    });
    expect(verdictMappings('TRUE_POSITIVE', 'escalate')).toMatchObject({
      ocsf: { verdict_id: 2, status_id: 1 },
      sentinel: { status: 'New', classification: 'TruePositive' },
    });
  });

  it('returns copies, so a caller cannot change the table', () => {
    verdictMappings('TRUE_POSITIVE').ocsf.verdict = 'Suspicious';
    expect(verdictMappings('TRUE_POSITIVE').ocsf.verdict).toBe('True Positive');
  });
});
