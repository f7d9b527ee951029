import { RE2JS } from 're2js';

/**
 * The literal prefilter of linear patterns. re2js runs a DFA over every character of the input
 * (about 4.5 ms per 256 KiB), V8 finds a substring tens of times faster: a long input that lacks
 * the literals every match of a pattern contains cannot match, and the DFA pass is skipped.
 *
 * `Need` is what a match must contain: a literal (it occurs in the input's lower-case form), every
 * member of `and`, or some member of `or`; `true` when nothing is known. Soundness rests on three
 * facts. The literals are read from re2js's own prefilter (a necessary condition of its matches)
 * of the pattern compiled case-sensitively; re2js builds none for case-insensitive parts, so a
 * case-insensitive pattern's literals are taken as written and compared in lower case. Lower case
 * is taken character by character (`toLowerCase`, except the Greek capital sigma, whose lower case
 * depends on what follows: a literal holding it is unknown), so a text containing a literal has
 * its lower-case form containing the literal's. Under case folding RE2 also matches characters
 * `toLowerCase` does not bring together: among ASCII letters only the long s (mapped to `s` on
 * both sides) and the Kelvin sign (lower case `k`) fold onto them, and a literal of a
 * case-insensitive part may hold only ASCII and caseless characters.
 */
export type Need = true | string | { and: Need[] } | { or: Need[] };

interface Re2Prefilter {
  type: number;
  str: string;
  subs: Re2Prefilter[];
}
const EXACT = 1;
const AND = 2;
const OR = 3;

/**
 * The literals a match of `source` (a JS regex source) must contain. Top-level alternatives are
 * read one by one and a pattern that is one group is read inside it (re2js gives up on an
 * alternation of more than 32 literals, and a table's union is one).
 */
export function needsOf(source: string, caseInsensitive: boolean): Need {
  const alternatives = split(source);
  if (alternatives.length > 1) {
    const or = alternatives.map((a) => needsOf(a, caseInsensitive));
    return or.some((n) => n === true) ? true : { or };
  }
  const group = innerOfGroup(source);
  if (group) return needsOf(group.body, caseInsensitive || group.flags.includes('i'));
  let pf: Re2Prefilter | null | undefined;
  try {
    const exact = RE2JS.compile(RE2JS.translateRegExp(source)) as unknown as {
      re2Input?: { prefilter?: Re2Prefilter | null };
    };
    pf = exact.re2Input?.prefilter;
  } catch {
    return true;
  }
  return pf ? needOf(pf, caseInsensitive) : true;
}

function needOf(pf: Re2Prefilter, caseInsensitive: boolean): Need {
  switch (pf.type) {
    case EXACT:
      return literal(pf.str, caseInsensitive);
    case AND: {
      const and = pf.subs.map((s) => needOf(s, caseInsensitive)).filter((n) => n !== true);
      return and.length === 0 ? true : and.length === 1 ? and[0]! : { and };
    }
    case OR: {
      const or = pf.subs.map((s) => needOf(s, caseInsensitive));
      return or.some((n) => n === true) ? true : { or };
    }
    default:
      return true;
  }
}

function literal(s: string, caseInsensitive: boolean): Need {
  for (const ch of s) {
    if (ch === '\u03a3') return true;
    const caseless = ch.toLowerCase() === ch && ch.toUpperCase() === ch;
    if (caseInsensitive && ch.charCodeAt(0) >= 128 && !caseless) return true;
  }
  return lower(s);
}

const lower = (s: string) => s.toLowerCase().replaceAll('\u017f', 's');

/**
 * The grouping characters of a regex source outside escapes and classes: each `(`, `)` and `|`
 * with its index and the group depth after it.
 */
function* structure(source: string): Generator<[number, string, number]> {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(' || c === ')' || c === '|') {
      depth += c === '(' ? 1 : c === ')' ? -1 : 0;
      yield [i, c, depth];
    }
  }
}

/** The top-level alternatives of a regex source (`|` outside groups and classes). */
function split(source: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (const [i, c, depth] of structure(source)) {
    if (c === '|' && depth === 0) {
      out.push(source.slice(start, i));
      start = i + 1;
    }
  }
  out.push(source.slice(start));
  return out;
}

/** `(?:body)` or `(?flags:body)` spanning the whole source; undefined otherwise. */
function innerOfGroup(source: string): { flags: string; body: string } | undefined {
  if (!source.startsWith('(?') || !source.endsWith(')')) return undefined;
  const colon = source.indexOf(':');
  const flags = source.slice(2, colon);
  if (colon < 0 || !/^[imsu-]*$/.test(flags)) return undefined;
  // The group opened at 0 must close at the very end.
  for (const [i, c, depth] of structure(source)) {
    if (c === ')' && depth === 0 && i !== source.length - 1) return undefined;
  }
  return { flags, body: source.slice(colon + 1, -1) };
}

/** False when `input` lacks what `need` requires (see `Need`). */
export function mayContain(need: Need, input: string): boolean {
  return need === true || holds(need, lowerOf(input));
}

function holds(n: Need, text: Lowered): boolean {
  if (n === true) return true;
  if (typeof n === 'string') return text.has(n);
  if ('and' in n) return n.and.every((m) => holds(m, text));
  return n.or.some((m) => holds(m, text));
}

/**
 * A long input in lower case, with the ASCII characters and character pairs it contains (one
 * pass): a literal with a pair the text lacks is absent without a search, which on repetitive
 * hostile text is nearly every literal. Answers are kept: the patterns of a table share literals.
 */
class Lowered {
  private readonly text: string;
  private readonly chars = new Uint8Array(128);
  private readonly pairs = new Uint8Array(128 * 128);
  private readonly answers = new Map<string, boolean>();
  constructor(input: string) {
    this.text = lower(input);
    const t = this.text;
    let prev = 128;
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c >= 128) {
        prev = 128;
        continue;
      }
      this.chars[c] = 1;
      if (prev < 128) this.pairs[prev * 128 + c] = 1;
      prev = c;
    }
  }

  has(literal: string): boolean {
    let known = this.answers.get(literal);
    if (known === undefined) {
      known = this.pairsPresent(literal) && this.text.includes(literal);
      this.answers.set(literal, known);
    }
    return known;
  }

  /** False when an ASCII character or pair of adjacent ASCII characters of `literal` is absent. */
  private pairsPresent(literal: string): boolean {
    for (let i = 0; i < literal.length; i++) {
      const c = literal.charCodeAt(i);
      if (c >= 128) continue;
      if (this.chars[c] === 0) return false;
      const p = i > 0 ? literal.charCodeAt(i - 1) : 128;
      if (p < 128 && this.pairs[p * 128 + c] === 0) return false;
    }
    return true;
  }
}

/** The last few long inputs, lowered: every pattern of a table asks about the same text. */
const lowered: Array<[string, Lowered]> = [];
function lowerOf(input: string): Lowered {
  for (const [s, l] of lowered) if (s === input) return l;
  const l = new Lowered(input);
  if (lowered.unshift([input, l]) > 8) lowered.pop();
  return l;
}
