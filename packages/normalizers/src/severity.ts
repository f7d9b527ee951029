import type { Severity } from '@triage/contracts';
import { text, toNumber } from './fields.ts';

/**
 * Severity words as SIEMs spell them (Sentinel, Splunk urgency, Elastic, Okta/syslog levels, CEF
 * "Very-High", Suricata ET `signature_severity` Major/Minor). "unknown"/"other" are not a severity.
 */
const WORDS: Record<string, Severity> = {
  critical: 'Critical',
  crit: 'Critical',
  fatal: 'Critical',
  emergency: 'Critical',
  emerg: 'Critical',
  severe: 'Critical',
  veryhigh: 'Critical',
  high: 'High',
  major: 'High',
  error: 'High',
  err: 'High',
  important: 'High',
  medium: 'Medium',
  moderate: 'Medium',
  med: 'Medium',
  warning: 'Medium',
  warn: 'Medium',
  low: 'Low',
  minor: 'Low',
  notice: 'Low',
  informational: 'Informational',
  information: 'Informational',
  info: 'Informational',
  debug: 'Informational',
  none: 'Informational',
};

export function severityFromWord(v: unknown): Severity | undefined {
  const t = text(v, 64);
  return t === undefined ? undefined : WORDS[t.toLowerCase().replace(/[^a-z]/g, '')];
}

/**
 * Numeric scales, one per source. Each is documented where the source documents it:
 * - wazuh 0-15: the Wazuh dashboard buckets (Low 0-6, Medium 7-11, High 12-14, Critical 15+), with
 *   0-2 split out as Informational because the ruleset reserves them for "no priority" notices.
 * - suricata 1-4: classification priority; 1 = High, 2 = Medium, 3 = Low, 4 = Informational.
 * - ocsf severity_id: 1 Informational … 5 Critical, 6 Fatal → Critical; 0 Unknown / 99 Other → none.
 * - risk100 0-100: Elastic's risk-score bands (21 / 47 / 73) also used for ECS `event.severity`.
 * - cef 0-10: CEF spec bands (0-3 Low, 4-6 Medium, 7-8 High, 9-10 Very-High).
 * - cvss 0-10: CVSS v3 qualitative bands; the guess for unlabeled 0-10 numbers.
 */
export type SeverityScale = 'wazuh' | 'suricata' | 'ocsf' | 'risk100' | 'cef' | 'cvss';

export function severityFromScale(v: unknown, scale: SeverityScale): Severity | undefined {
  const n = toNumber(v);
  if (n === undefined || n < 0) return undefined;
  switch (scale) {
    case 'wazuh':
      return n >= 15 ? 'Critical' : n >= 12 ? 'High' : n >= 7 ? 'Medium' : n >= 3 ? 'Low' : 'Informational';
    case 'suricata':
      return n < 1 ? undefined : n < 2 ? 'High' : n < 3 ? 'Medium' : n < 4 ? 'Low' : 'Informational';
    case 'ocsf':
      return (
        ({ 1: 'Informational', 2: 'Low', 3: 'Medium', 4: 'High', 5: 'Critical', 6: 'Critical' } as const)[
          n as 1 | 2 | 3 | 4 | 5 | 6
        ] ?? undefined
      );
    case 'risk100':
      return n > 100 ? undefined : n >= 74 ? 'Critical' : n >= 48 ? 'High' : n >= 22 ? 'Medium' : 'Low';
    case 'cef':
      return n > 10 ? undefined : n >= 9 ? 'Critical' : n >= 7 ? 'High' : n >= 4 ? 'Medium' : 'Low';
    case 'cvss':
      return n > 10
        ? undefined
        : n >= 9
          ? 'Critical'
          : n >= 7
            ? 'High'
            : n >= 4
              ? 'Medium'
              : n > 0
                ? 'Low'
                : 'Informational';
  }
}

/** A word when the source wrote one, otherwise the number on the source's scale. */
export function severityOf(v: unknown, scale: SeverityScale): Severity | undefined {
  return severityFromWord(v) ?? severityFromScale(v, scale);
}

/** Unlabeled numbers: 0-10 read as CVSS, 11-100 as a risk score, anything else unknown. */
export function severityGuess(v: unknown): Severity | undefined {
  const word = severityFromWord(v);
  if (word !== undefined) return word;
  const n = toNumber(v);
  if (n === undefined) return undefined;
  return n <= 10 ? severityFromScale(n, 'cvss') : severityFromScale(n, 'risk100');
}

/**
 * Confidence as 0-100. Fractions (Sentinel's 0-1 ConfidenceScore) are scaled; words map to the
 * middle of their band (Suricata ET metadata, Sentinel ConfidenceLevel, OCSF confidence_id).
 */
export function confidenceOf(v: unknown): number | undefined {
  const t = text(v, 64)?.toLowerCase();
  if (t === 'high') return 80;
  if (t === 'medium') return 50;
  if (t === 'low') return 20;
  const n = toNumber(v);
  if (n === undefined || n < 0 || n > 100) return undefined;
  return n <= 1 && !Number.isInteger(n) ? Math.round(n * 100) : n;
}
