import { basename } from 'node:path';
import { normalizeLabel, type Truth } from './eval-score.ts';
import { hayabusaItems, windowsItem } from './eval-windows.ts';

/**
 * Reading evaluation inputs: alerts as a JSON array, `{"alerts": [...]}`, NDJSON, wrapper
 * objects that carry their label inline (`{alert, author_label}` of the AIT-ADS n-shot file,
 * `{name, alert, expected}` of the original service's samples), or flat rows with a label key
 * (`event_label` of AIT-ADS, `label`, `ground_truth`...); labels as CSV.
 */

export interface EvalItem {
  /** What is posted to the pipeline (ground-truth keys removed). */
  payload: unknown;
  /** Label found next to the alert, if any. */
  inlineLabel?: string;
  /** What the inline label means, when its key defines the vocabulary (`event_label`). */
  inlineTruth?: Truth;
  /** Source file name and 1-based line/position, to match `file,line_no` label files. */
  file: string;
  line: number;
  /** The set the alert is reported in (default: its file); eval prints one report per set. */
  set?: string;
}

/** Keys of a wrapper object (`{alert, author_label}`) that carry the label next to the alert. */
const WRAPPER_LABEL_KEYS = ['author_label', 'expected', 'label', 'ground_truth'];

/**
 * Keys of a flat labelled row (`{name, ip, ..., event_label}`), most specific first. `verdict`
 * keys hold TP/FP-style words (normalizeLabel); `attack_step` keys name the attack step the alert
 * belongs to, with "-" (or an empty/none/benign word) for noise, as in AIT-ADS `event_label`.
 * `time_label` is deliberately absent: it labels a time window, not the alert (SOURCE.md).
 */
const ROW_LABEL_KEYS: ReadonlyArray<{ key: string; kind: 'verdict' | 'attack_step' }> = [
  { key: 'ground_truth', kind: 'verdict' },
  { key: 'author_label', kind: 'verdict' },
  { key: 'event_label', kind: 'attack_step' },
  { key: 'expected', kind: 'verdict' },
  { key: 'label', kind: 'verdict' },
];

/**
 * Ground truth and its by-products, never posted: a label inside the alert could reach the
 * classifier (and an LLM prompt) and turn the evaluation into reading the answer key.
 */
const GROUND_TRUTH_KEYS = new Set([
  'ground_truth',
  'ground_truth_note',
  'author_label',
  'author_expected_output_text',
  'event_label',
  'hierarchical_event_label',
  'time_label',
]);

const NOISE_STEP = new Set(['_', 'none', 'fp', 'noise', 'benign', 'normal', 'false_positive', 'no_attack']);

/** An attack-step label: "-" (or a word for "none") is noise, any named step is a threat. */
export function attackStepTruth(value: string): Truth | undefined {
  const s = value
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  if (s === '') return undefined;
  return NOISE_STEP.has(s) ? 'benign' : 'threat';
}

function fromRow(o: Record<string, unknown>, file: string, line: number): EvalItem {
  let found: { key: string; label: string; truth: Truth } | undefined;
  for (const { key, kind } of ROW_LABEL_KEYS) {
    const v = o[key];
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') continue;
    const label = String(v);
    const truth = kind === 'attack_step' ? attackStepTruth(label) : normalizeLabel(label);
    if (truth) {
      found = { key, label, truth };
      break;
    }
  }
  if (!found) return { payload: stripGroundTruth(o), file, line };
  const payload = stripGroundTruth(o, found.key);
  return { payload, inlineLabel: found.label, inlineTruth: found.truth, file, line };
}

/** The row without ground-truth keys (and without the key the label was read from). */
function stripGroundTruth(o: Record<string, unknown>, labelKey?: string): Record<string, unknown> {
  if (!Object.keys(o).some((k) => k === labelKey || GROUND_TRUTH_KEYS.has(k))) return o;
  return Object.fromEntries(Object.entries(o).filter(([k]) => k !== labelKey && !GROUND_TRUTH_KEYS.has(k)));
}

function unwrap(item: unknown, file: string, line: number): EvalItem {
  const windows = windowsItem(item, file, line);
  if (windows) return windows;
  if (item && typeof item === 'object' && !Array.isArray(item)) {
    const o = item as Record<string, unknown>;
    const labelKey = WRAPPER_LABEL_KEYS.find((k) => typeof o[k] === 'string');
    if (labelKey && o.alert && typeof o.alert === 'object') {
      // `{name, alert}` is the original service's own envelope: keep it; other wrappers post the alert.
      const alert = stripGroundTruth(o.alert as Record<string, unknown>);
      const payload = typeof o.name === 'string' ? { name: o.name, alert } : alert;
      return { payload, inlineLabel: String(o[labelKey]), file, line };
    }
    return fromRow(o, file, line);
  }
  return { payload: item, file, line };
}

export function parseAlerts(text: string, fileName: string): EvalItem[] {
  const file = basename(fileName);
  const trimmed = text.trim();
  if (!trimmed) return [];
  if (fileName.toLowerCase().endsWith('.csv')) {
    const items = hayabusaItems(parseCsv(trimmed), file);
    if (!items) throw new Error(`${file}: a CSV of alerts must be a Hayabusa timeline (RuleTitle, Level…)`);
    return items;
  }
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    try {
      const doc = JSON.parse(trimmed) as unknown;
      const list = Array.isArray(doc)
        ? doc
        : doc && typeof doc === 'object' && Array.isArray((doc as { alerts?: unknown }).alerts)
          ? (doc as { alerts: unknown[] }).alerts
          : [doc];
      return list.map((x, i) => unwrap(x, file, i + 1));
    } catch {
      // not one JSON document: NDJSON below
    }
  }
  const out: EvalItem[] = [];
  trimmed.split(/\r?\n/).forEach((l, i) => {
    if (!l.trim()) return;
    try {
      out.push(unwrap(JSON.parse(l), file, i + 1));
    } catch {
      throw new Error(`${file}:${i + 1}: not valid JSON`);
    }
  });
  return out;
}

/** RFC 4180 CSV (quoted fields, doubled quotes, commas and newlines inside quotes). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.some((c) => c !== '')) rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  row.push(field);
  if (row.some((c) => c !== '')) rows.push(row);
  return rows;
}

const LABEL_COLUMNS = [
  'label',
  'ground_truth',
  'truth',
  'expected',
  'author_label',
  'classification',
  'verdict',
  'class',
  'time_label',
  'event_label',
];

export interface LabelTable {
  /** Labels in row order. */
  ordered: string[];
  /** `file:line` → label when the CSV has `file` and `line_no` columns. */
  byFileLine?: Map<string, string>;
  column: string;
}

export function parseLabels(text: string): LabelTable {
  const rows = parseCsv(text);
  const header = (rows[0] ?? []).map((h) => h.trim().toLowerCase());
  const col = LABEL_COLUMNS.map((c) => header.indexOf(c)).find((i) => i >= 0);
  if (col === undefined) {
    // A bare one-column list of labels, no header.
    if (header.length === 1) return { ordered: rows.map((r) => r[0]!.trim()), column: '(first)' };
    throw new Error(`no label column found; expected one of: ${LABEL_COLUMNS.join(', ')}`);
  }
  const body = rows.slice(1);
  const ordered = body.map((r) => (r[col] ?? '').trim());
  const fileCol = header.indexOf('file');
  const lineCol = header.indexOf('line_no');
  const byFileLine =
    fileCol >= 0 && lineCol >= 0
      ? new Map(
          body.map((r) => [
            `${basename((r[fileCol] ?? '').trim())}:${Number(r[lineCol])}`,
            (r[col] ?? '').trim(),
          ]),
        )
      : undefined;
  return { ordered, ...(byFileLine ? { byFileLine } : {}), column: header[col]! };
}

/**
 * One label per alert: inline labels win; the label file covers the alerts without one, by
 * `file,line_no` when every such alert's file is in the table, otherwise in row order (row i
 * labels the i-th alert without an inline label, across files in the order given). So files with
 * inline labels can be evaluated together with one CSV-labelled file, in any order.
 */
export function attachLabels(items: EvalItem[], table?: LabelTable): Array<string | undefined> {
  const byLine = table?.byFileLine;
  const pending = items.filter((it) => it.inlineLabel === undefined);
  const useLines =
    byLine !== undefined && pending.length > 0 && pending.every((it) => byLine.has(`${it.file}:${it.line}`));
  let next = 0;
  return items.map((it) => {
    if (it.inlineLabel !== undefined) return it.inlineLabel;
    return useLines ? byLine.get(`${it.file}:${it.line}`) : table?.ordered[next++];
  });
}
