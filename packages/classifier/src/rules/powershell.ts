/**
 * PowerShell `-EncodedCommand` takes base64 of UTF-16LE text. Attackers use it to hide the real
 * command from command-line logging, so the rules decode it and inspect the plain text too.
 */

/** `-e`, `-en`, `-enc`, ... `-encodedcommand` (PowerShell accepts any unambiguous prefix), `/e` too. */
const ENC_ARG =
  /(?:^|\s)[-/]e(?:n(?:c(?:o(?:d(?:e(?:d(?:c(?:o(?:m(?:m(?:a(?:n(?:d)?)?)?)?)?)?)?)?)?)?)?)?)?\s+["']?([A-Za-z0-9+/=]{16,})/gi;
const FROM_B64 = /frombase64string\(\s*["']([A-Za-z0-9+/=]{16,})["']/gi;

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
  for (const ch of text) if (/[\x20-\x7e\t\r\n]/.test(ch)) ok++;
  return ok / text.length > 0.85;
}

/** Decoded payloads of `-EncodedCommand` and `FromBase64String('...')` found in a command line. */
export function decodePowerShell(commandLine: string): string[] {
  const out: string[] = [];
  for (const re of [ENC_ARG, FROM_B64]) {
    re.lastIndex = 0;
    for (const m of commandLine.matchAll(re)) {
      const text = decodeUtf16(m[1]!);
      if (text) out.push(text);
    }
  }
  return out;
}

/** True when the command line uses an encoded-command switch at all (decoded or not). */
export function hasEncodedSwitch(commandLine: string): boolean {
  ENC_ARG.lastIndex = 0;
  return /powershell|pwsh/i.test(commandLine) && ENC_ARG.test(commandLine);
}
