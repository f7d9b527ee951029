import { type AlertSignals, signalOrigin } from '@triage/contracts';
import type { Evidence } from './evidence.ts';

/**
 * The provenance gate: the one place that decides whether benign-leaning evidence may count.
 *
 * An alert is partly written by the attacker (command lines, URLs, messages, log lines), so a word
 * such as "eicar", "windows update" or a SIEM-looking fragment inside it must never lower the
 * score. Evidence with weight < 0 counts only when every entry of its `basis` is a signal the
 * normalizer recorded as metadata (signals.schema.ts `signalOrigin`) or a source outside the alert
 * (`intel`, `memory`, `config`). No basis, or one content path, and the item is ignored: kept in
 * `ignored` with the paths that failed, so analysts and tests can see what was set aside and why.
 * Threat-leaning evidence is never gated: content may raise suspicion.
 */

/** Sources outside the alert: nothing an attacker writes into an event reaches them. */
export const OUTSIDE_SOURCES: ReadonlySet<string> = new Set(['intel', 'memory', 'config']);

export interface IgnoredEvidence {
  id: string;
  weight: number;
  reason: string;
  /** The basis entries that are not metadata (`[]` when the item named no basis at all). */
  untrusted: string[];
}

/** Basis entries an attacker could have shaped (content or unknown signal paths). */
export function untrustedBasis(basis: readonly string[], signals: AlertSignals | undefined): string[] {
  return basis.filter((b) => !OUTSIDE_SOURCES.has(b) && signalOrigin(signals, b) !== 'metadata');
}

export function gateBenign(
  evidence: readonly Evidence[],
  signals: AlertSignals | undefined,
): { kept: Evidence[]; ignored: IgnoredEvidence[] } {
  const kept: Evidence[] = [];
  const ignored: IgnoredEvidence[] = [];
  for (const e of evidence) {
    if (e.weight >= 0) {
      kept.push(e);
      continue;
    }
    const untrusted = e.basis?.length ? untrustedBasis(e.basis, signals) : [];
    if (e.basis?.length && untrusted.length === 0) kept.push(e);
    else ignored.push({ id: e.id, weight: e.weight, reason: e.reason, untrusted });
  }
  return { kept, ignored };
}

/**
 * The signal path holding `value` (an IP, hash, domain or URL seen as an observable), metadata
 * paths first; `text` (content) when no signal holds it: the value was found in free text.
 */
export function signalPathOf(signals: AlertSignals | undefined, value: string): string {
  if (!signals) return 'text';
  const v = value.toLowerCase();
  let found: string | undefined;
  for (const [section, fields] of Object.entries(signals)) {
    if (section === 'provenance' || section === 'text' || typeof fields !== 'object' || fields === null)
      continue;
    for (const [field, x] of Object.entries(fields as Record<string, unknown>)) {
      const hit =
        (typeof x === 'string' && x.toLowerCase() === v) ||
        (Array.isArray(x) &&
          x.some(
            (h) =>
              (typeof h === 'string' && h.toLowerCase() === v) ||
              (typeof h === 'object' &&
                h !== null &&
                String((h as { value?: unknown }).value).toLowerCase() === v),
          ));
      if (!hit) continue;
      const path = `${section}.${field}`;
      if (signalOrigin(signals, path) === 'metadata') return path;
      found ??= path;
    }
  }
  return found ?? 'text';
}

/** The value at a signal path (`detection.rule_name_template`), as a string when it is one. */
export function signalValue(signals: AlertSignals | undefined, path: string): unknown {
  const [section, field] = path.split('.') as [string, string | undefined];
  const sec = (signals as Record<string, unknown> | undefined)?.[section];
  return field && typeof sec === 'object' && sec !== null
    ? (sec as Record<string, unknown>)[field]
    : undefined;
}

/**
 * Where a benign pattern is found: the first of `sources` ([basis, text]) whose text it matches,
 * metadata sources first so that a match in trusted text wins over the same words in content.
 * A content match is returned too, with its content basis, so the gate records it as ignored.
 */
export function findBenign<M>(
  signals: AlertSignals | undefined,
  sources: ReadonlyArray<readonly [basis: string, text: string | undefined]>,
  match: (text: string) => M | undefined,
): { match: M; basis: string[] } | undefined {
  const ordered = [
    ...sources.filter(([b]) => untrustedBasis([b], signals).length === 0),
    ...sources.filter(([b]) => untrustedBasis([b], signals).length > 0),
  ];
  for (const [basis, text] of ordered) {
    if (!text) continue;
    const m = match(text);
    if (m !== undefined) return { match: m, basis: [basis] };
  }
  return undefined;
}

/** The string at `path` when the normalizer recorded it as metadata; otherwise undefined. */
export function trusted(signals: AlertSignals | undefined, path: string): string | undefined {
  const v = signalValue(signals, path);
  return typeof v === 'string' && signalOrigin(signals, path) === 'metadata' ? v : undefined;
}

/** The rule name with interpolated event values masked, when a normalizer vouched for it. */
export function metadataTemplate(signals: AlertSignals | undefined): string | undefined {
  return trusted(signals, 'detection.rule_name_template');
}

/**
 * `path` when the signal there holds `value` (what the rule actually read), else `text`: a value
 * the rule found elsewhere (a fast.log fragment in a message, a number in a log line) is content.
 */
export function basisFor(signals: AlertSignals | undefined, path: string, value: unknown): string {
  const v = signalValue(signals, path);
  const norm = (x: unknown) => (typeof x === 'string' ? x.trim().toLowerCase() : x);
  const level = (x: unknown) => (typeof x === 'object' && x !== null && 'value' in x ? x.value : x);
  const same = norm(level(v)) === norm(value) || String(level(v)) === String(value);
  return v !== undefined && same ? path : 'text';
}
