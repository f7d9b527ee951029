import type { Classification, VerdictMappings } from '@triage/contracts';

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

/** The verdict in the vocabularies SOAR platforms already speak. */
export function verdictMappings(classification: Classification): VerdictMappings {
  const m = MAPPINGS[classification];
  return { ocsf: { ...m.ocsf }, sentinel: { ...m.sentinel } };
}
