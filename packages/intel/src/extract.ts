import { isIPv4 } from 'node:net';
import type { AlertSignals, NormalizedAlert, Observable, ObservableType } from '@triage/contracts';
import { canonicalIp, embeddedIpv4, ipScope } from '@triage/net';
import type { Allowlist } from './allowlist.ts';
import { FILE_LIKE_TLDS, hasKnownTld } from './tlds.ts';

/** Default cap: an alert with more observables than this is a log dump, and every extra one costs quota. */
export const MAX_OBSERVABLES = 100;

export interface ExtractOptions {
  /** INTEL_ALLOWLIST; matching observables are kept but flagged `allowlisted`. */
  allowlist?: Allowlist;
  /** INTEL_MAX_OBSERVABLES. Named fields are taken first, so they survive the cap. */
  maxObservables?: number;
}

/** Bounds on the walk through `facts` and `raw`, so a hostile payload cannot make extraction slow. */
const MAX_DEPTH = 12;
const MAX_TOTAL_CHARS = 512 * 1024;
const MAX_STRING_CHARS = 64 * 1024;

/** Keys whose values are identifiers: a 32/64-hex id there is not a file hash. */
const ID_KEY =
  /(?:^|[_.\-\s])(?:_?id|ids|uuid|guid|fingerprint|session|trace|span|token|nonce|etag|correlation)$|^_?id$/i;
/**
 * Keys (and objects) holding account names: `maria.es` or `li.de` there is a person, not a host,
 * and sending it to a provider would leak a user name. Emails in them are still taken.
 * Covers ECS `user.name`, Windows `TargetUserName` / `SubjectUserName`, `UserPrincipalName`, `src_user`.
 */
const USER_KEY =
  /(?:user|username|user_name|accountname|account_name|principalname|principal_name|samaccountname|upn)$|(?:^|_)(?:account|login|principal|actor)$/i;
/** Our own fingerprint is a hash of the alert, never an observable. */
const SKIP_KEYS = new Set(['fingerprint']);
/**
 * User agents name browser and library versions (`Chrome/131.0.0.0`, `curl/8.4.0.1`) that look
 * like addresses, and the occasional crawler URL: nothing in them is worth a lookup.
 */
const USER_AGENT_KEY = /user.?agent/i;

const DOMAIN_SYNTAX = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

const RE = {
  url: /\b(?:https?|ftp):\/\/[^\s"'<>`\\{}|^]+/gi,
  email:
    /(?<![\w.%+-])[a-z0-9%+_-](?:[a-z0-9._%+-]{0,62}[a-z0-9_%+-])?@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(?![\w-]|\.[a-z0-9])/gi,
  // Sysmon's `IMPHASH=` is an import-table hash, not the file's: it names no sample to look up.
  hash: /(?<!imphash=)\b[0-9a-f]{32,64}\b/gi,
  // Not a product version (`Chrome/131.0.0.0`, `Version/17.4.1.0`): a word and a slash before it.
  ipv4: /(?<![\w.])(?<![A-Za-z][\w.-]{0,63}\/)(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\d)/g,
  ipv6: /(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9a-f]{0,4})(?![\w:])/gi,
  domain:
    /(?<![\w@.\-\\/])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})(?![\w-]|\.[a-z0-9])/gi,
};

const HASH_BY_LENGTH: Record<number, ObservableType> = { 32: 'md5', 40: 'sha1', 64: 'sha256' };

/**
 * Undoes the defanging analysts and feeds apply so an indicator is not clicked by accident:
 * `hxxp://`, `evil[.]com`, `evil(.)com`, `1.2.3[.]4`, `http[:]//`, `user[@]host`.
 */
export function refang(text: string): string {
  return text
    .replace(/\bh(?:xx|\*\*)p(s?)(?=\[?:)/gi, 'http$1')
    .replace(/\bfxp(?=\[?:)/gi, 'ftp')
    .replace(/\[:\/\/\]/g, '://')
    .replace(/\[:\]/g, ':')
    .replace(/\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)/gi, '.')
    .replace(/\[@\]|\[at\]/gi, '@');
}

/**
 * Drops sentence / JSON punctuation glued to the end of a URL; a closing bracket stays when
 * balanced. Bracket counts are taken once (one pass, and only when a bracket ends the URL) and
 * updated as characters come off: recounting per character was quadratic (80 s of CPU for a
 * 65 KB run of `)`).
 */
function trimUrl(url: string): string {
  let n: Int32Array | undefined;
  let end = url.length;
  while (end > 0) {
    const c = url.charCodeAt(end - 1);
    if (trailing(c)) {
      end--;
      continue;
    }
    const k = c === 0x29 ? 0 : c === 0x5d ? 1 : c === 0x7d ? 2 : -1;
    if (k < 0) break;
    n ??= bracketCounts(url);
    // Balanced (as many opened as closed): the bracket is part of the URL.
    if (n[k]! >= n[k + 3]!) break;
    n[k + 3]!--;
    end--;
  }
  return url.slice(0, end);
}

/** `"',;.!?:>`: punctuation a sentence or a JSON string glues to the end of a URL. */
function trailing(c: number): boolean {
  return (
    c === 0x22 ||
    c === 0x27 ||
    c === 0x2c ||
    c === 0x3b ||
    c === 0x2e ||
    c === 0x21 ||
    c === 0x3f ||
    c === 0x3a ||
    c === 0x3e
  );
}

/** Counts of `(`, `[`, `{`, `)`, `]`, `}` in `s`, in that order. */
function bracketCounts(s: string): Int32Array {
  const n = new Int32Array(6);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x28) n[0]!++;
    else if (c === 0x5b) n[1]!++;
    else if (c === 0x7b) n[2]!++;
    else if (c === 0x29) n[3]!++;
    else if (c === 0x5d) n[4]!++;
    else if (c === 0x7d) n[5]!++;
  }
  return n;
}

function blank(text: string, re: RegExp): string {
  return text.replace(re, (m) => ' '.repeat(m.length));
}

class Collector {
  readonly items: Observable[] = [];
  private readonly seen = new Set<string>();
  private readonly allowlist: Allowlist | undefined;
  private readonly max: number;
  chars = 0;
  /**
   * Texts already scanned, with what was looked for (1: hashes, 2: host names): the same text
   * often comes several times (a description, its signal, the raw field it was read from).
   */
  readonly scanned = new Map<string, number>();

  constructor(options: ExtractOptions) {
    this.allowlist = options.allowlist;
    this.max = options.maxObservables ?? MAX_OBSERVABLES;
  }

  get full(): boolean {
    return this.items.length >= this.max;
  }

  add(type: ObservableType, value: string): void {
    const key = `${type}|${value}`;
    if (this.full || this.seen.has(key)) return;
    this.seen.add(key);
    const obs: Observable = { type, value };
    if (type === 'ipv4' || type === 'ipv6') obs.scope = ipScope(value);
    if (this.allowlist?.has(type, value)) obs.allowlisted = true;
    this.items.push(obs);
  }

  ip(text: string): boolean {
    return this.once('ip', text, () => this.readIp(text));
  }

  private readIp(text: string): boolean {
    const canonical = canonicalIp(text.trim().replace(/^\[|\]$/g, ''));
    if (!canonical) return false;
    // ::ffff:a.b.c.d is the IPv4 host on a dual-stack socket: look it up as that IPv4.
    const mapped = canonical.startsWith('::ffff:') ? embeddedIpv4(canonical) : undefined;
    if (mapped) this.add('ipv4', mapped);
    else this.add(isIPv4(canonical) ? 'ipv4' : 'ipv6', canonical);
    return true;
  }

  /** Answers of `url` and `domain` so far: hostile text repeats one candidate thousands of times. */
  private readonly tried = new Map<string, Map<string, boolean>>();
  private once(kind: string, text: string, read: () => boolean): boolean {
    let answers = this.tried.get(kind);
    if (!answers) {
      answers = new Map();
      this.tried.set(kind, answers);
    }
    let ok = answers.get(text);
    if (ok === undefined) {
      ok = read();
      answers.set(text, ok);
    }
    return ok;
  }

  /** `fromText`: found in free text, where `setup.py`-style names are files, not hosts. */
  domain(text: string, fromText: boolean): boolean {
    return this.once(fromText ? 'text-domain' : 'domain', text, () => this.readDomain(text, fromText));
  }

  private readDomain(text: string, fromText: boolean): boolean {
    const d = text.trim().toLowerCase().replace(/\.$/, '');
    if (d.length > 253 || !DOMAIN_SYNTAX.test(d) || !hasKnownTld(d)) return false;
    const labels = d.split('.');
    if (fromText && labels.length === 2 && FILE_LIKE_TLDS.has(labels[1]!)) return false;
    this.add('domain', d);
    return true;
  }

  url(text: string): boolean {
    return this.once('url', text, () => this.readUrl(text));
  }

  private readUrl(text: string): boolean {
    let u: URL;
    try {
      u = new URL(trimUrl(refang(text.trim())));
    } catch {
      return false;
    }
    if (!['http:', 'https:', 'ftp:'].includes(u.protocol)) return false;
    const host = u.hostname.replace(/^\[|\]$/g, '');
    if (!canonicalIp(host) && !(DOMAIN_SYNTAX.test(host) && hasKnownTld(host))) return false;
    // Credentials in a URL are a secret of the victim, not part of the indicator: never send them out.
    u.username = '';
    u.password = '';
    u.hash = '';
    this.add('url', u.href);
    // The host has its own reputation (a fresh URL is often unknown while its domain is not).
    if (!this.ip(host)) this.domain(host, false);
    return true;
  }

  hash(value: string, algorithm?: ObservableType): boolean {
    const v = value.trim().toLowerCase();
    const type = HASH_BY_LENGTH[v.length];
    if (!type || !/^[0-9a-f]+$/.test(v) || /^\d+$/.test(v) || /^(.)\1+$/.test(v)) return false;
    if (algorithm && algorithm !== type) return false;
    this.add(type, v);
    return true;
  }

  email(value: string): void {
    this.add('email', value.toLowerCase());
  }
}

interface ScanOptions {
  hashes: boolean;
  domains: boolean;
}
const ALL: ScanOptions = { hashes: true, domains: true };

/** Finds every observable in one string. Order matters: URLs and emails are removed before hosts are searched. */
function scanText(raw: string, c: Collector, opts: ScanOptions = ALL): void {
  if (c.full || c.chars >= MAX_TOTAL_CHARS) return;
  const cut = raw.length > MAX_STRING_CHARS ? raw.slice(0, MAX_STRING_CHARS) : raw;
  const wanted = (opts.hashes ? 1 : 0) | (opts.domains ? 2 : 0);
  const before = c.scanned.get(cut);
  if (before !== undefined && (before & wanted) === wanted) return;
  c.scanned.set(cut, (before ?? 0) | wanted);
  let text = refang(cut);
  c.chars += text.length;

  // Each pattern runs only where the character every match holds occurs (`://`, `@`, `:`, `.`):
  // the email pattern alone looks up to 64 characters ahead from every position of a text.
  if (text.includes('://')) {
    for (const m of text.matchAll(RE.url)) c.url(m[0]);
    text = blank(text, RE.url);
  }
  if (text.includes('@')) {
    for (const m of text.matchAll(RE.email)) {
      const domain = m[0].slice(m[0].lastIndexOf('@') + 1).toLowerCase();
      if (hasKnownTld(domain)) c.email(m[0]);
    }
    // An email's domain is the mailbox provider, not an indicator: blank it before searching for hosts.
    text = blank(text, RE.email);
  }
  if (opts.hashes) for (const m of text.matchAll(RE.hash)) c.hash(m[0]);
  // IPv6 first: `::ffff:1.2.3.4` and `64:ff9b::1.2.3.4` end in a dotted quad the IPv4 pattern would take.
  if (text.includes(':')) {
    for (const m of text.matchAll(RE.ipv6)) if (/[0-9a-f]/i.test(m[0])) c.ip(m[0]);
    text = blank(text, RE.ipv6);
  }
  if (!text.includes('.')) return;
  for (const m of text.matchAll(RE.ipv4)) c.ip(m[0]);
  text = blank(text, RE.ipv4);
  if (opts.domains) for (const m of text.matchAll(RE.domain)) c.domain(m[0], true);
}

function walk(value: unknown, c: Collector, depth: number, key: string, inUser: boolean): void {
  if (c.full || c.chars >= MAX_TOTAL_CHARS || depth > MAX_DEPTH || USER_AGENT_KEY.test(key)) return;
  if (typeof value === 'string') scanText(value, c, { hashes: !ID_KEY.test(key), domains: !inUser });
  else if (Array.isArray(value)) for (const v of value) walk(v, c, depth + 1, key, inUser);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (!SKIP_KEYS.has(k.toLowerCase())) walk(v, c, depth + 1, k, inUser || USER_KEY.test(k));
    }
  }
}

/**
 * Every observable in an alert: the named fields first (so the cap never drops them), then every
 * string in the description, command lines, facts and the raw payload (bounded depth and size).
 * Values are canonical (lowercase hosts and hashes, RFC 5952 IPv6) and de-duplicated. IPs carry
 * their scope; allow-listed values are flagged, never dropped, so the classifier still sees them.
 */
export function extractObservables(alert: NormalizedAlert, options: ExtractOptions = {}): Observable[] {
  const c = new Collector(options);
  const noHashes = { hashes: false, domains: true };
  fromSignals(alert.signals, c);
  for (const ip of [alert.src_ip, alert.dst_ip]) if (ip && !c.ip(ip)) scanText(ip, c, noHashes);
  for (const u of alert.urls ?? []) if (!c.url(u)) scanText(u, c, noHashes);
  for (const d of alert.domains ?? []) {
    const host = refang(d);
    if (!c.ip(host) && !c.domain(host, false)) scanText(d, c, noHashes);
  }
  for (const h of alert.hashes ?? []) c.hash(h.value, h.algorithm);
  if (alert.user) scanText(alert.user, c, { hashes: false, domains: false });
  for (const text of [
    alert.description,
    alert.process?.command_line,
    alert.process?.parent_command_line,
    ...signalTexts(alert.signals),
  ]) {
    if (text) scanText(text, c);
  }
  walk(alert.facts, c, 0, 'facts', false);
  walk(alert.raw, c, 0, 'raw', false);
  return c.items;
}

/**
 * Fields a normalizer typed (addresses, URLs, host names asked for, hashes), taken as what they
 * are: no pattern guesses, and they come before anything the free-text scan finds. A relative
 * URL or a host name that is not a domain is simply not an observable.
 */
function fromSignals(s: AlertSignals | undefined, c: Collector): void {
  if (!s) return;
  for (const ip of [s.network?.src_ip, s.network?.dst_ip, s.host?.ip]) if (ip) c.ip(ip);
  if (s.network?.url) c.url(s.network.url);
  const host = s.network?.hostname;
  if (host && !c.ip(host)) c.domain(host, false);
  for (const p of [s.process, s.parent, s.grandparent, s.target_process, s.file]) {
    for (const h of p?.hashes ?? []) c.hash(h.value, h.algorithm);
  }
}

/** Free text the signals carry that the flat fields may not: scripts, registry data, log lines. */
function signalTexts(s: AlertSignals | undefined): Array<string | undefined> {
  if (!s) return [];
  return [
    s.script?.text,
    s.registry?.data,
    s.persistence?.command,
    s.grandparent?.command_line,
    ...(s.text ?? []).map((t) => t.value),
  ];
}
