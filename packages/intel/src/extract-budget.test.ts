import { loadavg } from 'node:os';
import type { NormalizedAlert } from '@triage/contracts';
import { cpuPerCall } from '@triage/testing';
import { describe, expect, it } from 'vitest';
import { extractObservables } from './extract.ts';

/**
 * Bounded enrichment work: observable extraction on the worst inputs we can construct, at the
 * largest field the ingest accepts (256 KiB), costs at most a bounded multiple of extracting a
 * plain alert's observables, measured in the same run (CPU time; a ratio, as the load moves
 * absolute times).
 */
const FIELD = 256 * 1024;
const fill = (unit: string, prefix = '') =>
  prefix + unit.repeat(Math.ceil((FIELD - prefix.length) / unit.length)).slice(0, FIELD - prefix.length);

const alert = (over: Partial<NormalizedAlert>): NormalizedAlert => ({
  format: 'generic',
  name: 'Web attack',
  severity: 'High',
  fingerprint: 'f'.repeat(64),
  src_ip: '203.0.113.7',
  dst_ip: '10.0.0.5',
  description: 'GET http://intranet.example/login.php from 203.0.113.7 (mail admin@example.com)',
  urls: ['http://intranet.example/login.php'],
  raw: {
    agent: { name: 'web01', ip: '10.0.0.5' },
    data: { srcip: '203.0.113.7', url: '/login.php', protocol: 'GET' },
    full_log:
      '203.0.113.7 - - [10/Oct/2025:13:55:36 +0000] "GET /login.php HTTP/1.1" 200 512 "-" "curl/8.4.0"',
  },
  ...over,
});

const plain = alert({});
const hostile: Array<[string, NormalizedAlert]> = [
  ['invalid addresses', alert({ description: fill('999.1.1.1 ') })],
  ['emails and hosts with unknown TLDs', alert({ description: fill('a@b.zz x.zz ') })],
  ['URLs with unknown TLDs', alert({ description: fill('http://a.zz/ ') })],
  ['defanged URLs', alert({ description: fill('hxxp[:]//evil[.]zz/ ') })],
  ['a URL ending in brackets', alert({ urls: [fill(')', 'http://intranet.example/')] })],
  ['SQL-injection URL: union + /**/ repeated', alert({ urls: [fill('/**/', '/search.php?q=union')] })],
  ['IPv6-like groups', alert({ description: fill('g:1:2:3:4:5:6:7 ') })],
  ['hex runs around hash length', alert({ description: fill(`${'0123456789abcdef'.repeat(4)}g `) })],
  ['dotted labels without end', alert({ description: fill('a.') })],
  ['Windows path segments', alert({ description: fill('\\a', 'c:') })],
  ['fast.log fragment repeated', alert({ description: fill('[**] [1:2:3] ET x [**] [Classification: ') })],
  [
    'four raw fields at the limit (a 1 MiB body)',
    alert({ raw: Object.fromEntries([0, 1, 2, 3].map((i) => [`f${i}`, fill(`${i}.a x${i}.zz `)])) }),
  ],
];

const cpuPerExtraction = (a: NormalizedAlert, calls: number) =>
  cpuPerCall(() => extractObservables(a), calls);

describe('observable extraction CPU budget', () => {
  it('the worst inputs at 256 KiB stay within a bounded multiple of a plain alert', {
    timeout: 120_000,
  }, () => {
    extractObservables(plain);
    const base = cpuPerExtraction(plain, 500);
    const ratios = hostile.map(([label, a]) => {
      extractObservables(a);
      const us = cpuPerExtraction(a, 3);
      return { label, ms: Math.round(us / 10) / 100, ratio: Math.round(us / base) };
    });
    const load = loadavg().map((l) => l.toFixed(2));
    console.info(`plain alert: ${Math.round(base)} µs CPU (load average ${load.join(' ')})`, ratios);
    // Extracting a plain alert's observables costs 40-100 µs; the worst input 5-15 ms on an idle
    // machine (each text scanned once, at most 64 KiB of it; each candidate judged once). 400x
    // leaves room for a loaded box and still catches a quadratic pass (the bracket count once
    // took 80 s) or a text scanned per occurrence.
    expect(ratios.filter((r) => r.ratio > 400)).toEqual([]);
  });
});

describe('observable extraction: the character prefilter', () => {
  // Each pattern runs only where `://`, `@`, `:` or `.` occurs: defanged forms are refanged
  // first, so they still reach their pattern; the same text twice is scanned once but found.
  it('finds defanged observables and repeated text', () => {
    const description = [
      'hxxps[://]evil-one[.]com/payload',
      'mail bad.actor[@]phish-two.net',
      'beacon to 2001:db8[:]:7',
      'C2 198[.]51[.]100[.]9',
    ].join(' ');
    const values = extractObservables(
      alert({ description, raw: { again: description, twice: [description, description] } }),
    ).map((o) => o.value);
    expect(values).toEqual(
      expect.arrayContaining([
        'https://evil-one.com/payload',
        'bad.actor@phish-two.net',
        '2001:db8::7',
        '198.51.100.9',
      ]),
    );
  });
});
