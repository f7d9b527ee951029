/**
 * Text folding for matching attacker-controlled strings: NFKC (full-width, math alphanumerics,
 * ligatures), invisible characters removed, and Cyrillic/Greek/other look-alikes mapped to Latin.
 * Without it "іgnore previous instructions" (Cyrillic і) or "ig\u200Bnore" slips past a regex.
 */

/** Zero-width, joiners, soft hyphen, word joiner, BOM, Mongolian vowel separator, bidi controls, tag chars. */
const INVISIBLE =
  /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]|[\u{E0000}-\u{E007F}]/gu;

/** Look-alike letters (Unicode TR39 confusables, the subset that maps onto ASCII letters). */
const CONFUSABLES: Record<string, string> = {
  // Cyrillic
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  ѕ: 's',
  і: 'i',
  ї: 'i',
  ј: 'j',
  һ: 'h',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  ӏ: 'l',
  ɡ: 'g',
  ո: 'n',
  ս: 'u',
  г: 'r',
  А: 'a',
  В: 'b',
  Е: 'e',
  К: 'k',
  М: 'm',
  Н: 'h',
  О: 'o',
  Р: 'p',
  С: 'c',
  Т: 't',
  У: 'y',
  Х: 'x',
  Ѕ: 's',
  І: 'i',
  Ј: 'j',
  Ү: 'y',
  // Greek
  α: 'a',
  β: 'b',
  ε: 'e',
  η: 'n',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  ω: 'w',
  Α: 'a',
  Β: 'b',
  Ε: 'e',
  Ζ: 'z',
  Η: 'h',
  Ι: 'i',
  Κ: 'k',
  Μ: 'm',
  Ν: 'n',
  Ο: 'o',
  Ρ: 'p',
  Τ: 't',
  Υ: 'y',
  Χ: 'x',
  // Latin extensions, IPA and symbols that render like ASCII
  ı: 'i',
  ȷ: 'j',
  ɑ: 'a',
  ɩ: 'i',
  ʀ: 'r',
  ᴀ: 'a',
  ᴄ: 'c',
  ᴅ: 'd',
  ᴇ: 'e',
  ɢ: 'g',
  ʜ: 'h',
  ɪ: 'i',
  ᴊ: 'j',
  ᴋ: 'k',
  ʟ: 'l',
  ᴍ: 'm',
  ɴ: 'n',
  ᴏ: 'o',
  ᴘ: 'p',
  ꜱ: 's',
  ᴛ: 't',
  ᴜ: 'u',
  ᴠ: 'v',
  ᴡ: 'w',
  ʏ: 'y',
  ᴢ: 'z',
  '０': '0',
  '１': '1',
  ⅰ: 'i',
  ⅼ: 'l',
};

/** Code unit → ASCII code of its look-alike (0 = not a look-alike). */
const FOLD = new Uint16Array(0x10000);
for (const [k, v] of Object.entries(CONFUSABLES)) FOLD[k.charCodeAt(0)] = v.charCodeAt(0);
const UTF16 = new TextDecoder('utf-16le');

/** Digits and symbols used in place of letters inside words ("1gn0re", "pr3vious"), by code. */
const LEET = new Uint16Array(128);
for (const [k, v] of Object.entries({ 0: 'o', 1: 'i', 3: 'e', 4: 'a', 5: 's', 7: 't', '@': 'a', $: 's' }))
  LEET[k.charCodeAt(0)] = v.charCodeAt(0);

/** Code units that join words: JavaScript's `\s`, and `_` and `+` (keys and URLs). */
const JOINER = new Uint8Array(0x10000);
for (const c of [
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff, 0x5f,
  0x2b,
])
  JOINER[c] = 1;
for (let c = 0x2000; c <= 0x200a; c++) JOINER[c] = 1;

export interface FoldedText {
  /** NFKC + invisibles removed + lower case: for non-Latin patterns (Russian, Chinese...). */
  plain: string;
  /** `plain` with look-alikes folded to ASCII and whitespace collapsed: for English patterns. */
  folded: string;
  /** Leetspeak folded inside words, on top of `folded`. */
  leet: string;
  /** The input contained invisible characters or mixed-script look-alikes. */
  obfuscated: boolean;
}

export function foldText(input: string): FoldedText {
  const nfkc = input.normalize('NFKC');
  const visible = nfkc.replace(INVISIBLE, '');
  const plain = visible.toLowerCase();
  // One pass over the code units: every look-alike is one BMP code unit mapped to one ASCII
  // letter (a table lookup, linear even when every character is one), each run of word joiners
  // becomes one space (`ignore_previous_instructions`, `?q=ignore+previous`), and a leetspeak
  // digit or symbol is read as its letter when a letter comes before it in the same word.
  const folded16 = new Uint16Array(plain.length);
  const leet16 = new Uint16Array(plain.length);
  let n = 0;
  let swapped = false;
  let leeted = false;
  let joining = false;
  let afterLetter = false;
  for (let i = 0; i < plain.length; i++) {
    const c = plain.charCodeAt(i);
    const m = FOLD[c]!;
    if (m !== 0) swapped = true;
    const d = m || c;
    if (JOINER[d] === 1) {
      if (!joining) {
        folded16[n] = 32;
        leet16[n++] = 32;
      }
      joining = true;
      afterLetter = false;
      continue;
    }
    joining = false;
    folded16[n] = d;
    const letter = d >= 97 && d <= 122;
    const l = d < 128 ? LEET[d]! : 0;
    if (afterLetter && l !== 0) {
      leet16[n++] = l;
      leeted = true;
      continue;
    }
    leet16[n++] = d;
    if (letter) afterLetter = true;
    else if (!((d >= 48 && d <= 57) || d === 64 || d === 36)) afterLetter = false;
  }
  const folded = UTF16.decode(folded16.subarray(0, n));
  const leet = leeted ? UTF16.decode(leet16.subarray(0, n)) : folded;
  // Look-alikes only count as obfuscation when mixed into Latin words (not plain Russian text).
  const mixedScript =
    swapped && /[a-z][^\sa-z]*[\u0370-\u03ff\u0400-\u04ff]|[\u0370-\u03ff\u0400-\u04ff][a-z]/.test(plain);
  return { plain, folded, leet, obfuscated: visible.length !== nfkc.length || mixedScript };
}
