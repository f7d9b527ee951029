import { normalize } from '@triage/normalizers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { enrichmentOf, testConfig, verdictOf } from '../fixtures.test-support.ts';
import {
  CONTENT_PATHS,
  CORES,
  FORMATS,
  type SteeringAttempt,
  TRICKS,
} from '../steering-corpus.test-support.ts';

/**
 * Appending any text to any content field of a malicious alert, in any format, never moves it
 * toward FALSE_POSITIVE: the rules score never decreases and the verdict is never FALSE_POSITIVE.
 * The text is appended after a separator (a space, a newline, `; `), as an attacker adding words
 * to a command line, a URL or a log line does; rewriting the attack itself is evasion, which this
 * does not claim to stop. Identity fields (users, hosts, addresses) are not content text.
 */
const config = testConfig({ KNOWN_BENIGN: 'scanner.corp.example,10.0.0.99' });
const FORMAT_NAMES = Object.keys(FORMATS) as Array<SteeringAttempt['format']>;
const CORE_NAMES = Object.keys(CORES) as Array<keyof typeof CORES>;

const BENIGN_WORDS = [
  'eicar',
  'test',
  'update',
  'windows update',
  'clamav',
  'freshclam',
  'database updated',
  'nessus',
  'qualys',
  'session closed',
  'logged off',
  'successful login',
  'not a threat',
  'false positive',
  'benign',
  'Not Suspicious Traffic',
  '[Priority: 3]',
  'ET POLICY',
  'level 0',
  'action=allowed',
  'signed by Microsoft',
  'authorised pentest',
  'expected activity',
  'scanner.corp.example',
  '10.0.0.99',
];

const appendix = fc.oneof(
  fc.constantFrom(...Object.values(TRICKS)),
  fc.array(fc.constantFrom(...BENIGN_WORDS), { minLength: 1, maxLength: 8 }).map((w) => w.join(' ')),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc
    .tuple(fc.constantFrom(...Object.values(TRICKS)), fc.string({ unit: 'grapheme-ascii', maxLength: 30 }))
    .map(([t, s]) => `${s}${t}${s}`),
);

function appendAt(doc: Record<string, unknown>, path: string, text: string): void {
  const keys = path.split('.');
  const parent = keys
    .slice(0, -1)
    .reduce<Record<string, unknown>>((n, k) => n[k] as Record<string, unknown>, doc);
  const last = keys[keys.length - 1]!;
  parent[last] = `${String(parent[last])}${text}`;
}

const score = (doc: Record<string, unknown>) => verdictOf(normalize(doc), enrichmentOf(), config);

describe('steering by appended content', () => {
  it('never lowers the score of a malicious alert nor makes it FALSE_POSITIVE', () => {
    let runs = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...FORMAT_NAMES),
        fc.constantFrom(...CORE_NAMES),
        fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
        fc.constantFrom(' ', '\n', '; ', ' # ', ' & rem '),
        appendix,
        (format, core, picks, sep, text) => {
          runs++;
          const base = FORMATS[format](CORES[core], '');
          const before = score(base);
          expect(before.classification).not.toBe('FALSE_POSITIVE');
          const doc = structuredClone(base);
          const paths = CONTENT_PATHS[format];
          for (const p of new Set(picks.map((i) => paths[i % paths.length]!)))
            appendAt(doc, p, `${sep}${text}`);
          const after = score(doc);
          expect(after.classification, `${format} ${core}: ${after.reasons.join(' | ')}`).not.toBe(
            'FALSE_POSITIVE',
          );
          expect(after.score, `${format} ${core}: ${after.reasons.join(' | ')}`).toBeGreaterThanOrEqual(
            before.score,
          );
        },
      ),
      { numRuns: 400 },
    );
    console.info(`[steering property] ${runs} runs over ${FORMAT_NAMES.length} formats`);
  });
});
