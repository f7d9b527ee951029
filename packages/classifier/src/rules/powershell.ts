import { constants, gunzipSync, inflateRawSync, inflateSync, type ZlibOptions } from 'node:zlib';
import { linear } from '../linear.ts';

/**
 * PowerShell `-EncodedCommand` takes base64 of UTF-16LE text. Attackers use it to hide the real
 * command from command-line logging, so the rules decode it and inspect the plain text too:
 * `-enc` payloads, `FromBase64String('...')` literals (compressed with Deflate/GZip streams or
 * not), and the common obfuscations (backticks, string concatenation, the format operator, char
 * codes). All work is bounded: payloads are capped, inflation has an output limit, every pass is
 * linear in the text.
 */

/**
 * `-e`, `-en`, `-enc`, ... `-encodedcommand` (PowerShell accepts any unambiguous prefix), `/e` too.
 * These two run on V8's engine (recheck finds them safe; the ReDoS gate checks them): a literal or a
 * space must start every match, so V8 skips a long base64 run in a fraction of a millisecond,
 * where re2js needed a DFA pass to answer and an NFA pass to find each match. `u` makes `i` fold
 * like RE2 (the long s and the Kelvin sign match `s` and `k`).
 */
const ENC_ARG =
  /(?:^|\s)[-/]e(?:n(?:c(?:o(?:d(?:e(?:d(?:c(?:o(?:m(?:m(?:a(?:n(?:d)?)?)?)?)?)?)?)?)?)?)?)?)?\s+["']?[A-Za-z0-9+/=]{16}/giu;
const FROM_B64 = /frombase64string\(\s*["'][A-Za-z0-9+/=]{16}/giu;
/**
 * Windows caps a command line at 32,767 characters, so no real encoded command is longer; a
 * longer run is decoded up to this length (the rest is padding, and decoding it costs CPU).
 */
const MAX_PAYLOAD = 32_768;

/** The base64 run that starts where `m` matched its first 16 base64 characters. */
function payloadAt(text: string, m: RegExpMatchArray): string {
  let start = m.index! + m[0].length - 16;
  let end = start;
  while (end < text.length && end - start < MAX_PAYLOAD && isBase64(text.charCodeAt(end))) end++;
  if (start < 0) start = 0;
  return text.slice(start, end);
}

function isBase64(c: number): boolean {
  return (
    (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 61
  );
}

/** Most bytes a compressed payload may inflate to (a decompression bomb stops here). */
const MAX_INFLATED = 256 * 1024;

/** Deflate/GZip payloads (`IO.Compression.DeflateStream`, `GzipStream`); undefined when not compressed. */
type Inflater = (b: Buffer, o: ZlibOptions) => Buffer;

function inflate(buf: Buffer): Buffer | undefined {
  const kinds: Inflater[] = buf[0] === 0x1f && buf[1] === 0x8b ? [gunzipSync] : [inflateRawSync, inflateSync];
  for (const fn of kinds) {
    const out = inflateBounded(buf, fn);
    if (out && out.length > 0) return out;
  }
  return undefined;
}

/**
 * The stream inflated up to MAX_INFLATED. A stream that inflates further (a bomb, or a payload
 * padded so it would not be decoded) is read as far as the limit allows: the longest input prefix
 * whose output fits, found in at most 24 bounded attempts.
 */
function inflateBounded(buf: Buffer, fn: Inflater): Buffer | undefined {
  try {
    return fn(buf, { maxOutputLength: MAX_INFLATED });
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_BUFFER_TOO_LARGE') return undefined;
  }
  let lo = 0;
  let hi = buf.length;
  let best: Buffer | undefined;
  for (let i = 0; i < 24 && lo < hi; i++) {
    const mid = (lo + hi + 1) >> 1;
    try {
      best = fn(buf.subarray(0, mid), { maxOutputLength: MAX_INFLATED, finishFlush: constants.Z_SYNC_FLUSH });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return best;
}

function decodeUtf16(b64: string, compressed = false): string | undefined {
  try {
    let buf: Buffer = Buffer.from(b64, 'base64');
    if (buf.length < 4) return undefined;
    if (compressed || (buf[0] === 0x1f && buf[1] === 0x8b)) buf = inflate(buf) ?? buf;
    // UTF-16LE ASCII text has a zero byte in every odd position; fall back to UTF-8 otherwise.
    let zeros = 0;
    for (let i = 1; i < buf.length; i += 2) if (buf[i] === 0) zeros++;
    const text = zeros >= buf.length / 4 ? buf.toString('utf16le') : buf.toString('utf8');
    return printable(text) ? text : undefined;
  } catch {
    return undefined;
  }
}

function printable(text: string): boolean {
  if (!text) return false;
  let ok = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x20 && c <= 0x7e) || c === 9 || c === 10 || c === 13) ok++;
  }
  return ok / text.length > 0.85;
}

const COMPRESSED = linear(/deflatestream|gzipstream|io\.compression/i);

/**
 * Decoded payloads of `-EncodedCommand` and `FromBase64String('...')` found in a command line,
 * read up to MAX_SCRIPT characters (what the rules, the prompt and injection detection decode).
 */
export function decodePowerShell(line: string): string[] {
  const commandLine = line.length > MAX_SCRIPT ? line.slice(0, MAX_SCRIPT) : line;
  const out: string[] = [];
  // Only a FromBase64String literal can be a compressed stream: look for the stream type then.
  let compressed: boolean | undefined;
  for (const re of [ENC_ARG, FROM_B64]) {
    for (const m of commandLine.matchAll(re)) {
      if (out.length >= MAX_DECODED) return out;
      if (re === FROM_B64) compressed ??= COMPRESSED.test(commandLine);
      const text = decodeUtf16(payloadAt(commandLine, m), re === FROM_B64 && compressed);
      if (text) out.push(text);
    }
  }
  return out;
}

/** Most payloads decoded out of one text. */
const MAX_DECODED = 8;

/** `[char]73`, `[char]0x49` (each one character). */
const CHAR_CODE = /\[char\]\s*(?:\(\s*(0x[0-9a-f]{1,4}|\d{1,5})\s*\)|(0x[0-9a-f]{1,4}|\d{1,5}))/gi;
/** `[char[]](73,69,88)` or `[char[]]@(73,69,88)`. */
const CHAR_ARRAY = linear(/\[char\[\]\]\s*@?\(\s*([0-9a-fx,\s]{1,1000})\)/i);
/** `"{1}{0}" -f 'a','b'`: the format string and the argument list up to the closing parenthesis. */
const FORMAT_OP =
  /["']((?:\{\d{1,2}\}|[^"'{}])+)["']\s*-f\s*((?:'[^']*'|"[^"]*")(?:\s*,\s*(?:'[^']*'|"[^"]*"))*)/gi;

function codeToChar(code: string): string {
  const n = code.toLowerCase().startsWith('0x') ? Number.parseInt(code.slice(2), 16) : Number(code);
  return Number.isFinite(n) && n > 0 && n < 0x10000 ? String.fromCharCode(n) : '';
}

/** Replaces every match of `re` in `text` by `fn(match)`: one left-to-right pass. */
function replaceAll(
  text: string,
  re: ReturnType<typeof linear>,
  fn: (m: RegExpMatchArray) => string,
): string {
  let out = '';
  let last = 0;
  for (const m of re.matchAll(text)) {
    out += text.slice(last, m.index) + fn(m);
    last = m.index! + m[0].length;
  }
  return last === 0 ? text : out + text.slice(last);
}

function unquote(arg: string): string {
  const t = arg.trim();
  return t.slice(1, -1);
}

/**
 * Undoes the usual PowerShell obfuscations so the script reads like what it runs: backtick
 * escapes (`` I`E`X ``), character codes (`[char]73`), format strings (`"{1}{0}" -f 'X','IE'`)
 * and string concatenation (`'Down'+'loadString'`). Each step is one linear pass.
 */
export function deobfuscate(script: string): string {
  let t = script.includes('`') ? script.split('`').join('') : script;
  if (t.includes('[]]') || t.includes('[ ]]'))
    t = replaceAll(
      t,
      CHAR_ARRAY,
      (m) =>
        `'${m[1]!
          .split(',')
          .map((c) => codeToChar(c.trim()))
          .join('')}'`,
    );
  // V8's engine for these two (recheck finds them safe; the ReDoS gate checks them): thousands
  // of matches cost microseconds there and milliseconds through re2js.
  t = t.replace(CHAR_CODE, (_, a?: string, b?: string) => `'${codeToChar(a ?? b ?? '')}'`);
  t = t.replace(FORMAT_OP, (_, format: string, list: string) => {
    const args = splitArgs(list);
    return `'${format.replace(/\{(\d{1,2})\}/g, (_m, i: string) => args[Number(i)] ?? '')}'`;
  });
  return joinConcatenations(t);
}

const isQuote = (c: string | undefined) => c === "'" || c === '"';
const SPACE = /^\s$/;
const isSpace = (c: string | undefined) => c !== undefined && SPACE.test(c);

/**
 * 'a' + 'b' → 'ab' (also "a"+"b" and mixed quotes, at most 20 spaces each side of the plus): a
 * scan that looks at most 42 characters from each quote (recheck's fuzzer was not stable on the
 * bounded-repeat regex this replaces).
 */
function joinConcatenations(t: string): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < t.length; i++) {
    if (!isQuote(t[i])) continue;
    let j = i + 1;
    for (let n = 0; n < 20 && isSpace(t[j]); n++) j++;
    if (t[j] !== '+') continue;
    j++;
    for (let n = 0; n < 20 && isSpace(t[j]); n++) j++;
    if (!isQuote(t[j])) continue;
    out += t.slice(last, i);
    last = j + 1;
    i = j;
  }
  return last === 0 ? t : out + t.slice(last);
}

/** The quoted arguments of a format operator, in order. */
function splitArgs(list: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < list.length && out.length < 31) {
    const q = list[i];
    if (q === "'" || q === '"') {
      const end = list.indexOf(q, i + 1);
      if (end < 0) break;
      out.push(unquote(list.slice(i, end + 1)));
      i = end + 1;
    } else i++;
  }
  return out;
}

/**
 * Most characters of one text the decoders read: Windows caps a command line at 32,767
 * characters and PowerShell logs a long script block in parts of about that size, so nothing a
 * process ran is longer.
 */
export const MAX_SCRIPT = 32_768;

/**
 * The decoded and de-obfuscated forms of scripts and command lines, for rules to judge like a
 * command line: `-enc` / `FromBase64String` payloads (one level of nesting), and the
 * de-obfuscated text when it differs from the original. At most MAX_DECODED per input.
 */
export function decodedForms(texts: readonly string[]): string[] {
  return [...new Set(texts.flatMap((t) => decodeScript(t).forms))];
}

/**
 * One text's decoded forms (see decodedForms), and among them the `-enc` / FromBase64String
 * payloads of the text itself (`direct`: what command.rules.ts decodes on its own).
 */
export function decodeScript(raw: string): { forms: string[]; direct: string[] } {
  const text = raw.length > MAX_SCRIPT ? raw.slice(0, MAX_SCRIPT) : raw;
  const forms: string[] = [];
  const plain = deobfuscate(text);
  if (plain !== text) forms.push(plain);
  const direct = decodePowerShell(text);
  for (const d of [...direct, ...(plain !== text ? decodePowerShell(plain) : [])]) {
    forms.push(d);
    const inner = deobfuscate(d);
    if (inner !== d) forms.push(inner);
    forms.push(...decodePowerShell(inner));
  }
  return { forms: forms.slice(0, MAX_DECODED).filter((f) => f !== raw), direct };
}

/** True when the command line uses an encoded-command switch at all (decoded or not). */
export function hasEncodedSwitch(commandLine: string): boolean {
  return /powershell|pwsh/i.test(commandLine) && commandLine.search(ENC_ARG) >= 0;
}
