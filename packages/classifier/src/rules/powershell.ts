import { linear } from '../linear.ts';

/**
 * PowerShell `-EncodedCommand` takes base64 of UTF-16LE text. Attackers use it to hide the real
 * command from command-line logging, so the rules decode it and inspect the plain text too.
 */

/** `-e`, `-en`, `-enc`, ... `-encodedcommand` (PowerShell accepts any unambiguous prefix), `/e` too. */
const ENC_ARG = linear(
  /(?:^|\s)[-/]e(?:n(?:c(?:o(?:d(?:e(?:d(?:c(?:o(?:m(?:m(?:a(?:n(?:d)?)?)?)?)?)?)?)?)?)?)?)?)?\s+["']?[A-Za-z0-9+/=]{16}/i,
);
const FROM_B64 = linear(/frombase64string\(\s*["'][A-Za-z0-9+/=]{16}/i);
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

function decodeUtf16(b64: string): string | undefined {
  try {
    const buf = Buffer.from(b64, 'base64');
    if (buf.length < 4) return undefined;
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

/** Decoded payloads of `-EncodedCommand` and `FromBase64String('...')` found in a command line. */
export function decodePowerShell(commandLine: string): string[] {
  const out: string[] = [];
  for (const re of [ENC_ARG, FROM_B64]) {
    for (const m of re.matchAll(commandLine)) {
      const text = decodeUtf16(payloadAt(commandLine, m));
      if (text) out.push(text);
    }
  }
  return out;
}

/** True when the command line uses an encoded-command switch at all (decoded or not). */
export function hasEncodedSwitch(commandLine: string): boolean {
  return /powershell|pwsh/i.test(commandLine) && ENC_ARG.test(commandLine);
}
