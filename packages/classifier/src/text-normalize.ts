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

/** Digits and symbols used in place of letters inside words ("1gn0re", "pr3vious"). */
const LEET: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '@': 'a',
  $: 's',
};

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
  // Every look-alike is one BMP code unit mapped to one ASCII letter: a table lookup per code
  // unit keeps folding one linear pass even when every character is a look-alike.
  const units = new Uint16Array(plain.length);
  let swapped = false;
  for (let i = 0; i < plain.length; i++) {
    const c = plain.charCodeAt(i);
    const m = FOLD[c]!;
    if (m !== 0) swapped = true;
    units[i] = m || c;
  }
  let folded = UTF16.decode(units);
  // `_` and `+` join words in keys and URLs (ignore_previous_instructions, ?q=ignore+previous).
  folded = folded.replace(/[\s_+]+/g, ' ');
  const leet = folded.replace(/[a-z][a-z0-9@$]*[a-z0-9@$]/g, (w) =>
    w.replace(/[013457@$]/g, (c) => LEET[c] ?? c),
  );
  // Look-alikes only count as obfuscation when mixed into Latin words (not plain Russian text).
  const mixedScript =
    swapped && /[a-z][^\sa-z]*[\u0370-\u03ff\u0400-\u04ff]|[\u0370-\u03ff\u0400-\u04ff][a-z]/.test(plain);
  return { plain, folded, leet, obfuscated: visible.length !== nfkc.length || mixedScript };
}
