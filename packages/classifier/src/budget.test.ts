import { loadavg } from 'node:os';
import { describe, expect, it } from 'vitest';
import { cpuPerVerdict } from './fixtures.test-support.ts';
import { classifyWork, hostileAlerts, plainAlert } from './hostile.test-support.ts';

/**
 * Bounded work per alert: the worst inputs we can construct, at the largest field the ingest
 * accepts (MAX_FIELD_BYTES, 256 KiB), cost at most a bounded multiple of a plain alert's CPU,
 * measured in the same run (absolute times move with the machine's load; the ratio does not).
 * The work is what the classifier spends on an alert it sends to Gemini (hostile.test-support).
 * Before RE2 the first input alone took 36 s, doubling with every extra `/**\/`.
 */
describe('classify CPU budget', () => {
  it('the worst inputs at 256 KiB stay within a bounded multiple of a plain alert', {
    timeout: 180_000,
  }, () => {
    classifyWork(plainAlert);
    const base = cpuPerVerdict(plainAlert, 200, classifyWork);
    const ratios = hostileAlerts.map(([label, alert]) => {
      classifyWork(alert);
      const us = cpuPerVerdict(alert, 3, classifyWork);
      return { label, ms: Math.round(us / 10) / 100, ratio: Math.round(us / base) };
    });
    const load = loadavg().map((l) => l.toFixed(2));
    console.info(`plain alert: ${Math.round(base)} µs CPU (load average ${load.join(' ')})`, ratios);
    // A plain alert costs 0.5-1.2 ms of CPU, the worst input 10-20 ms (load average about 3),
    // about 20x: one linear pass or a few per string, the DFA skipped where a pattern's literals
    // are absent. 60x leaves room for a loaded box; a quadratic scan or an unbounded decode goes
    // past it (before the prefilter and the bounded decodes the worst was over 200x).
    expect(ratios.filter((r) => r.ratio > 60)).toEqual([]);
  });
});
