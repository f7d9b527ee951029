import { RE2JS } from 're2js';
import { mayContain, type Need, needsOf } from './prefilter.ts';

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
    this.caseInsensitive = all.includes('i');
    this.re = RE2JS.compile(RE2JS.translateRegExp(source), bits);
  }

  private readonly caseInsensitive: boolean;
  /** Literals a match must contain (prefilter.ts), worked out when a long input first comes. */
  private needs: Need | undefined;

  /**
   * False when `input` cannot match: a long input lacks the literals every match contains. Each
   * check is a V8 substring search over the input's lower-case form (made once per input and
   * shared by every pattern), tens of times faster than a pass of re2js's DFA.
   */
  mayMatch(input: string): boolean {
    if (input.length < PREFILTER_MIN) return true;
    this.needs ??= needsOf(this.source, this.caseInsensitive);
    return mayContain(this.needs, input);
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

/** Shorter inputs go straight to the DFA: the prefilter pays off on long text only. */
const PREFILTER_MIN = 2048;

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
