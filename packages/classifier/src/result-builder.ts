import type { Enrichment, NormalizedAlert, ResultFlag, TriageResult } from '@triage/contracts';
import { formatUsd, type Usage, ZERO_USAGE } from './cost.ts';
import type { LlmVerdict } from './gemini/verdict.schema.ts';
import type { GuardedVerdict } from './guardrails.ts';
import { resolveMitre } from './mitre.ts';
import type { RulesVerdict } from './rules/rules-engine.ts';

type ProviderAnswer = Enrichment['intel'][string]['providers'][string];

/** One provider's answer as shown to people and to the model: its verdict and normalized fields. */
export function providerFields(r: ProviderAnswer): Record<string, unknown> {
  return { verdict: r.verdict, ...(r.abuseipdb ?? {}), ...(r.virustotal ?? {}), ...(r.offline ?? {}) };
}

/** value → provider → that provider's normalized fields plus its verdict (docs/api.md). */
export function threatIntelView(enrichment: Enrichment): TriageResult['threat_intel'] {
  const out: TriageResult['threat_intel'] = {};
  for (const [value, entry] of Object.entries(enrichment.intel)) {
    const providers: Record<string, Record<string, unknown>> = {};
    for (const [name, r] of Object.entries(entry.providers)) {
      providers[name] = {
        ...providerFields(r),
        ...(r.not_found ? { not_found: true } : {}),
        checked_at: r.checked_at,
      };
    }
    out[value] = providers;
  }
  return out;
}

export function performance(startedMs: number, usage: Usage = ZERO_USAGE, usd = 0, fromCache = false) {
  return {
    processing_time: Math.round((Date.now() - startedMs) * 1000) / 1e6,
    from_cache: fromCache,
    cost: formatUsd(usd),
    cost_usd: Math.round(usd * 1e8) / 1e8,
    tokens: {
      input: usage.input,
      output: usage.output,
      ...(usage.thinking ? { thinking: usage.thinking } : {}),
    },
  };
}

const uniq = (flags: ResultFlag[]) => [...new Set(flags)];

/** Model text shown to analysts: single line, no control characters, bounded. */
function clean(s: string, max: number): string {
  const t = s
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

export interface BuildContext {
  alert: NormalizedAlert;
  enrichment: Enrichment;
  rules: RulesVerdict;
  baseFlags: ResultFlag[];
  startedMs: number;
}

/** The rules' own verdict, optionally downgraded to NEEDS_REVIEW with a note (LLM unavailable). */
export function rulesResult(
  b: BuildContext,
  opts: { forceReview?: string; flags?: ResultFlag[]; usage?: Usage; usd?: number } = {},
): TriageResult {
  const r = b.rules;
  const review = opts.forceReview !== undefined && r.classification !== 'NEEDS_REVIEW';
  const reasoning = opts.forceReview ? [opts.forceReview, ...r.reasons].slice(0, 5) : r.reasons;
  return {
    classification: review ? 'NEEDS_REVIEW' : r.classification,
    confidence: review ? Math.min(r.confidence, 60) : r.confidence,
    severity: r.severity,
    title:
      review && r.classification === 'FALSE_POSITIVE' ? `Review: ${b.alert.name}`.slice(0, 160) : r.title,
    reasoning,
    mitre: resolveMitre([...(b.alert.mitre ?? []), ...r.mitre]),
    threat_intel: threatIntelView(b.enrichment),
    decided_by: 'rules',
    flags: uniq([...b.baseFlags, ...r.flags, ...(opts.flags ?? [])]),
    performance: performance(b.startedMs, opts.usage, opts.usd),
  };
}

/** A verdict the LLM made, after the guardrails. */
export function llmResult(
  b: BuildContext,
  llm: LlmVerdict,
  guarded: GuardedVerdict,
  usage: Usage,
  usd: number,
): TriageResult {
  const reasons = [...guarded.notes, ...llm.reasoning.map((r) => clean(r, 400))].filter((r) => r.length > 0);
  for (const r of b.rules.reasons) {
    if (reasons.length >= 3) break;
    reasons.push(r);
  }
  const flags: ResultFlag[] = [...b.baseFlags, ...guarded.flags];
  if (llm.injection_detected) flags.push('injection_suspected');
  return {
    classification: guarded.classification,
    confidence: Math.max(0, Math.min(100, Math.round(guarded.confidence))),
    severity: guarded.severity,
    title: guarded.notes.length
      ? `Review: ${b.alert.name}`.slice(0, 160)
      : clean(llm.title, 160) || b.rules.title,
    reasoning: reasons.slice(0, 5),
    mitre: resolveMitre([...(b.alert.mitre ?? []), ...b.rules.mitre, ...llm.mitre]),
    threat_intel: threatIntelView(b.enrichment),
    decided_by: 'llm',
    flags: uniq(flags),
    performance: performance(b.startedMs, usage, usd),
  };
}

/**
 * A cached verdict served again: decided_by "cache", no cost. Flags that depend on this delivery
 * (partial intel, injection in this copy) are recomputed; an injection in this copy can only move
 * a cached FALSE_POSITIVE to NEEDS_REVIEW, never the other way.
 */
export function fromCache(
  cached: TriageResult,
  b: Omit<BuildContext, 'rules'>,
  injection: boolean,
): TriageResult {
  const flags = cached.flags.filter((f) => f !== 'partial_intel');
  let { classification, confidence, reasoning } = cached;
  if (injection && classification === 'FALSE_POSITIVE') {
    classification = 'NEEDS_REVIEW';
    confidence = 60;
    reasoning = [
      'This copy of the alert contains instructions aimed at the classifier: kept for review.',
      ...reasoning,
    ].slice(0, 5);
  }
  return {
    ...cached,
    classification,
    confidence,
    reasoning,
    decided_by: 'cache',
    flags: uniq([...flags, ...b.baseFlags]),
    performance: performance(b.startedMs, ZERO_USAGE, 0, true),
  };
}
