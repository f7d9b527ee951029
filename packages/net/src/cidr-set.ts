import { parseCidr, parseIp } from './ip.ts';

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
