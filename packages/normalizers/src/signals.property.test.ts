import type { AlertSignals } from '@triage/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalize } from './index.ts';
import { alertFixtureFiles, fixtureRecords } from './test-support/fixtures.ts';

/**
 * Provenance holds whatever an attacker writes: text put into any content field of any real
 * alert (command lines, scripts, URLs, user agents, log lines, file and registry paths, DNS
 * names, rendered details) never comes out as a metadata signal, and never reaches the rule name
 * template. Plus: hostile shapes cost about what plain ones of the same size cost.
 */

/** Payload keys that hold event content in every format that has them (normalized: lower, no punctuation). */
const CONTENT_KEYS = new Set([
  'commandline',
  'cmdline',
  'parentcommandline',
  'processcommandline',
  'suspiciouscommandline',
  'scriptblocktext',
  'payload',
  'payloadprintable',
  'fulllog',
  'raw',
  'message',
  'url',
  'httpuseragent',
  'useragent',
  'original',
  'targetfilename',
  'targetobject',
  'details',
  'queryname',
  'queryresults',
  'imagepath',
  'taskcontent',
  'currentdirectory',
  'workingdirectory',
]);

const norm = (k: string) => k.toLowerCase().replace(/[^a-z0-9]/g, '');
const MARK = 'ZQXSTEERZQX';

type Path = Array<string | number>;

/** Paths of string leaves under a content key (bounded). */
function contentLeaves(v: unknown, prefix: Path = [], inContent = false, out: Path[] = []): Path[] {
  if (out.length > 500 || prefix.length > 10) return out;
  if (typeof v === 'string' && inContent) out.push(prefix);
  else if (Array.isArray(v)) {
    v.forEach((x, i) => {
      contentLeaves(x, [...prefix, i], inContent, out);
    });
  } else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v))
      contentLeaves(x, [...prefix, k], inContent || CONTENT_KEYS.has(norm(k)), out);
  }
  return out;
}

function setAt(doc: unknown, path: Path, value: string): void {
  const parent = path.slice(0, -1).reduce<unknown>((n, k) => (n as Record<string | number, unknown>)[k], doc);
  (parent as Record<string | number, unknown>)[path[path.length - 1]!] = value;
}

/** Metadata signals (and the rule name template) as [path, value] pairs. */
function metadataValues(s: AlertSignals | undefined): Array<[string, string]> {
  if (!s) return [];
  const out: Array<[string, string]> = [];
  for (const [path, src] of Object.entries(s.provenance)) {
    if (src.origin !== 'metadata') continue;
    const [section, field] = path.split('.') as [keyof AlertSignals, string];
    const value = (s[section] as Record<string, unknown> | undefined)?.[field];
    if (value !== undefined) out.push([path, JSON.stringify(value)]);
  }
  return out;
}

const SAMPLES = alertFixtureFiles().flatMap((rel) =>
  fixtureRecords(rel)
    .slice(0, 4)
    .filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null && !Array.isArray(r))
    .filter((r) => contentLeaves(r).length > 0),
);

describe('provenance under attacker text', () => {
  it('has samples with content fields from many formats', () => {
    const formats = new Set(SAMPLES.map((s) => normalize(s).format));
    expect(formats.size).toBeGreaterThanOrEqual(7);
  });

  it('text written into content fields never becomes a metadata signal or part of the rule name template', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: SAMPLES.length - 1 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
        fc.string({ maxLength: 40 }),
        fc.constantFrom(
          '',
          ' ¦ User: NT AUTHORITY\\SYSTEM ¦ Proc: C:\\Windows\\System32\\svchost.exe',
          ' [**] [1:2210000:1] SURICATA STREAM [**] [Classification: Not Suspicious Traffic] [Priority: 3]',
          '" 200 512 "-" "Mozilla/5.0"',
          ',"rule":{"level":0,"description":"benign"}',
          '\\\\\\\\"',
        ),
        (sample, picks, noise, trick) => {
          const doc = structuredClone(SAMPLES[sample]!);
          const leaves = contentLeaves(doc);
          for (const p of picks) setAt(doc, leaves[p % leaves.length]!, `${MARK}${noise}${trick}`);
          const alert = normalize(doc);
          for (const [path, value] of metadataValues(alert.signals)) {
            // The rule name as received may quote event values (that is why the template exists).
            if (path === 'detection.rule_name') continue;
            expect(`${path}=${value}`).not.toContain(MARK);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('hostile inputs stay cheap', () => {
  /**
   * Fastest of `runs` normalizations of each document, the two interleaved: the machine is shared,
   * and the minimum is the measure that load spikes do not move.
   */
  function ratio(hostile: unknown, plain: unknown, runs = 7): number {
    let h = Number.POSITIVE_INFINITY;
    let p = Number.POSITIVE_INFINITY;
    for (let i = 0; i < runs; i++) {
      let start = performance.now();
      normalize(plain);
      p = Math.min(p, performance.now() - start);
      start = performance.now();
      normalize(hostile);
      h = Math.min(h, performance.now() - start);
    }
    return h / Math.max(p, 0.2);
  }

  const N = 200_000;
  const sysmon = (commandLine: string, extra: Record<string, unknown> = {}) => ({
    rule: { level: 12, description: `Suspicious ${commandLine.slice(0, 1000)}`, id: '92000' },
    agent: { name: 'ws1' },
    decoder: { name: 'windows_eventchannel' },
    data: {
      win: {
        system: { eventID: '1', channel: 'Microsoft-Windows-Sysmon/Operational', message: commandLine },
        eventdata: { image: 'C:\\\\Windows\\\\System32\\\\cmd.exe', commandLine, ...extra },
      },
    },
  });
  /** Hostile documents, by the size of their hostile field. */
  const HOSTILE: Record<string, (n: number) => unknown> = {
    backslashes: (n) => sysmon('\\'.repeat(n)),
    quotes: (n) => sysmon('\\"'.repeat(n / 2)),
    'fast.log headers': (n) => ({
      rule: { level: 3, description: 'IDS', id: '1' },
      agent: { name: 'x' },
      decoder: { name: 'snort' },
      full_log: '[**] [1:1:1] '.repeat(n / 13),
    }),
    'request lines': (n) => ({
      rule: { level: 3, description: 'web', id: '2' },
      agent: { name: 'x' },
      full_log: '"GET / HTTP/1.1" 200 '.repeat(n / 21),
    }),
    'hayabusa separators': (n) => ({
      RuleTitle: 'x',
      EventID: '1',
      Computer: 'c',
      Level: 'high',
      Details: 'Cmdline: a ¦ '.repeat(n / 13),
    }),
    'values repeated in the rule name': (n) =>
      sysmon('ab'.repeat(n / 2), { description: 'ab', product: 'aba', company: 'abab' }),
    'deep nesting': (n) =>
      sysmon('x'.repeat(n), { nested: JSON.parse(`${'{"a":'.repeat(60)}1${'}'.repeat(60)}`) }),
    'proto keys': (n) =>
      JSON.parse(
        `{"__proto__":{"rule":1},"rule":{"level":5,"description":"x","__proto__":{"id":1}},"agent":{"name":"a"},"data":{"win":{"eventdata":{"__proto__":{"commandLine":"x"},"commandLine":"${'y'.repeat(n)}"}}}}`,
      ),
    'many keys': (n) =>
      sysmon('x', Object.fromEntries(Array.from({ length: n / 100 }, (_, i) => [`k${i}`, `v${i}`]))),
  };

  it('worst shapes cost a bounded multiple of a plain alert of the same size', () => {
    const plain = sysmon('a'.repeat(N));
    const ratios = Object.entries(HOSTILE).map(([name, make]) => [name, ratio(make(N), plain)] as const);
    const worst = ratios.reduce((x, y) => (y[1] > x[1] ? y : x));
    console.log(
      `[normalize hostile] worst: ${worst[0]}, ${worst[1].toFixed(2)}x a plain alert of the same size`,
    );
    // At 200 KB a quadratic path costs thousands of times a linear one; these stay within a few
    // (up to ~15x when every test file of the suite runs at once on two cores).
    for (const [name, r] of ratios) expect(r, `${name}: ${r.toFixed(1)}x a plain alert`).toBeLessThan(30);
  });
});
