import { isIPv4, isIPv6 } from 'node:net';

/** An IP address as a number: IPv4 in 32 bits, IPv6 in 128 bits (bigint keeps both exact). */
export interface IpNumber {
  version: 4 | 6;
  value: bigint;
}

/** An inclusive address range, e.g. from a CIDR. */
export interface IpRange {
  version: 4 | 6;
  start: bigint;
  end: bigint;
}

const V4_BITS = 32;
const V6_BITS = 128;

function parseV4(ip: string): bigint {
  let n = 0n;
  for (const part of ip.split('.')) n = (n << 8n) | BigInt(Number(part));
  return n;
}

function parseV6(ip: string): bigint {
  let text = ip;
  // A trailing dotted quad (::ffff:1.2.3.4) stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseV4(tail);
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', rest] = text.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = rest ? rest.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups =
    rest === undefined ? headGroups : [...headGroups, ...Array(missing).fill('0'), ...tailGroups];
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(Number.parseInt(g, 16));
  return n;
}

/** Parses an IPv4 or IPv6 literal (zone ids like `%eth0` are dropped); undefined when not an IP. */
export function parseIp(ip: string): IpNumber | undefined {
  const bare = ip.split('%')[0] ?? '';
  if (isIPv4(bare)) return { version: 4, value: parseV4(bare) };
  if (isIPv6(bare)) return { version: 6, value: parseV6(bare) };
  return undefined;
}

/** Canonical text of an address: dotted quad, or RFC 5952 IPv6 (lowercase, longest zero run compressed). */
export function formatIp(ip: IpNumber): string {
  if (ip.version === 4) {
    return [24n, 16n, 8n, 0n].map((s) => ((ip.value >> s) & 0xffn).toString()).join('.');
  }
  const groups: number[] = [];
  for (let i = 7n; i >= 0n; i--) groups.push(Number((ip.value >> (i * 16n)) & 0xffffn));
  // RFC 5952: compress the longest run (length ≥ 2) of zero groups, the first one on ties.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** The canonical form of an IP literal, or undefined when it is not one. */
export function canonicalIp(ip: string): string | undefined {
  const parsed = parseIp(ip);
  return parsed ? formatIp(parsed) : undefined;
}

/** Parses `a.b.c.d/n` or `x::/n` (a bare address is a /32 or /128); undefined when malformed. */
export function parseCidr(cidr: string): IpRange | undefined {
  const [addr = '', bitsText] = cidr.trim().split('/');
  const ip = parseIp(addr);
  if (!ip) return undefined;
  const width = ip.version === 4 ? V4_BITS : V6_BITS;
  if (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText)) return undefined;
  const bits = bitsText === undefined ? width : Number(bitsText);
  if (bits > width) return undefined;
  const hostBits = BigInt(width - bits);
  const start = (ip.value >> hostBits) << hostBits;
  return { version: ip.version, start, end: start + (1n << hostBits) - 1n };
}

/** True when `ip` lies inside `cidr`. Both are text; a malformed input is simply "not inside". */
export function cidrContains(cidr: string, ip: string): boolean {
  const range = parseCidr(cidr);
  const addr = parseIp(ip);
  return (
    !!range &&
    !!addr &&
    range.version === addr.version &&
    addr.value >= range.start &&
    addr.value <= range.end
  );
}

interface Entry<T> {
  start: bigint;
  end: bigint;
  /** Largest `end` among this entry and every entry before it: lets a lookup stop early with nested ranges. */
  maxEnd: bigint;
  value: T;
}

/**
 * Many CIDRs, looked up in O(log n): ranges sorted by start, binary search for the last start ≤ ip.
 * Nested or overlapping ranges still match (the walk-back is bounded by the running max end),
 * and the narrowest match wins so a /24 inside a /16 reports the /24.
 */
export class CidrSet<T> {
  private readonly v4: Entry<T>[];
  private readonly v6: Entry<T>[];

  constructor(items: Iterable<{ cidr: string; value: T }>) {
    const v4: Omit<Entry<T>, 'maxEnd'>[] = [];
    const v6: Omit<Entry<T>, 'maxEnd'>[] = [];
    for (const { cidr, value } of items) {
      const r = parseCidr(cidr);
      if (!r) continue;
      (r.version === 4 ? v4 : v6).push({ start: r.start, end: r.end, value });
    }
    this.v4 = CidrSet.index(v4);
    this.v6 = CidrSet.index(v6);
  }

  get size(): number {
    return this.v4.length + this.v6.length;
  }

  /** The value of the narrowest range containing `ip`, or undefined. */
  match(ip: string): T | undefined {
    return this.matchAll(ip)[0];
  }

  /** Values of every range containing `ip`, narrowest first (real blocklists do nest: a /24 EDROP inside a /22 DROP). */
  matchAll(ip: string): T[] {
    const addr = parseIp(ip);
    if (!addr) return [];
    const list = addr.version === 4 ? this.v4 : this.v6;
    let lo = 0;
    let hi = list.length - 1;
    let idx = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.start <= addr.value) {
        idx = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const hits: Entry<T>[] = [];
    for (let i = idx; i >= 0 && list[i]!.maxEnd >= addr.value; i--) {
      if (list[i]!.end >= addr.value) hits.push(list[i]!);
    }
    return hits.sort((a, b) => (a.end - a.start < b.end - b.start ? -1 : 1)).map((e) => e.value);
  }

  has(ip: string): boolean {
    return this.match(ip) !== undefined;
  }

  private static index<T>(items: Omit<Entry<T>, 'maxEnd'>[]): Entry<T>[] {
    items.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    let maxEnd = -1n;
    return items.map((e) => {
      if (e.end > maxEnd) maxEnd = e.end;
      return { ...e, maxEnd };
    });
  }
}
