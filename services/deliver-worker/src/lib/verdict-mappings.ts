import type { Classification, Disposition, VerdictMappings } from '@triage/contracts';

export type { OcsfVerdict, SentinelVerdict, VerdictMappings } from '@triage/contracts';

/*
 * NEEDS_REVIEW is "Suspicious" in OCSF (an analyst must look), not "Insufficient Data": the triage
 * saw enough to doubt the alert is noise. A FALSE_POSITIVE says the alert fired on activity that
 * is no threat; TriageResult does not tell "expected activity" (Sentinel's BenignPositive /
 * SuspiciousButExpected) from "the rule misfired", so it maps to FalsePositive / IncorrectAlertLogic,
 * the conservative reading a SOC can re-label.
 */
const MAPPINGS: Record<Classification, VerdictMappings> = {
  TRUE_POSITIVE: {
    ocsf: { verdict_id: 2, verdict: 'True Positive' },
    sentinel: { classification: 'TruePositive', classificationReason: 'SuspiciousActivity' },
  },
  FALSE_POSITIVE: {
    ocsf: { verdict_id: 1, verdict: 'False Positive' },
    sentinel: { classification: 'FalsePositive', classificationReason: 'IncorrectAlertLogic' },
  },
  NEEDS_REVIEW: {
    ocsf: { verdict_id: 4, verdict: 'Suspicious' },
    sentinel: { classification: 'Undetermined' },
  },
};

/**
 * The verdict in the vocabularies SOAR platforms already speak. The disposition decides whether
 * the record is closed: only `auto_closed` resolves it; a recommended close stays New with the
 * classification to close it as, for an analyst to confirm.
 */
export function verdictMappings(classification: Classification, disposition?: Disposition): VerdictMappings {
  const m = MAPPINGS[classification];
  if (!disposition) return { ocsf: { ...m.ocsf }, sentinel: { ...m.sentinel } };
  const closed = disposition === 'auto_closed';
  return {
    ocsf: { ...m.ocsf, status_id: closed ? 4 : 1, status: closed ? 'Resolved' : 'New' },
    sentinel: { status: closed ? 'Closed' : 'New', ...m.sentinel },
  };
}
