import { text, toInt } from './fields.ts';
import type { SignalsBuilder } from './signals.ts';

/**
 * Fields read out of a raw log line (Wazuh `full_log`, Splunk `_raw`, ECS `event.original`).
 * Everything found in a line is content, because an attacker writes parts of most lines (a user
 * name, a URL, a user agent) and can write a whole fake line inside them. The one exception is
 * an IDS alert line (Snort/Suricata fast.log) that the caller knows, from metadata such as the
 * decoder, to be the sensor's own output: then an anchored parse — the line itself begins with
 * the fast.log header, after at most a syslog prefix — is the IDS's verdict. All parsing here is
 * indexOf-based or uses bounded patterns: linear in the line's length.
 */

const SYSLOG_PREFIX =
  /^(?:<\d{1,3}>)?(?:[A-Z][a-z]{2} {1,2}\d{1,2} \d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T[\d:.]{8,15}(?:Z|[+-]\d{2}:?\d{2})?) \S{1,255} [\w./-]{1,64}(?:\[\d{1,10}\])?: ?$/;

/** Suricata/Snort fast.log's own timestamp (`01/15/2022-07:01:47.882369  `) before the header. */
const FAST_LOG_TIME = /^\d{2}\/\d{2}(?:\/\d{2,4})?-\d{2}:\d{2}:\d{2}(?:\.\d{1,9})? {1,8}$/;

/** `[**] [1:2210000:1] SIGNATURE [**] [Classification: X] [Priority: 3] {TCP} a:1 -> b:2`, anchored. */
export function parseFastLog(
  line: string,
): { sid: string; signature: string; classification?: string; priority?: number } | undefined {
  const start = line.indexOf('[**] [');
  if (start < 0) return undefined;
  const prefix = line.slice(0, start);
  if (prefix.trim() !== '' && !SYSLOG_PREFIX.test(prefix) && !FAST_LOG_TIME.test(prefix)) return undefined;
  const idEnd = line.indexOf('] ', start + 6);
  const end = line.indexOf(' [**]', idEnd);
  if (idEnd < 0 || end < 0 || idEnd - start > 40) return undefined;
  const ids = line.slice(start + 6, idEnd).split(':');
  if (ids.length !== 3 || !ids.every((x) => /^\d{1,10}$/.test(x))) return undefined;
  // A second header in the same line means the line quotes another: not the sensor's own.
  const rest = line.slice(end + 5);
  if (/\[\*\*\] \[\d/.test(rest)) return undefined;
  const cls = bracketed(rest, '[Classification: ');
  const prio = toInt(bracketed(rest, '[Priority: '));
  return {
    sid: ids[1]!,
    signature: line.slice(idEnd + 2, end).trim(),
    ...(cls !== undefined ? { classification: cls } : {}),
    ...(prio !== undefined ? { priority: prio } : {}),
  };
}

function bracketed(s: string, open: string): string | undefined {
  const at = s.indexOf(open);
  if (at < 0) return undefined;
  const close = s.indexOf(']', at + open.length);
  return close < 0 ? undefined : s.slice(at + open.length, close).trim();
}

const METHOD = /^[A-Z]{3,12}$/;
const VERSION_STATUS = /^HTTP\/\d(?:\.\d)?" (\d{3}) /;

/**
 * The request line `"GET /path HTTP/1.1" 200 ` of a combined log, found by indexOf from each
 * ` HTTP/`: the URL runs back to the previous space, the method back to a quote at most 13
 * characters before it. Linear in the line; a backtracking pattern for the same shape
 * (`"([A-Z]{3,12}) (\S{1,16384}) HTTP…`) retries every start position across the URL run.
 */
function requestLine(line: string): { method: string; url: string; status: number; end: number } | undefined {
  for (let h = line.indexOf(' HTTP/'); h >= 0; h = line.indexOf(' HTTP/', h + 6)) {
    const urlStart = line.lastIndexOf(' ', h - 1) + 1;
    if (urlStart === 0 || h - urlStart < 1 || h - urlStart > 16_384) continue;
    const quote = line.lastIndexOf('"', urlStart - 2);
    if (quote < 0 || urlStart - 1 - quote > 13) continue;
    const method = line.slice(quote + 1, urlStart - 1);
    const tail = VERSION_STATUS.exec(line.slice(h + 1, h + 24));
    if (!METHOD.test(method) || !tail) continue;
    return { method, url: line.slice(urlStart, h), status: Number(tail[1]), end: h + 1 + tail[0].length };
  }
  return undefined;
}

/**
 * Apache/Nginx combined log: `"GET /path HTTP/1.1" 200 123 "referer" "user agent"`. The request
 * line by indexOf (requestLine), the user agent as the last quoted field.
 */
export function parseCombinedLog(
  line: string,
): { method: string; url: string; status: number; userAgent?: string } | undefined {
  const m = requestLine(line.length > 65_536 ? line.slice(0, 65_536) : line);
  if (!m) return undefined;
  const trimmed = line.trimEnd();
  let userAgent: string | undefined;
  if (trimmed.endsWith('"')) {
    const open = trimmed.lastIndexOf('"', trimmed.length - 2);
    const ua = open > m.end ? trimmed.slice(open + 1, -1) : undefined;
    userAgent = ua === '-' ? undefined : ua;
  }
  return { method: m.method, url: m.url, status: m.status, ...(userAgent ? { userAgent } : {}) };
}

/** Reads what a log line says into signals; see the file comment for provenance. */
export function readLogLine(line: string, from: string, b: SignalsBuilder, idsLine: boolean): void {
  if (idsLine) {
    const fast = parseFastLog(line);
    if (fast) {
      b.meta('detection.signature', fast.signature, from);
      b.meta('detection.signature_id', fast.sid, from);
      b.meta('detection.category', fast.classification, from);
      b.meta('detection.priority', fast.priority, from);
      return;
    }
  }
  const web = parseCombinedLog(line);
  if (web) {
    b.content('network.http_method', web.method, from);
    b.content('network.url', web.url, from);
    b.content('network.http_status', web.status, from);
    b.content('network.user_agent', text(web.userAgent), from);
  }
}
