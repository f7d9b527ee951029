import fc from 'fast-check';
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { linear } from './linear.ts';

/**
 * The literal prefilter (a long input lacking a pattern's literals skips the DFA) must answer as
 * RE2 does: same result with and without it, case folding included.
 */
const PATTERNS = [
  /\bmimikatz\b|sekurlsa::|lsadump::/i,
  /\b(?:ignore|disregard)\b.{0,30}\b(?:previous|prior)\b/,
  /certutil(?:\.exe)?["']?\s.*[-/](?:urlcache|encode)\b/i,
  /(?:https?|ftp):\/\/\d{1,3}\.\d{1,3}/i,
  /\bwhoami\b|\bnet (?:user|group)\b/i,
  /[a-z]+\d{3}/,
  // A table's union: groups with their own flags, more alternatives than re2js's prefilter takes.
  /(?i:\bmimikatz\b)|(?:ignore.{0,5}previous)|(?i:ΣΟΣ|ſpray)/,
  new RegExp(Array.from({ length: 40 }, (_, i) => `word${i}x`).join('|'), 'i'),
  /игнорир\p{L}*\s+все|ты\s+теперь|σος/u,
];
const plainRe2 = (re: RegExp) =>
  RE2JS.compile(RE2JS.translateRegExp(re.source), re.flags.includes('i') ? RE2JS.CASE_INSENSITIVE : 0);

describe('linear patterns: literal prefilter', () => {
  it('answers like RE2 on long inputs', () => {
    const alphabet = fc.constantFrom(
      ...'abcdeiklmnoprstuwz ./:-\\"\'0123456789ſKİΣσςОᲀ'.split(''),
      'mimikatz',
      'MimiKatz',
      'sekurlſa::',
      'ignore',
      'previous',
      'certutil',
      'CERTUTIL.exe',
      '-urlcache',
      'http://',
      '10.0',
      'whoami',
      'net user',
      'Mimikatz',
      'ignore previous',
      'ИГНОРИРУЙ все',
      'ты теперь',
      'ΣΟΣ',
      'σοσ',
      'SPRAY',
      'word17x',
      'WORD39X',
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), fc.nat(), (parts, at) => {
        const core = parts.join('');
        const pad = 'q'.repeat(3000);
        const cut = at % (pad.length + 1);
        const text = pad.slice(0, cut) + core + pad.slice(cut);
        for (const re of PATTERNS) expect(linear(re).test(text), re.source).toBe(plainRe2(re).test(text));
      }),
      { numRuns: 300, seed: 12 },
    );
  });

  it('folds the long s and the Kelvin sign like RE2', () => {
    const pad = ' '.repeat(4096);
    expect(linear(/sekurlsa/i).test(`${pad}ſekurlſa${pad}`)).toBe(true);
    expect(linear(/mimikatz/i).test(`${pad}mimi\u212Aatz${pad}`)).toBe(true);
    expect(linear(/mimikatz/i).test(`${pad}mimi-katz${pad}`)).toBe(false);
  });
});
