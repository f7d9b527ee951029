import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type NormalizedAlert, ValidationError } from '@triage/contracts';
import { expect } from 'vitest';
// The eval's reading of the Windows development rows is the one place that turns them into alerts.
import { parseCsv } from '../../../cli/src/eval-input.ts';
import { hayabusaItems, windowsItem } from '../../../cli/src/eval-windows.ts';
import { unwrapEnvelope } from '../detect.ts';
import { type NormalizeOptions, normalize } from '../index.ts';
import { checkOriginalShape } from '../original-shape.ts';

/** test/fixtures at the repository root: real alerts, read-only (see its README.md). */
export const FIXTURES_DIR = fileURLToPath(new URL('../../../../test/fixtures/', import.meta.url));

/** Files that are alerts: not intel responses, runbook texts, notes or label CSVs. */
export function alertFixtureFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir)
      .sort()
      .flatMap((f) => {
        const p = join(dir, f);
        return statSync(p).isDirectory() ? walk(p) : [relative(FIXTURES_DIR, p)];
      });
  return walk(FIXTURES_DIR).filter(
    (rel) =>
      !rel.startsWith('intel/') &&
      !rel.startsWith('seed/runbooks/') &&
      !rel.endsWith('.md') &&
      !rel.includes('LICENSE') &&
      (!rel.endsWith('.csv') || rel.startsWith('windows/')),
  );
}

export function readFixture(rel: string): string {
  return readFileSync(join(FIXTURES_DIR, rel), 'utf8');
}

type Json = Record<string, unknown>;

/**
 * The alert records of one fixture file: NDJSON → each line; JSON → the object, or each element
 * of an array, a `value` list, or an Azure REST example's `responses.200.body.value`. Two files
 * wrap alerts in annotations (per their SOURCE.md): the Wazuh n-shot file (`.alert`) and the seed
 * file, whose entries are re-assembled into the request body the original service received.
 */
export function fixtureRecords(rel: string): unknown[] {
  const body = readFixture(rel);
  let records: unknown[];
  if (rel.startsWith('windows/')) {
    if (rel.endsWith('.csv')) return (hayabusaItems(parseCsv(body), rel) ?? []).map((i) => i.payload);
    return body
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l, i) => windowsItem(JSON.parse(l) as unknown, rel, i + 1)?.payload);
  }
  if (rel.endsWith('.ndjson')) {
    records = body
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as unknown);
  } else {
    const json = JSON.parse(body) as unknown;
    const obj = json as Json;
    const rest = (obj?.responses as Json | undefined)?.['200'] as Json | undefined;
    const value = Array.isArray(obj?.value) ? obj.value : (rest?.body as Json | undefined)?.value;
    records = Array.isArray(json) ? json : Array.isArray(value) ? value : [json];
  }
  if (rel.includes('nshot')) return records.map((r) => (r as Json).alert);
  if (rel.endsWith('seed_alerts.json')) {
    return records.map((r) => {
      const e = r as Json;
      return e.shape === 'wrapped' ? { name: e.name, alert: e.alert } : e.alert;
    });
  }
  return records;
}

/** Minimal CSV (quoted fields with commas) for the labels files. */
export function readCsv(rel: string): Array<Record<string, string>> {
  const [header, ...rows] = readFixture(rel)
    .split('\n')
    .filter((l) => l.trim() !== '');
  const split = (line: string): string[] => {
    const out: string[] = [];
    let cur = '';
    let quoted = false;
    for (const ch of line) {
      if (ch === '"') quoted = !quoted;
      else if (ch === ',' && !quoted) {
        out.push(cur);
        cur = '';
      } else cur += ch;
    }
    out.push(cur);
    return out;
  };
  const cols = split(header ?? '');
  return rows.map((r) => Object.fromEntries(split(r).map((v, i) => [cols[i] ?? String(i), v])));
}

/**
 * Objects `normalize` refuses by design: empty, or the original format with a mistyped field
 * (`{"alert": "text"}`, `"source_ip": 12345`). Property tests about "every object" exclude them.
 */
export function refusedByDesign(doc: unknown): boolean {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return false;
  if (Object.keys(doc).length === 0) return true;
  try {
    checkOriginalShape(unwrapEnvelope(doc as Record<string, unknown>).doc);
    return false;
  } catch {
    return true;
  }
}

/**
 * `normalize(…, { signals: false })` (what intake runs) must answer every input as the full
 * normalization does: the same error, or the same alert but for its typed signals.
 */
export function expectIdentityAgrees(input: unknown, opts: NormalizeOptions = {}): void {
  let full: NormalizedAlert | undefined;
  let fullError: unknown;
  try {
    full = normalize(input, opts);
  } catch (err) {
    fullError = err;
  }
  let identity: NormalizedAlert | undefined;
  let identityError: unknown;
  try {
    identity = normalize(input, { ...opts, signals: false });
  } catch (err) {
    identityError = err;
  }
  if (fullError !== undefined) {
    expect(identityError).toBeInstanceOf(ValidationError);
    const e = (x: unknown) => {
      const v = x as ValidationError;
      return { code: v.code, message: v.message, details: v.details };
    };
    expect(e(identityError)).toEqual(e(fullError));
    return;
  }
  expect(identityError).toBeUndefined();
  const { signals: _, ...rest } = full!;
  expect(identity!.signals).toBeUndefined();
  expect(identity).toEqual(rest);
}
