import type { FileHash, HashAlgorithm } from '@triage/contracts';
import { canonicalIp } from '@triage/net';
import { capString, isRecord, MAX_ARRAY_ITEMS, text, toInt } from './fields.ts';

/**
 * Validators for the values threat intel will look up. A wrong IP costs a provider quota call and
 * can poison a verdict, so anything that does not validate is dropped rather than passed along.
 */

/** A valid IPv4/IPv6 address in canonical form (brackets and IPv6 zone ids stripped), else undefined. */
export function parseIp(v: unknown): string | undefined {
  const t = text(v, 256);
  if (t === undefined) return undefined;
  return canonicalIp(t.startsWith('[') && t.endsWith(']') ? t.slice(1, -1) : t);
}

/** First valid IP among candidates (each may be a scalar or an array, e.g. ECS `host.ip`). */
export function firstIp(...candidates: unknown[]): string | undefined {
  for (const c of candidates) {
    for (const item of Array.isArray(c) ? c.slice(0, MAX_ARRAY_ITEMS) : [c]) {
      const ip = parseIp(item);
      if (ip !== undefined) return ip;
    }
  }
  return undefined;
}

/** An integer port 0-65535 from a number or a numeric string; Splunk and Wazuh send strings. */
export function parsePort(v: unknown): number | undefined {
  const n = toInt(v);
  return n !== undefined && n >= 0 && n <= 65535 ? n : undefined;
}

export function firstPort(...candidates: unknown[]): number | undefined {
  for (const c of candidates) {
    const p = parsePort(c);
    if (p !== undefined) return p;
  }
  return undefined;
}

const HASH_LENGTHS: Record<number, HashAlgorithm> = { 32: 'md5', 40: 'sha1', 64: 'sha256' };

/**
 * A hash value; the algorithm comes from its length, which cannot lie, rather than from a label,
 * which sometimes does ("SHA256" fields holding MD5s are common in CEF exports).
 */
export function parseHash(v: unknown): FileHash | undefined {
  const t = text(v, 256);
  if (t === undefined) return undefined;
  const value = t.toLowerCase();
  const algorithm = HASH_LENGTHS[value.length];
  return algorithm !== undefined && /^[0-9a-f]+$/.test(value) ? { algorithm, value } : undefined;
}

const NOT_FILE_HASH_LABEL = /^(imphash|ssdeep|tlsh|ja3s?|hassh|authentihash|pehash|richhash)$/i;

/**
 * Hashes inside free-form strings: Sysmon `SHA256=…,MD5=…`, `sha256:…`, lists. Only whole hex
 * tokens of hash length are taken.
 */
export function hashesIn(v: unknown): FileHash[] {
  const out: FileHash[] = [];
  for (const item of Array.isArray(v) ? v.slice(0, MAX_ARRAY_ITEMS) : [v]) {
    if (isRecord(item)) {
      // { algorithm, value } / { Algorithm, Value } / { algorithm_id, value } shapes.
      const h = parseHash(item.value ?? item.Value ?? item.hashValue ?? item.HashValue);
      if (h) out.push(h);
      continue;
    }
    const t = text(item, 4096);
    if (t === undefined) continue;
    for (const part of t.split(/[\s,;|]+/)) {
      // `IMPHASH=…` (Sysmon), `ssdeep:…`: hash-length hex that is not a file's hash.
      const label = /^([a-z0-9_-]{1,16})[=:]/i.exec(part)?.[1];
      if (label !== undefined && NOT_FILE_HASH_LABEL.test(label)) continue;
      for (const token of part.split(/[^0-9a-fA-F]+/)) {
        const h = parseHash(token);
        if (h) out.push(h);
      }
    }
  }
  return out;
}

/** Absolute URL with a host (relative paths like "/wp-login.php" are not lookups; they stay as facts). */
export function parseUrl(v: unknown): string | undefined {
  const t = text(v, 8192);
  if (t === undefined || !/^[a-z][a-z0-9+.-]{1,15}:\/\/[^\s/]/i.test(t) || /\s/.test(t)) return undefined;
  try {
    const u = new URL(t);
    return u.hostname === '' ? undefined : capString(t, 8192);
  } catch {
    return undefined;
  }
}

export function urlsIn(...values: unknown[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    for (const item of Array.isArray(v) ? v.slice(0, MAX_ARRAY_ITEMS) : [v]) {
      const u = parseUrl(item);
      if (u !== undefined) out.push(u);
    }
  }
  return out;
}

const DOMAIN =
  /^(?=.{4,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** A DNS name with a real-looking TLD; lower-cased, trailing dot removed; IPs are not domains. */
export function parseDomain(v: unknown): string | undefined {
  const t = text(v, 512);
  if (t === undefined) return undefined;
  const d = t.toLowerCase().replace(/\.$/, '');
  return DOMAIN.test(d) && canonicalIp(d) === undefined ? d : undefined;
}

export function domainsIn(...values: unknown[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    for (const item of Array.isArray(v) ? v.slice(0, MAX_ARRAY_ITEMS) : [v]) {
      const d = parseDomain(item);
      if (d !== undefined) out.push(d);
    }
  }
  return out;
}

/** Host part of an absolute URL, when it is a domain (not an IP). */
export function urlDomain(url: string): string | undefined {
  try {
    return parseDomain(new URL(url).hostname);
  } catch {
    return undefined;
  }
}

const TECHNIQUE = /\bT\d{4}(?:\.\d{3})?\b/gi;

/**
 * ATT&CK technique ids (T1110, T1059.001) found in strings, arrays or small objects. Names
 * ("Valid Accounts") are not mapped to ids here: that table belongs to the classifier.
 */
export function techniqueIds(...values: unknown[]): string[] {
  const out: string[] = [];
  const visit = (v: unknown, depth: number): void => {
    if (out.length >= MAX_ARRAY_ITEMS || depth > 4) return;
    if (typeof v === 'string') {
      if (v.length > 65536) return;
      for (const m of v.matchAll(TECHNIQUE)) out.push(m[0].toUpperCase());
    } else if (Array.isArray(v)) {
      for (const x of v.slice(0, MAX_ARRAY_ITEMS)) visit(x, depth + 1);
    } else if (isRecord(v)) {
      for (const x of Object.values(v).slice(0, 50)) visit(x, depth + 1);
    }
  };
  for (const v of values) visit(v, 0);
  return out;
}
