import type { Enrichment, ThreatProfile, TriageResult } from '@triage/contracts';

/** Flags that are threat evidence in themselves (text aimed at the classifier, intel against benign rules). */
const THREAT_FLAGS = new Set(['injection_suspected', 'intel_conflict']);
const RANK = { malicious: 2, suspicious: 1, harmless: 0, unknown: 0 } as const;

/**
 * The threat evidence of one verdict, as memory compares it: the ATT&CK techniques the evidence
 * points at, threat flags, and intel rated suspicious or malicious. `result` is the verdict made
 * without memory.
 */
export function threatProfile(result: TriageResult, enrichment: Enrichment): ThreatProfile {
  const signals = [
    ...new Set([
      ...result.mitre.map((m) => m.id),
      ...result.flags.filter((f) => THREAT_FLAGS.has(f)).map((f) => `flag:${f}`),
    ]),
  ].sort();
  const intel: string[] = [];
  for (const [value, entry] of Object.entries(enrichment.intel)) {
    let worst = 0;
    for (const p of Object.values(entry.providers)) worst = Math.max(worst, RANK[p.verdict] ?? 0);
    if (worst > 0) intel.push(`${value}=${worst === 2 ? 'malicious' : 'suspicious'}`);
  }
  return {
    signals: signals.slice(0, 200),
    intel: intel.sort().slice(0, 200),
    classification: result.classification,
  };
}

/**
 * What `current` carries that `judged` (the alert an analyst marked FALSE_POSITIVE) did not:
 * each item breaks the suppression. Malicious intel always does, even when the judged alert had
 * it too: a person may call a blocklisted address routine once, memory never repeats that alone.
 */
export function newThreatEvidence(current: ThreatProfile, judged: ThreatProfile): string[] {
  const out: string[] = [];
  for (const i of current.intel) {
    if (i.endsWith('=malicious') || !judged.intel.includes(i)) out.push(`intel: ${i.replace('=', ' is ')}`);
  }
  for (const s of current.signals) if (!judged.signals.includes(s)) out.push(`signal: ${s}`);
  if (current.classification === 'TRUE_POSITIVE' && judged.classification !== 'TRUE_POSITIVE') {
    out.push('verdict: the rules call this alert TRUE_POSITIVE, the judged one they did not');
  }
  return out;
}
