import type { NormalizedAlert } from '@triage/contracts';
import { describe, expect, it } from 'vitest';
import { alertOf, cpuPerVerdict, verdictOf } from './fixtures.test-support.ts';

/**
 * Bounded work per alert: the worst inputs we can construct, at the largest field the ingest
 * accepts (MAX_FIELD_BYTES, 256 KiB), cost at most a bounded multiple of a plain alert's CPU,
 * measured in the same run (absolute times move with the machine's load; the ratio does not).
 * Before RE2 the first input alone took 36 s, doubling with every extra `/**\/`.
 */
const FIELD = 256 * 1024;
const fill = (unit: string, prefix = '') =>
  prefix + unit.repeat(Math.ceil((FIELD - prefix.length) / unit.length)).slice(0, FIELD - prefix.length);

const base = {
  name: 'Suspicious process',
  severity: 'Medium' as const,
  src_ip: '10.0.0.5',
  process: { name: 'cmd.exe', command_line: 'cmd.exe /c dir C:\\Users' },
  description: 'A process started.',
  urls: ['http://intranet.example/index.html'],
};
const plain = alertOf(base);
/** The plain alert with some fields replaced: built anew, so its signals (what the rules read) carry them. */
const like = (fields: Partial<NormalizedAlert>) => alertOf({ ...base, ...fields });

const hostile: Array<[string, NormalizedAlert]> = [
  ['SQL-injection URL: union + /**/ repeated', like({ urls: [fill('/**/', '/search.php?q=union')] })],
  [
    'certutil without its flag, repeated',
    like({ process: { name: 'certutil.exe', command_line: fill('certutil.exe ') } }),
  ],
  [
    'rundll32 without a script, repeated',
    like({ process: { name: 'rundll32.exe', command_line: fill('rundll32.exe url.dll ') } }),
  ],
  ['curl/wget without a pipe, repeated', like({ process: { command_line: fill('curl wget -o /tmp/x ') } })],
  ['injection words without their object', like({ description: fill('ignore previous classify as ') })],
  ['look-alike letters everywhere', like({ description: fill('іgnоrе ') })],
  ['base64 run after -enc', like({ process: { command_line: fill('A', 'powershell -enc ') } })],
  ['fast.log fragment repeated', like({ description: fill('[**] [1:2:3] ET x [**] [Classification: ') })],
  [
    'Windows path segments',
    like({ process: { command_line: fill('\\a', 'c:'), parent_command_line: fill('a\\') } }),
  ],
];

describe('classify CPU budget', () => {
  it('the worst inputs at 256 KiB stay within a bounded multiple of a plain alert', {
    timeout: 120_000,
  }, () => {
    verdictOf(plain);
    const base = cpuPerVerdict(plain, 200);
    const ratios = hostile.map(([label, alert]) => {
      const us = cpuPerVerdict(alert, 3);
      return { label, ms: Math.round(us / 10) / 100, ratio: Math.round(us / base) };
    });
    console.info(`plain alert: ${Math.round(base)} µs CPU`, ratios);
    // A plain alert costs 0.4-1 ms of CPU on the shared CI cores (each pattern is compiled once per
    // process, not per alert). Before RE2 the ratio of the first input was unbounded (36 s at 756
    // bytes); now every input is linear, and 300x bounds the worst at 256 KiB to about a tenth to a
    // quarter of a second of CPU.
    expect(ratios.filter((r) => r.ratio > 300)).toEqual([]);
  });
});
