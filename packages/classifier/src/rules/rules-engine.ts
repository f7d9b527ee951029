import { type Classification, type ResultFlag, SEVERITY_ORDER, type Severity } from '@triage/contracts';
import { authRules } from './auth.rules.ts';
import { commandRules } from './command.rules.ts';
import { contextRules } from './context.rules.ts';
import { endpointRules } from './endpoint.rules.ts';
import type { Evidence, Rule, RuleContext, RulesSettings } from './evidence.ts';
import { idsRules } from './ids.rules.ts';
import { flaggedIntel, intelRules, maliciousIntel } from './intel.rules.ts';
import { kindRules } from './kind.rules.ts';
import { protocolAnomalyRules } from './protocol-anomaly.rules.ts';
import { gateBenign, type IgnoredEvidence } from './provenance.ts';
import { webRules } from './web.rules.ts';

export const RULES: readonly Rule[] = [
  intelRules,
  authRules,
  commandRules,
  webRules,
  idsRules,
  protocolAnomalyRules,
  kindRules,
  contextRules,
  endpointRules,
];

/** Evidence with the weight it actually contributed after same-group damping. */
export interface ScoredEvidence extends Evidence {
  effective: number;
}

export interface RulesVerdict {
  /** Sum of effective weights: > 0 toward threat, < 0 toward noise. */
  score: number;
  classification: Classification;
  confidence: number;
  severity: Severity;
  title: string;
  reasons: string[];
  /** Technique ids the evidence points at (strongest first, unvalidated). */
  mitre: string[];
  /** The rules verdict stands without the LLM. */
  decisive: boolean;
  evidence: ScoredEvidence[];
  /** "provider rates value malicious" statements: the verdict may never be FALSE_POSITIVE. */
  malicious: string[];
  /** "provider rates value suspicious|malicious" statements: the LLM may not close these. */
  flaggedIntel: string[];
  /**
   * The strongest threat-leaning item, when the rules found one: the rules lean TRUE_POSITIVE, or an
   * observed (non-prior) item weighs at least 2. The LLM may not close the alert against it.
   */
  threatLeaning?: ScoredEvidence;
  flags: ResultFlag[];
  /**
   * Benign-leaning items the provenance gate set aside (provenance.ts): they rested on content an
   * attacker can shape, or named no basis. They did not count.
   */
  ignored: IgnoredEvidence[];
}

/**
 * Items describing one fact (same `group`) are damped: the strongest counts fully, the next at
 * half, then a quarter... so three feeds agreeing on one IP do not outweigh three separate facts.
 */
export function scoreEvidence(input: Evidence[]): { score: number; scored: ScoredEvidence[] } {
  const strongFor = input.some((e) => !e.prior && e.weight >= 3);
  const strongAgainst = input.some((e) => !e.prior && e.weight <= -3);
  const evidence = input.map((e) =>
    e.prior && ((e.weight < 0 && strongFor) || (e.weight > 0 && strongAgainst))
      ? { ...e, weight: e.weight / 2 }
      : e,
  );
  const groups = new Map<string, Evidence[]>();
  for (const e of evidence) {
    const k = e.group ?? e.id;
    groups.set(k, [...(groups.get(k) ?? []), e]);
  }
  const scored: ScoredEvidence[] = [];
  for (const items of groups.values()) {
    for (const sign of [1, -1]) {
      const same = items
        .filter((e) => Math.sign(e.weight) === sign)
        .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
      same.forEach((e, i) => {
        scored.push({ ...e, effective: e.weight * 0.5 ** i });
      });
    }
  }
  scored.sort((a, b) => Math.abs(b.effective) - Math.abs(a.effective));
  const score = Math.round(scored.reduce((s, e) => s + e.effective, 0) * 100) / 100;
  return { score, scored };
}

const rank = (s: Severity) => SEVERITY_ORDER.indexOf(s); // 0 = Critical
const higher = (a: Severity, b: Severity) => (rank(a) <= rank(b) ? a : b);
const lower = (a: Severity, b: Severity) => (rank(a) >= rank(b) ? a : b);

/**
 * Calibration: confidence rises with |score| along 1 - e^(-|s|/k) from 50 toward 99, minus
 * penalties for counter-evidence, missing intel and single-item verdicts. It is monotonic in the
 * evidence for the verdict: more or stronger supporting evidence never lowers it.
 */
export function calibrate(
  classification: Classification,
  score: number,
  scored: ScoredEvidence[],
  partial: boolean,
): number {
  const pos = scored.filter((e) => e.effective > 0).reduce((s, e) => s + e.effective, 0);
  const neg = -scored.filter((e) => e.effective < 0).reduce((s, e) => s + e.effective, 0);
  let c: number;
  if (classification === 'TRUE_POSITIVE') {
    c = 50 + 49 * (1 - Math.exp(-Math.max(0, score) / 5));
    c -= Math.min(15, neg * 2);
    if (scored.filter((e) => e.effective > 0).length < 2) c -= 5;
    if (partial) c -= 3;
  } else if (classification === 'FALSE_POSITIVE') {
    c = 50 + 49 * (1 - Math.exp(Math.min(0, score) / 4));
    c -= Math.min(15, pos * 2);
    if (scored.filter((e) => e.effective < 0).length < 2) c -= 5;
    // Missing intel could hide exactly what would make it a threat.
    if (partial) c -= 8;
  } else {
    c = 40 + Math.min(30, 4 * Math.min(pos, neg));
  }
  return Math.max(1, Math.min(99, Math.round(c)));
}

function severityFor(
  ctx: RuleContext,
  classification: Classification,
  score: number,
  scored: ScoredEvidence[],
): Severity {
  const src = ctx.alert.severity;
  const floors = scored.filter((e) => e.effective > 0 && e.severityFloor).map((e) => e.severityFloor!);
  const floor = floors.reduce<Severity>((a, b) => higher(a, b), 'Informational');
  if (classification === 'FALSE_POSITIVE') return lower(src, 'Low');
  if (classification === 'NEEDS_REVIEW')
    return higher(src, floors.length ? lower(floor, 'High') : 'Informational');
  const byScore: Severity = score >= 10 ? 'Critical' : score >= 6 ? 'High' : score >= 3 ? 'Medium' : 'Low';
  const base = ctx.alert.severity_inferred ? byScore : higher(src, score >= 10 ? 'High' : 'Informational');
  return higher(base, floor);
}

export function runRules(ctx: RuleContext, extra: Evidence[] = []): RulesVerdict {
  // The provenance gate first: nothing below may see benign evidence that content produced.
  const gated = gateBenign([...RULES.flatMap((r) => r(ctx)), ...extra], ctx.alert.signals);
  let evidence = gated.kept;
  // An authorised scanner scanning is the expected behaviour, not evidence against it.
  if (evidence.some((e) => e.id.startsWith('context.known_benign'))) {
    evidence = evidence.filter((e) => !(e.recon && e.weight > 0));
  }
  evidence = explainAway(evidence);
  const { score, scored } = scoreEvidence(evidence);
  const s = ctx.settings;
  const malicious = maliciousIntel(ctx.enrichment.intel);
  const injection = evidence.some((e) => e.id === 'guard.injection');
  const flags: ResultFlag[] = [];
  const notes: string[] = [];

  let classification: Classification =
    score >= s.tpThreshold ? 'TRUE_POSITIVE' : score <= s.fpThreshold ? 'FALSE_POSITIVE' : 'NEEDS_REVIEW';
  let decisive =
    classification === 'TRUE_POSITIVE'
      ? score >= s.tpDecisive
      : classification === 'FALSE_POSITIVE' && score <= s.fpDecisive;

  // Safety first: any of these keeps a benign-looking alert in front of an analyst.
  if (classification === 'FALSE_POSITIVE') {
    // A severity that trusted evidence explained away (a web-attack signature shown to have matched
    // the server's own response) no longer holds the alert open.
    const severityExplained = evidence.some(
      (e) => e.weight < 0 && e.explainsAway?.includes('source.severity'),
    );
    const stated = ctx.alert.signals?.detection?.severity;
    const highSev = !severityExplained && (stated === 'Critical' || stated === 'High');
    if (malicious.length) {
      flags.push('intel_conflict');
      notes.push(`Benign-looking, but ${malicious[0]}: never closed while intel says malicious.`);
    } else if (injection) {
      notes.push('Benign-looking, but the alert text tries to instruct the classifier: kept for review.');
    } else if (highSev && !decisive) {
      notes.push(`Benign-leaning evidence is not strong enough to close a ${stated} alert.`);
    } else {
      const open = scored.find((e) => e.keepOpen && e.effective > 0);
      if (open) notes.push(`Benign-leaning, but ${open.keepOpen}: kept for review.`);
    }
    if (notes.length) {
      classification = 'NEEDS_REVIEW';
      decisive = false;
    }
  }

  const confidence = notes.length
    ? 60
    : Math.min(
        calibrate(classification, score, scored, ctx.enrichment.partial),
        ceilingFor(classification, score, scored, s),
      );
  const severity = severityFor(ctx, classification, score, scored);
  const positive = scored.filter((e) => e.effective > 0);
  const leaning =
    positive.find((e) => !e.prior && e.effective >= THREAT_LEANING_WEIGHT) ??
    (score >= s.tpThreshold ? positive[0] : undefined);
  const mitre = [...new Set(scored.filter((e) => e.effective > 0).flatMap((e) => e.mitre ?? []))];
  return {
    score,
    classification,
    confidence,
    severity,
    title: titleFor(ctx, classification, scored),
    reasons: reasonsFor(ctx, classification, score, scored, notes, severity, decisive, gated.ignored),
    mitre,
    decisive,
    evidence: scored,
    malicious,
    flaggedIntel: flaggedIntel(ctx.enrichment.intel),
    ...(leaning ? { threatLeaning: leaning } : {}),
    flags,
    ignored: gated.ignored,
  };
}

/** Observed evidence of this weight leans toward a threat on its own (a LOLBin use, an encoded command). */
const THREAT_LEANING_WEIGHT = 2;

/**
 * Drops priors that an item explains away: once a web-attack signature is shown to have matched
 * the server's response, its classtype, severity and name no longer support an attack.
 */
function explainAway(evidence: Evidence[]): Evidence[] {
  const explainers = evidence.filter((e) => e.explainsAway?.length);
  if (explainers.length === 0) return evidence;
  return evidence.filter(
    (e) =>
      !(
        e.prior &&
        explainers.some(
          (x) =>
            x !== e &&
            Math.sign(x.weight) !== Math.sign(e.weight) &&
            x.explainsAway!.includes(e.group ?? e.id),
        )
      ),
  );
}

/**
 * The lowest `maxConfidence` among items the verdict rests on: those without which the score
 * would no longer reach the verdict's threshold. A capped item beside decisive other evidence
 * does not drag the confidence down.
 */
function ceilingFor(c: Classification, score: number, scored: ScoredEvidence[], s: RulesSettings): number {
  if (c === 'NEEDS_REVIEW') return 99;
  const dir = c === 'TRUE_POSITIVE' ? 1 : -1;
  const capped = scored.filter((e) => e.maxConfidence !== undefined && Math.sign(e.effective) === dir);
  if (capped.length === 0) return 99;
  const without = score - capped.reduce((sum, e) => sum + e.effective, 0);
  const stands = dir === 1 ? without >= s.tpThreshold : without <= s.fpThreshold;
  return stands ? 99 : Math.min(...capped.map((e) => e.maxConfidence!));
}

function titleFor(ctx: RuleContext, c: Classification, scored: ScoredEvidence[]): string {
  const name = ctx.alert.name;
  const top = scored.find((e) => e.effective > 0 && e.title);
  let t: string;
  if (c === 'TRUE_POSITIVE' && top?.title) {
    t =
      top.title.toLowerCase() === name.toLowerCase() || name.length > 60
        ? top.title
        : `${top.title} (${name})`;
  } else if (c === 'FALSE_POSITIVE') {
    t = `Benign: ${name}`;
  } else {
    t = top?.title && top.title !== name ? `${top.title} — review (${name})` : `Review: ${name}`;
  }
  return t.length > 160 ? `${t.slice(0, 159)}…` : t;
}

function reasonsFor(
  ctx: RuleContext,
  c: Classification,
  score: number,
  scored: ScoredEvidence[],
  notes: string[],
  severity: Severity,
  decisive: boolean,
  ignored: readonly IgnoredEvidence[],
): string[] {
  const dir = c === 'TRUE_POSITIVE' ? 1 : c === 'FALSE_POSITIVE' ? -1 : 0;
  const ordered =
    dir === 0
      ? scored
      : [
          ...scored.filter((e) => Math.sign(e.effective) === dir),
          ...scored.filter((e) => Math.sign(e.effective) !== dir),
        ];
  const body = [...notes, ...ordered.slice(0, 4).map((e) => e.reason)].slice(0, 4);
  if (severity !== ctx.alert.severity) {
    const how = rank(severity) < rank(ctx.alert.severity) ? 'raised' : 'lowered';
    body.splice(
      Math.min(body.length, 3),
      body.length >= 4 ? 1 : 0,
      `Severity ${how} from ${ctx.alert.severity} to ${severity} by the evidence above.`,
    );
  }
  // Benign-looking content that did not count is worth an analyst's glance (steering attempts).
  const set = [...ignored].sort((a, b) => a.weight - b.weight)[0];
  if (set && body.length < 4) {
    body.push(
      `Not counted: ${set.reason.replace(/\.$/, '')}, because it rests on event content an attacker can write (${set.untrusted.join(', ') || 'no stated basis'}).`,
    );
  }
  const fillers = [
    Object.keys(ctx.enrichment.intel).length === 0
      ? 'No threat-intelligence verdict is available for the alert’s observables.'
      : 'Threat intelligence for the alert’s observables shows nothing notable.',
    'No other evidence for or against a threat was found in the alert fields.',
  ];
  for (const f of fillers) if (body.length < 2) body.push(f);
  const sign = score > 0 ? '+' : '';
  body.push(
    `Rules score ${sign}${score} (TRUE_POSITIVE at ≥ ${ctx.settings.tpThreshold}, FALSE_POSITIVE at ≤ ${ctx.settings.fpThreshold})${decisive ? ': decisive' : ''}.`,
  );
  return body;
}
