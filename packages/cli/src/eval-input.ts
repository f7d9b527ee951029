import { basename } from 'node:path';

/**
 * Reading evaluation inputs: alerts as a JSON array, `{"alerts": [...]}`, NDJSON, or wrapper
 * objects that carry their label inline (`{alert, author_label}` of the AIT-ADS n-shot file,
 * `{name, alert, expected}` of the original service's samples); labels as CSV.
 */

export interface EvalItem {
  /** What is posted to the pipeline. */
  payload: unknown;
  /** Label found next to the alert, if any. */
  inlineLabel?: string;
  /** Source file name and 1-based line/position, to match `file,line_no` label files. */
  file: string;
  line: number;
}

const LABEL_KEYS = ['author_label', 'expected', 'label', 'ground_truth'];

function unwrap(item: unknown, file: string, line: number): EvalItem {
  if (item && typeof item === 'object' && !Array.isArray(item)) {
    const o = item as Record<string, unknown>;
    const labelKey = LABEL_KEYS.find((k) => typeof o[k] === 'string');
    if (labelKey && o.alert && typeof o.alert === 'object') {
      // `{name, alert}` is the original service's own envelope: keep it; other wrappers post the alert.
      const payload = typeof o.name === 'string' ? { name: o.name, alert: o.alert } : o.alert;
      return { payload, inlineLabel: String(o[labelKey]), file, line };
    }
  }
  return { payload: item, file, line };
}

export function parseAlerts(text: string, fileName: string): EvalItem[] {
  const file = basename(fileName);
  const trimmed = text.trim();
  if (!trimmed) return [];
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
 * One label per alert: inline labels win; then `file,line_no` when every alert's file is in the
 * table; otherwise row order (row i labels alert i, across files in the order given).
 */
export function attachLabels(items: EvalItem[], table?: LabelTable): Array<string | undefined> {
  const byLine = table?.byFileLine;
  const useLines = byLine !== undefined && items.every((it) => byLine.has(`${it.file}:${it.line}`));
  return items.map(
    (it, i) => it.inlineLabel ?? (useLines ? byLine.get(`${it.file}:${it.line}`) : table?.ordered[i]),
  );
}
