/**
 * Scoring of an evaluation run: what a SOC cares about first is recall (true threats not closed),
 * then how much noise still reaches analysts, then how much lands in NEEDS_REVIEW.
 * Pure functions: no I/O, unit-tested.
 */

export type Truth = 'threat' | 'benign' | 'review';
export type Outcome = 'TRUE_POSITIVE' | 'FALSE_POSITIVE' | 'NEEDS_REVIEW' | 'failed' | 'missing';
export const OUTCOMES: readonly Outcome[] = [
  'TRUE_POSITIVE',
  'FALSE_POSITIVE',
  'NEEDS_REVIEW',
  'failed',
  'missing',
];

export interface EvalRow {
  /** Position of the alert in the input (0-based). */
  index: number;
  /** The set the alert belongs to (a file, or a labelled part of one). */
  set?: string;
  /** The label as written in the label file. */
  label?: string;
  truth?: Truth;
  outcome: Outcome;
  confidence?: number;
  title?: string;
}

export interface Miss {
  index: number;
  label?: string;
  confidence: number;
  title: string;
}

export interface EvalReport {
  total: number;
  /** Rows with a label and a verdict. */
  scored: number;
  threats: number;
  benign: number;
  /** Share of true threats NOT closed as FALSE_POSITIVE (TRUE_POSITIVE or NEEDS_REVIEW). */
  recall: number | null;
  /** Share of false alarms still sent to analysts (TRUE_POSITIVE or NEEDS_REVIEW). */
  falsePositiveRate: number | null;
  /** Share of all verdicts that are NEEDS_REVIEW. */
  needsReviewShare: number | null;
  /** Share of true threats called TRUE_POSITIVE outright. */
  threatDetectionRate: number | null;
  /** label (truth, or "unlabelled") → outcome → count. */
  matrix: Record<string, Record<Outcome, number>>;
  /** True threats closed as FALSE_POSITIVE, most confident first. */
  worstMisses: Miss[];
}

const VERDICTS = new Set<Outcome>(['TRUE_POSITIVE', 'FALSE_POSITIVE', 'NEEDS_REVIEW']);

/** Maps the label vocabularies of the bundled datasets (see each fixture's SOURCE.md) to a truth. */
export function normalizeLabel(raw: unknown): Truth | undefined {
  if (raw === undefined || raw === null) return undefined;
  const s = String(raw)
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  if (!s) return undefined;
  if (
    [
      'tp',
      'true_positive',
      'true',
      '1',
      'yes',
      'malicious',
      'attack',
      'attack_window',
      'threat',
      'suspicious',
      'incident',
    ].includes(s)
  )
    return 'threat';
  if (
    [
      'fp',
      'false_positive',
      'false',
      '0',
      'no',
      'benign',
      'no_attack',
      'noise',
      'normal',
      '_',
      'benignpositive',
      'benign_positive',
      'falsepositive',
    ].includes(s)
  )
    return 'benign';
  if (['needs_review', 'review', 'nr', 'unknown', 'undetermined'].includes(s)) return 'review';
  if (s === 'truepositive') return 'threat';
  return undefined;
}

const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

export function scoreEval(rows: readonly EvalRow[], opts: { worst?: number } = {}): EvalReport {
  const matrix: Record<string, Record<Outcome, number>> = {};
  let threats = 0;
  let threatsKept = 0;
  let threatsTp = 0;
  let benign = 0;
  let benignEscalated = 0;
  let verdicts = 0;
  let review = 0;
  let scored = 0;
  const misses: Miss[] = [];
  for (const r of rows) {
    const key = r.truth ?? 'unlabelled';
    matrix[key] ??= Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
    matrix[key][r.outcome] += 1;
    if (!VERDICTS.has(r.outcome)) continue;
    verdicts += 1;
    if (r.outcome === 'NEEDS_REVIEW') review += 1;
    if (!r.truth || r.truth === 'review') continue;
    scored += 1;
    if (r.truth === 'threat') {
      threats += 1;
      if (r.outcome !== 'FALSE_POSITIVE') threatsKept += 1;
      if (r.outcome === 'TRUE_POSITIVE') threatsTp += 1;
      else if (r.outcome === 'FALSE_POSITIVE') {
        misses.push({ index: r.index, label: r.label, confidence: r.confidence ?? 0, title: r.title ?? '' });
      }
    } else {
      benign += 1;
      if (r.outcome !== 'FALSE_POSITIVE') benignEscalated += 1;
    }
  }
  misses.sort((a, b) => b.confidence - a.confidence || a.index - b.index);
  return {
    total: rows.length,
    scored,
    threats,
    benign,
    recall: ratio(threatsKept, threats),
    falsePositiveRate: ratio(benignEscalated, benign),
    needsReviewShare: ratio(review, verdicts),
    threatDetectionRate: ratio(threatsTp, threats),
    matrix,
    worstMisses: misses.slice(0, opts.worst ?? 10),
  };
}

const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);

/** The confusion table as printed by `pnpm eval`. */
export function formatReport(r: EvalReport): string {
  const lines: string[] = [];
  lines.push(
    `alerts: ${r.total}   scored (labelled, with a verdict): ${r.scored}   threats: ${r.threats}   benign: ${r.benign}`,
  );
  lines.push('');
  lines.push(`recall (threats not closed as FALSE_POSITIVE):        ${pct(r.recall)}`);
  lines.push(`false-positive rate (benign still sent to analysts):  ${pct(r.falsePositiveRate)}`);
  lines.push(`NEEDS_REVIEW share (of all verdicts):                 ${pct(r.needsReviewShare)}`);
  lines.push(`threats called TRUE_POSITIVE outright:                ${pct(r.threatDetectionRate)}`);
  lines.push('');
  const cols = ['label \\ verdict', 'TRUE_POSITIVE', 'FALSE_POSITIVE', 'NEEDS_REVIEW', 'failed', 'missing'];
  const widths = cols.map((c) => Math.max(c.length, 6));
  const row = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  lines.push(row(cols));
  for (const key of ['threat', 'benign', 'review', 'unlabelled']) {
    const m = r.matrix[key];
    if (!m) continue;
    lines.push(row([key, ...OUTCOMES.map((o) => String(m[o]))]));
  }
  lines.push('');
  if (r.worstMisses.length === 0) {
    lines.push('worst misses: none (no labelled threat was closed as FALSE_POSITIVE)');
  } else {
    lines.push('worst misses (threats closed as FALSE_POSITIVE, most confident first):');
    for (const m of r.worstMisses) {
      lines.push(`  #${m.index}  confidence ${m.confidence}  [${m.label ?? 'threat'}]  ${m.title}`);
    }
  }
  return lines.join('\n');
}

/** One report per set, in the order the sets first appear. */
export function scoreSets(rows: readonly EvalRow[]): Array<{ set: string; report: EvalReport }> {
  const bySet = new Map<string, EvalRow[]>();
  for (const r of rows) {
    const key = r.set ?? 'all';
    const list = bySet.get(key);
    if (list) list.push(r);
    else bySet.set(key, [r]);
  }
  return [...bySet].map(([set, list]) => ({ set, report: scoreEval(list) }));
}

/** Each set's report under its name, then the whole run. */
export function formatSets(rows: readonly EvalRow[]): string {
  const parts = scoreSets(rows).map((s) => `== ${s.set} ==\n${formatReport(s.report)}`);
  return [...parts, `== all sets ==\n${formatReport(scoreEval(rows))}`].join('\n\n');
}
