import { RE2JS } from 're2js';

/**
 * Patterns that run over alert text run on RE2 (re2js): matching time is linear in the input
 * whatever the pattern, so no alert can freeze a worker. V8's backtracking engine took 36 s of CPU
 * on a 756-byte URL against `(?:\s|\+|\/\*.*?\*\/)+`; a pattern here cannot do that.
 *
 * Patterns are written as JS regex literals for readability and translated once at load; the
 * literal itself is never executed by V8 (the ReDoS gate, linear.test.ts, skips literals passed
 * straight to `linear()` and requires every other regex literal in the package to be safe).
 * Supported flags: `i`, `s`, `m`, `u` (RE2 is Unicode-aware), `g` (ignored: use `matchAll`).
 * RE2 has no lookaround and no back-references; a pattern that needs them does not compile.
 */
export class LinearPattern {
  readonly source: string;
  readonly flags: string;
  private readonly re: RE2JS;

  constructor(pattern: RegExp | string, flags = '') {
    const source = typeof pattern === 'string' ? pattern : pattern.source;
    const all = typeof pattern === 'string' ? flags : `${pattern.flags}${flags}`;
    this.source = source;
    this.flags = all;
    let bits = 0;
    if (all.includes('i')) bits |= RE2JS.CASE_INSENSITIVE;
    if (all.includes('s')) bits |= RE2JS.DOTALL;
    if (all.includes('m')) bits |= RE2JS.MULTILINE;
    this.translated = RE2JS.translateRegExp(source);
    this.bits = bits;
    this.re = RE2JS.compile(this.translated, bits);
  }

  private readonly translated: string;
  private readonly bits: number;
  /** Literals a match must contain (see `Need`), worked out when a long input first comes. */
  private needs: Need | undefined;

  /**
   * False when `input` cannot match: a long input lacks the literals every match contains. Each
   * check is a V8 substring search over the input's lower-case form (made once per input and
   * shared by every pattern), tens of times faster than a pass of re2js's DFA.
   */
  mayMatch(input: string): boolean {
    if (input.length < PREFILTER_MIN) return true;
    this.needs ??= needsOf(this.translated, this.bits);
    return this.needs === true || holds(this.needs, lowerOf(input));
  }

  /** True when the pattern occurs anywhere in `input` (RE2's DFA path: the cheapest question). */
  test(input: string): boolean {
    return this.mayMatch(input) && this.re.test(input);
  }

  /** The first match, shaped like `RegExpExecArray` (`[0]`, groups by index, `index`, `input`). */
  exec(input: string): RegExpExecArray | null {
    // A DFA pass first: most inputs do not match, and capture extraction costs several times more.
    if (!this.test(input)) return null;
    return this.re.exec(input) as RegExpExecArray | null;
  }

  /** Every non-overlapping match, left to right. */
  *matchAll(input: string): IterableIterator<RegExpMatchArray> {
    if (!this.test(input)) return;
    yield* this.re.matchAll(input);
  }

  toString(): string {
    return `/${this.source}/${this.flags}`;
  }
}

/**
 * What a match must contain, as lower-case ASCII literals: a string (it occurs), every member of
 * `and`, or some member of `or`; `true` when nothing is known. Read from re2js's own prefilter of
 * the pattern compiled case-sensitively (re2js builds none for a case-insensitive pattern), each
 * literal lower-cased, which is sound against the input's lower-case form: ASCII letters fold
 * only to each other, and of the two non-ASCII letters RE2 folds onto ASCII, `toLowerCase` maps
 * the Kelvin sign to `k` and `lowerOf` maps the long s to `s`. A literal with any other non-ASCII
 * character is unknown (its lower case can depend on context, like the Greek final sigma).
 */
type Need = true | string | { and: Need[] } | { or: Need[] };

/** Shorter inputs go straight to the DFA: the prefilter pays off on long text only. */
const PREFILTER_MIN = 2048;

interface Re2Prefilter {
  type: number;
  str: string;
  subs: Re2Prefilter[];
}
const EXACT = 1;
const AND = 2;
const OR = 3;

function needsOf(translated: string, bits: number): Need {
  let pf: Re2Prefilter | null | undefined;
  try {
    const exact = RE2JS.compile(translated, bits & ~RE2JS.CASE_INSENSITIVE) as unknown as {
      re2Input?: { prefilter?: Re2Prefilter | null };
    };
    pf = exact.re2Input?.prefilter;
  } catch {
    return true;
  }
  return pf ? needOf(pf) : true;
}

function needOf(pf: Re2Prefilter): Need {
  switch (pf.type) {
    case EXACT:
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range is the point
      return /^[\x00-\x7f]+$/.test(pf.str) ? pf.str.toLowerCase() : true;
    case AND: {
      const and = pf.subs.map(needOf).filter((n) => n !== true);
      return and.length === 0 ? true : and.length === 1 ? and[0]! : { and };
    }
    case OR: {
      const or = pf.subs.map(needOf);
      return or.some((n) => n === true) ? true : { or };
    }
    default:
      return true;
  }
}

function holds(n: Need, text: Lowered): boolean {
  if (n === true) return true;
  if (typeof n === 'string') return text.has(n);
  if ('and' in n) return n.and.every((m) => holds(m, text));
  return n.or.some((m) => holds(m, text));
}

/**
 * A long input in lower case, with the ASCII character pairs it contains (one pass): a literal
 * with a pair the text lacks is absent without a search, which on repetitive hostile text is
 * nearly every literal. Answers are kept: the patterns of a table share many literals.
 */
class Lowered {
  private readonly text: string;
  private readonly chars = new Uint8Array(128);
  private readonly pairs = new Uint8Array(128 * 128);
  private readonly answers = new Map<string, boolean>();
  constructor(input: string) {
    this.text = input.toLowerCase().replaceAll('\u017f', 's');
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

  private pairsPresent(literal: string): boolean {
    if (this.chars[literal.charCodeAt(0)] === 0) return false;
    for (let i = 1; i < literal.length; i++) {
      if (this.pairs[literal.charCodeAt(i - 1) * 128 + literal.charCodeAt(i)] === 0) return false;
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

/**
 * Many patterns over one text in about one pass: RE2 tests the union of all of them first (its
 * DFA walks the text once, whatever the number of alternatives), and only when the union matches
 * are the members tested one by one. Most alert text matches none of a table's rows, so a table
 * of 50 rows costs one pass instead of 50.
 */
export class PatternSet {
  readonly members: readonly LinearPattern[];
  private readonly union: LinearPattern;
  constructor(members: readonly LinearPattern[]) {
    this.members = members;
    this.union = new LinearPattern(
      members
        .map((p) => `(?${['i', 's', 'm'].filter((f) => p.flags.includes(f)).join('')}:${p.source})`)
        .join('|'),
    );
  }

  /** Indexes of the members that occur in `input`, in member order. */
  matching(input: string): number[] {
    if (input === '') return [];
    // Members whose literals the text lacks are out before any DFA pass; the union is asked
    // only when more than one is left.
    const left = this.members.flatMap((p, i) => (p.mayMatch(input) ? [i] : []));
    if (left.length === 0 || (left.length > 1 && !this.union.test(input))) return [];
    return left.filter((i) => this.members[i]!.test(input));
  }

  test(input: string): boolean {
    return input !== '' && this.members.some((p) => p.mayMatch(input)) && this.union.test(input);
  }
}

/**
 * Compiled patterns by flags and source. Compiling is the expensive part of RE2 (parse, rune
 * classes, program: ~100 µs and more for a table row), and `linear()` is also called inside rule
 * functions, once per alert: a pattern is compiled once per process. A LinearPattern holds no
 * match state, so one instance serves every caller. The patterns are the code's own: the map is
 * bounded by the number of distinct literals in the source.
 */
const compiled = new Map<string, LinearPattern>();

/** A linear-time pattern from a regex literal (`linear(/\bmimikatz\b/i)`) or a source string. */
export function linear(pattern: RegExp | string, flags = ''): LinearPattern {
  const key =
    typeof pattern === 'string' ? `${flags}/${pattern}` : `${pattern.flags}${flags}/${pattern.source}`;
  let p = compiled.get(key);
  if (!p) {
    p = new LinearPattern(pattern, flags);
    compiled.set(key, p);
  }
  return p;
}
