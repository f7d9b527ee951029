import { loadavg } from 'node:os';
import type { NormalizedAlert } from '@triage/contracts';
import { extractObservables } from '@triage/intel';
import { cpuPerVerdict } from '../../packages/classifier/src/fixtures.test-support.ts';
import {
  classifyWork,
  hostileAlerts,
  plainAlert,
} from '../../packages/classifier/src/hostile.test-support.ts';

/**
 * CPU per alert on the worst inputs at 256 KiB (the classifier's budget test inputs): classify as
 * for an alert sent to Gemini (injection detection, rules, cache key, prompt) and enrich's
 * observable extraction. The median of five rounds, in milliseconds of CPU (user + system).
 */
export interface WorstInputRow {
  label: string;
  classifyMs: number;
  enrichMs: number;
}

export function worstInputs(): { load: number[]; rows: WorstInputRow[] } {
  const load = loadavg();
  const ms = (work: (a: NormalizedAlert) => unknown, a: NormalizedAlert, calls: number) => {
    work(a);
    return cpuPerVerdict(a, calls, work) / 1000;
  };
  const row = (label: string, a: NormalizedAlert, calls: number): WorstInputRow => ({
    label,
    classifyMs: ms(classifyWork, a, calls),
    enrichMs: ms((x) => extractObservables(x), a, calls),
  });
  const rows = [row('plain alert', plainAlert, 100), ...hostileAlerts.map(([l, a]) => row(l, a, 3))];
  return { load, rows };
}

export function worstInputsMd(w: { load: number[]; rows: WorstInputRow[] }): string {
  const f = (n: number) => n.toFixed(1);
  return `CPU per alert on the worst inputs at 256 KiB (load average ${w.load.map((l) => l.toFixed(2)).join(' ')} when measured; classify = injection detection, rules, cache key and prompt; enrich = observable extraction):

| input | classify ms | enrich ms |
|---|---:|---:|
${w.rows.map((r) => `| ${r.label} | ${f(r.classifyMs)} | ${f(r.enrichMs)} |`).join('\n')}
`;
}

if (import.meta.main) process.stdout.write(worstInputsMd(worstInputs()));
