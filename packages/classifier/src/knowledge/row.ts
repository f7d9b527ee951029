import { type AlertSignals, type Severity, signalOrigin } from '@triage/contracts';
import { type LinearPattern, PatternSet } from '../linear.ts';
import { type Evidence, quote } from '../rules/evidence.ts';
import { MAX_SCRIPT } from '../rules/powershell.ts';

/**
 * The one shape of endpoint knowledge (process lineage, LOLBins, locations, persistence,
 * credential access, discovery, OS maintenance, AV results) and the one matcher that reads it.
 *
 * A row names the signals it reads (AlertSignals paths such as `process.image`, or `decoded`: the
 * decoded and de-obfuscated forms of the alert's scripts and command lines, see script-decode.ts),
 * a pattern tested on their lower-cased values, optional further conditions (`also`: all must
 * hold, `unless`: any cancels the row), the weight it adds, the ATT&CK techniques and why.
 *
 * Provenance: a benign-leaning row (weight < 0) stands only when every signal it matched on is
 * metadata (`signalOrigin`, what the sensor or SIEM measured); its evidence names those paths as
 * `basis`. A benign row whose basis would include content is not emitted at all. `unless`
 * conditions may read content: content can cancel a benign row, never create one.
 */

/** A signal path (`process.image`, `detection.level`) or `decoded` (decoded scripts, content). */
export type SignalPath = string;

export interface Condition {
  /** Signals tested; the condition holds when the pattern matches any of them. */
  in: readonly SignalPath[];
  re: LinearPattern;
}

export interface KnowledgeRow {
  /** Evidence id. */
  id: string;
  title: string;
  /** Signals the pattern is tested on: the row holds when it matches any of them. */
  signals: readonly SignalPath[];
  pattern: LinearPattern;
  /** Further conditions that must all hold (the parent of a lineage row). */
  also?: readonly Condition[];
  /** Conditions any of which cancels the row (the home directory of a masquerading name). */
  unless?: readonly Condition[];
  /** > 0 toward a threat, < 0 toward benign (metadata only). */
  weight: number;
  mitre?: readonly string[];
  /** Why the row holds, for the analyst: general knowledge, one sentence. */
  why: string;
  /** Rows describing one fact share a group (damped, see rules-engine scoreEvidence). */
  group?: string;
  /** A claim about the detection in general rather than something observed in this event. */
  prior?: boolean;
  floor?: Severity;
  keepOpen?: string;
  recon?: boolean;
  /** Groups of priors this row explains away (a servicing binary explains a "file changed" claim). */
  explainsAway?: readonly string[];
}

/** The decoded forms of scripts and command lines: content, like the text they came from. */
export const DECODED = 'decoded';

/**
 * Lower-cased values of the signals, read once per alert. Wazuh eventchannel doubles backslashes
 * (`c:\\\\windows`); a value written that way is folded back so one pattern fits every source.
 */
export class SignalView {
  private readonly cache = new Map<string, string[]>();
  readonly signals: AlertSignals | undefined;
  private readonly extra: ReadonlyMap<string, readonly string[]>;
  constructor(signals: AlertSignals | undefined, extra: ReadonlyMap<string, readonly string[]> = new Map()) {
    this.signals = signals;
    this.extra = extra;
  }

  values(path: SignalPath): string[] {
    const hit = this.cache.get(path);
    if (hit) return hit;
    const raw = this.extra.has(path) ? [...this.extra.get(path)!] : readPath(this.signals, path);
    const out = raw.map(fold).filter((v) => v !== '');
    this.cache.set(path, out);
    return out;
  }

  /** Metadata per the normalizer's provenance record; `decoded` and unknown paths are content. */
  isMetadata(path: SignalPath): boolean {
    return path !== DECODED && signalOrigin(this.signals, path) === 'metadata';
  }
}

/**
 * Longest value the tables read: nothing a process runs is longer (MAX_SCRIPT, rules/powershell.ts),
 * and it bounds the work of one alert.
 */
const MAX_VALUE = MAX_SCRIPT;

function fold(v: string): string {
  const lc = (v.length > MAX_VALUE ? v.slice(0, MAX_VALUE) : v).toLowerCase();
  return lc.includes(':\\\\') ? lc.split('\\\\').join('\\') : lc;
}

function readPath(signals: AlertSignals | undefined, path: string): string[] {
  const dot = path.indexOf('.');
  if (!signals || dot < 0) return [];
  const section = (signals as Record<string, unknown>)[path.slice(0, dot)];
  if (typeof section !== 'object' || section === null) return [];
  const v = (section as Record<string, unknown>)[path.slice(dot + 1)];
  return flatten(v);
}

function flatten(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (typeof v === 'number' || typeof v === 'boolean') return [String(v)];
  if (Array.isArray(v)) return v.flatMap((x) => (typeof x === 'object' && x !== null ? [] : flatten(x)));
  // `detection.level` is `{scale, value}`: read as `scale:value` (`wazuh:12`, `sigma:high`).
  if (typeof v === 'object' && v !== null && 'scale' in v && 'value' in v)
    return [`${String((v as { scale: unknown }).scale)}:${String((v as { value: unknown }).value)}`];
  return [];
}

const CHUNK = 8;

interface Hit {
  path: SignalPath;
  value: string;
}

function firstHit(view: SignalView, c: Condition): Hit | undefined {
  for (const path of c.in) {
    for (const value of view.values(path)) if (c.re.test(value)) return { path, value };
  }
  return undefined;
}

/**
 * A compiled table: rows indexed by the signals they read, each signal's patterns tested as one
 * RE2 union first (PatternSet), so a table costs about one pass per signal value.
 */
export class KnowledgeTable {
  readonly rows: readonly KnowledgeRow[];
  /** Per signal: its rows in chunks, each chunk's patterns tested as one RE2 union first. */
  private readonly byPath = new Map<SignalPath, Array<{ rows: number[]; set: PatternSet }>>();

  constructor(rows: readonly KnowledgeRow[]) {
    this.rows = rows;
    const paths = new Map<SignalPath, number[]>();
    rows.forEach((r, i) => {
      for (const p of r.signals) paths.set(p, [...(paths.get(p) ?? []), i]);
    });
    // Chunks of CHUNK rows: a value that matches one row costs a union per chunk plus the members
    // of one chunk, not a test of every row of the signal.
    for (const [p, idx] of paths) {
      const chunks: Array<{ rows: number[]; set: PatternSet }> = [];
      for (let k = 0; k < idx.length; k += CHUNK) {
        const part = idx.slice(k, k + CHUNK);
        chunks.push({ rows: part, set: new PatternSet(part.map((i) => rows[i]!.pattern)) });
      }
      this.byPath.set(p, chunks);
    }
  }

  /** Evidence of every row that holds for the alert, at most one item per row. */
  match(view: SignalView): Evidence[] {
    const primary = new Map<number, Hit>();
    for (const [path, chunks] of this.byPath) {
      for (const value of view.values(path)) {
        for (const { rows, set } of chunks) {
          for (const k of set.matching(value)) {
            const i = rows[k]!;
            if (!primary.has(i)) primary.set(i, { path, value });
          }
        }
      }
    }
    const out: Evidence[] = [];
    for (const [i, hit] of [...primary].sort((a, b) => a[0] - b[0])) {
      const e = evaluate(this.rows[i]!, hit, view);
      if (e) out.push(e);
    }
    return out;
  }
}

function evaluate(row: KnowledgeRow, hit: Hit, view: SignalView): Evidence | undefined {
  const hits = [hit];
  for (const c of row.also ?? []) {
    const h = firstHit(view, c);
    if (!h) return undefined;
    hits.push(h);
  }
  if ((row.unless ?? []).some((c) => firstHit(view, c))) return undefined;
  const basis = [...new Set(hits.map((h) => h.path))];
  // Benign knowledge rests on metadata only: a row that matched content says nothing benign.
  if (row.weight < 0 && !basis.every((p) => view.isMetadata(p))) return undefined;
  const shown = hits
    .map((h) => `${h.path === DECODED ? 'decoded script' : h.path} \`${quote(h.value, 70)}\``)
    .join(', ');
  return {
    id: row.id,
    weight: row.weight,
    title: row.title,
    group: row.group ?? row.id,
    reason: `${row.title} (${shown}): ${row.why}.`,
    basis,
    ...(row.mitre?.length ? { mitre: [...row.mitre] } : {}),
    ...(row.prior ? { prior: true } : {}),
    ...(row.floor ? { severityFloor: row.floor } : {}),
    ...(row.keepOpen ? { keepOpen: row.keepOpen } : {}),
    ...(row.recon ? { recon: true } : {}),
    ...(row.explainsAway?.length ? { explainsAway: [...row.explainsAway] } : {}),
  };
}
