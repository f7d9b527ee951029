import type { EvalItem } from './eval-input.ts';
import type { Truth } from './eval-score.ts';

/**
 * The Windows development sets (test/fixtures/windows, see its SOURCE.md) as alerts the pipeline
 * receives, each with the label its source supports and the set it is reported in:
 * - Sigma regression events: the rule match + the event recorded in the lab reproduction of the
 *   attack (a threat) — a Sigma match alert.
 * - Sigma known false positives: rule hits on clean goodware baselines (benign). There is no event,
 *   only the rule: the alert is what a SIEM shows for it (title, level, tags).
 * - Wazuh ruleset tests: the Wazuh alert the test log must produce (rule id, level, description
 *   with its `$(field)` substitutions, groups, MITRE ids, decoded data). Level >= 10 are attack
 *   detections (threat), <= 3 informational or benign, the middle is context-dependent (no label).
 * - Hayabusa timeline rows over attack-sample EVTX collections: no per-row label (the collections
 *   hold routine events too); reported per level. The EVTX file name is never posted: it names
 *   the scenario, which would hand the classifier the answer.
 * Rows are recognised by their shape, not by file name.
 */

type Row = Record<string, unknown>;

export const WINDOWS_SETS = {
  sigmaAttacks: 'Sigma reproduced attacks',
  sigmaKnownFps: 'Sigma known false positives',
  wazuhHigh: 'Wazuh tests level >= 10',
  wazuhMiddle: 'Wazuh tests level 4-9 (unlabelled)',
  wazuhLow: 'Wazuh tests level <= 3',
} as const;

const isObj = (v: unknown): v is Row => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads `a.b.c` in a nested object (Wazuh field names in rule descriptions). */
function pathValue(root: unknown, path: string): unknown {
  let cur = root;
  for (const part of path.split('.')) {
    if (!isObj(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** Wazuh fills `$(win.eventdata.image)` in a rule description with the decoded field's value. */
export function interpolateWazuh(template: string, data: unknown): string {
  return template.replace(/\$\(([\w.]{1,128})\)/g, (_, name: string) => {
    const v = pathValue(data, name);
    return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
  });
}

function item(
  payload: unknown,
  file: string,
  line: number,
  set: string,
  truth?: Truth,
  label?: string,
): EvalItem {
  return {
    payload,
    file,
    line,
    set,
    ...(truth ? { inlineTruth: truth, inlineLabel: label ?? truth } : {}),
  };
}

function sigmaPositive(r: Row, file: string, line: number): EvalItem {
  const payload = {
    rule: {
      title: r.rule_title,
      id: r.rule_id,
      level: r.rule_level,
      status: r.rule_status,
      tags: r.rule_tags,
      logsource: r.rule_logsource,
    },
    event: r.event,
  };
  return item(payload, file, line, WINDOWS_SETS.sigmaAttacks, 'threat', String(r.label));
}

function sigmaKnownFp(r: Row, file: string, line: number): EvalItem {
  // A rule hit with no event: what an alert list shows (the SIEM's name, level and tags).
  const payload = {
    title: r.rule_title,
    rule_id: r.rule_id,
    severity: r.rule_level,
    tags: r.rule_tags,
    rule_status: r.rule_status,
    product: 'sigma',
  };
  return item(payload, file, line, WINDOWS_SETS.sigmaKnownFps, 'benign', String(r.label));
}

function wazuhTest(r: Row, file: string, line: number): EvalItem {
  const level = Number(r.expected_alert_level);
  const data = isObj(r.data) ? r.data : undefined;
  const windows = isObj(data?.win);
  const payload: Row = {
    timestamp: pathValue(data, 'win.system.systemTime') ?? '2021-01-01T00:00:00.000Z',
    rule: {
      level,
      description: interpolateWazuh(String(r.rule_description_template ?? ''), data),
      id: String(r.expected_rule_id),
      groups: r.rule_groups,
      ...(Array.isArray(r.rule_mitre) && r.rule_mitre.length > 0 ? { mitre: { id: r.rule_mitre } } : {}),
      firedtimes: 1,
    },
    agent: { id: '001', name: 'wazuh-ruleset-lab' },
    manager: { name: 'wazuh-manager' },
    // Unique per test log, so ingest never takes two tests for one re-delivered alert.
    id: `wazuh-test-${line}-${String(r.expected_rule_id)}`,
    decoder: { name: windows ? 'windows_eventchannel' : String(r.decoder ?? 'json') },
    location: windows ? 'EventChannel' : 'WinEvtLog',
    ...(data ? { data } : {}),
    // Eventchannel alerts carry no full_log; other decoders keep the line they read.
    ...(windows ? {} : { full_log: r.raw_log }),
  };
  const set =
    level >= 10 ? WINDOWS_SETS.wazuhHigh : level <= 3 ? WINDOWS_SETS.wazuhLow : WINDOWS_SETS.wazuhMiddle;
  const truth: Truth | undefined = level >= 10 ? 'threat' : level <= 3 ? 'benign' : undefined;
  return item(payload, file, line, set, truth, `wazuh_level_${level}`);
}

/** A derived Windows fixture row → eval item; undefined for rows of any other shape. */
export function windowsItem(row: unknown, file: string, line: number): EvalItem | undefined {
  if (!isObj(row)) return undefined;
  if (row.label === 'attack_lab_reproduction' && isObj(row.event)) return sigmaPositive(row, file, line);
  if (row.label === 'benign_known_fp_on_clean_baseline' && row.rule_title !== undefined)
    return sigmaKnownFp(row, file, line);
  if (row.expected_alert_level !== undefined && row.expected_rule_id !== undefined)
    return wazuhTest(row, file, line);
  return undefined;
}

/** Hayabusa CSV columns that are the tool's output about a detection (FilePath is the scenario: dropped). */
const TIMELINE_DROP = new Set(['FilePath', 'EvtxFile']);

/** Hayabusa CSV (header row first) → one item per detection, in a set per rule level. */
export function hayabusaItems(rows: string[][], file: string): EvalItem[] | undefined {
  const header = rows[0];
  if (!header?.includes('RuleTitle') || !header.includes('Level')) return undefined;
  return rows.slice(1).map((cells, i) => {
    const row: Row = {};
    header.forEach((h, j) => {
      if (!TIMELINE_DROP.has(h) && cells[j] !== undefined && cells[j] !== '') row[h] = cells[j];
    });
    const level = String(row.Level ?? 'unknown').toLowerCase();
    return item(row, file, i + 2, `Hayabusa ${level} (unlabelled)`);
  });
}
