import type { Enrichment, NormalizedAlert, Severity } from '@triage/contracts';
import type { TriageConfig } from '@triage/runtime';
import type { AlertFeatures } from '../alert-features.ts';

/**
 * One piece of evidence. `weight` > 0 pushes toward TRUE_POSITIVE, < 0 toward FALSE_POSITIVE.
 * `reason` is a sentence an analyst can check: it cites the concrete value (IP, score, command).
 */
export interface Evidence {
  id: string;
  weight: number;
  reason: string;
  /** Short label used for the verdict title when this is the strongest item. */
  title?: string;
  mitre?: string[];
  /**
   * Items in one group describe the same underlying fact (e.g. a Tor exit seen by AbuseIPDB and by
   * the offline list): the strongest counts fully, each further one at half the previous rate.
   */
  group?: string;
  /**
   * A prior: what the detecting product claims about its rule in general (level, severity,
   * classtype, rule name), not something observed in this alert. Direct evidence of at least 3 the
   * other way halves priors: a generic low-level "sudo" rule says little once the command is
   * `cat /etc/shadow` from a web directory.
   */
  prior?: boolean;
  /** Scanning/recon behaviour: expected from KNOWN_BENIGN scanners, so dropped for them. */
  recon?: boolean;
  /** The verdict severity is at least this when the evidence holds and the verdict is a threat. */
  severityFloor?: Severity;
  /**
   * Why this activity may never be closed on benign-leaning evidence alone (reconnaissance,
   * unsupervised anomaly output, privilege changes): a FALSE_POSITIVE becomes NEEDS_REVIEW while
   * this item stands. Dropped with the item (recon from a KNOWN_BENIGN scanner).
   */
  keepOpen?: string;
  /**
   * Ceiling on the confidence of a verdict that rests on this item (it would not stand without
   * it): for evidence that leans one way but is known to be often wrong, e.g. protocol-decoder
   * anomalies, which are mostly broken clients but also what scans and tunnels look like.
   */
  maxConfidence?: number;
  /**
   * Groups whose supporting priors this item explains away: a web-attack signature shown to have
   * matched the server's own response says nothing any more through its classtype or severity.
   */
  explainsAway?: string[];
  /**
   * What the item rests on: signal paths (`detection.level`, `process.image`, see AlertSignals
   * provenance) and/or the non-alert sources `intel`, `memory`, `config` (operator settings such as
   * KNOWN_BENIGN). Benign-leaning evidence (weight < 0) counts only when every basis is metadata or
   * a non-alert source: content an attacker can shape may raise suspicion, never lower it.
   */
  basis?: string[];
}

/** The slice of configuration the rules read. */
export interface RulesSettings {
  knownBenign: readonly string[];
  businessHoursUtc: string;
  tpThreshold: number;
  fpThreshold: number;
  tpDecisive: number;
  fpDecisive: number;
}

/** The rules' settings as configured (classifier.config.ts). */
export function rulesSettings(c: TriageConfig): RulesSettings {
  return {
    knownBenign: c.KNOWN_BENIGN,
    businessHoursUtc: c.BUSINESS_HOURS_UTC,
    tpThreshold: c.RULES_TP_THRESHOLD,
    fpThreshold: c.RULES_FP_THRESHOLD,
    tpDecisive: c.RULES_TP_DECISIVE,
    fpDecisive: c.RULES_FP_DECISIVE,
  };
}

export interface RuleContext {
  alert: NormalizedAlert;
  enrichment: Enrichment;
  features: AlertFeatures;
  settings: RulesSettings;
}

export type Rule = (ctx: RuleContext) => Evidence[];

/** Shortens a value quoted in a reason so one long command line cannot swamp the verdict. */
export function quote(value: string, max = 80): string {
  const one = value.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
