import type { Classification } from '@triage/contracts';

/**
 * OCSF `verdict_id` (Detection Finding / Incident Finding, OCSF 1.1+): 0 Unknown, 1 False Positive,
 * 2 True Positive, 3 Disregard, 4 Suspicious, 5 Benign, 6 Test, 7 Insufficient Data, 8 Security
 * Risk, 9 Managed Externally, 10 Duplicate, 99 Other. `verdict` carries the caption.
 */
export interface OcsfVerdict {
  verdict_id: 1 | 2 | 4;
  verdict: 'False Positive' | 'True Positive' | 'Suspicious';
}

/** Microsoft Sentinel incident `classification` values (IncidentClassification). */
export type SentinelClassification = 'TruePositive' | 'FalsePositive' | 'BenignPositive' | 'Undetermined';

/** Microsoft Sentinel `classificationReason` (IncidentClassificationReason). */
export type SentinelClassificationReason =
  | 'SuspiciousActivity'
  | 'SuspiciousButExpected'
  | 'IncorrectAlertLogic'
  | 'InaccurateData';

export interface SentinelVerdict {
  classification: SentinelClassification;
  /** Sentinel only accepts a reason with TruePositive / FalsePositive / BenignPositive; absent for Undetermined. */
  classificationReason?: SentinelClassificationReason;
}

export interface VerdictMappings {
  ocsf: OcsfVerdict;
  sentinel: SentinelVerdict;
}

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
