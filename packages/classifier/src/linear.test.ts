import fc from 'fast-check';
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { linear, PatternSet } from './linear.ts';

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

  it('answers like RE2 on folds toLowerCase does not make, optional groups and classes', () => {
    const cases: Array<[RegExp, string]> = [
      [/\u03b8eta/i, '\u03d1ETA'], // theta symbol folds onto theta, toLowerCase keeps it
      [/stra\u00dfe/i, 'STRA\u1e9eE'], // capital sharp s
      [/\u03c9mega/i, '\u2126MEGA'], // ohm sign
      [/\u00b5s/i, '\u039cS'], // micro sign
      [/KERBEROAST/i, 'kerbero\u017ft'], // pattern in upper case, long s in the text
      [/\u0130stanbul/i, 'istanbul'], // dotted capital I: no simple fold onto i
      [/evil\u0301/i, 'EVIL\u0301'],
      [/a(?:bc)?def/i, 'ADEF'],
      [/(?:foo|bar)baz/i, 'BARBAZ'],
      [/[Kk]ey[Ss]/, 'keys'],
      [/\x41BC|x{2}yz/i, 'XXYZ'],
    ];
    // Either side of the length from which the prefilter runs, and the match at each end.
    for (const n of [2000, 2047, 2048, 5000])
      for (const [re, s] of cases)
        for (const text of [`${'q'.repeat(n)}${s}`, `${s}${'q'.repeat(n)}`]) {
          expect(linear(re).test(text), `${re.source} ${n}`).toBe(plainRe2(re).test(text));
        }
  });

  it('a set answers like its members one by one when the prefilter leaves one or none', () => {
    const set = new PatternSet([linear(/mimikatz/i), linear(/sekurlsa::/i), linear(/\u03b8x/i)]);
    const pad = 'z'.repeat(4096);
    expect(set.matching(`${pad}MIMI\u212aATZ${pad}`)).toEqual([0]);
    expect(set.matching(`${pad}\u017fEKURL\u017fA::${pad}`)).toEqual([1]);
    expect(set.matching(`${pad}\u03d1X${pad}`)).toEqual([2]);
    expect(set.matching(`${pad}mimi katz${pad}`)).toEqual([]);
    expect(set.test(`${pad}\u03d1X${pad}`)).toBe(true);
  });
});
