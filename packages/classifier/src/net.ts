/*
 * Small, self-contained IP helpers. The intel package has its own (written concurrently); the
 * classifier keeps these few lines so a verdict never depends on another package's internals.
 */

/** IPv4 or IPv6 text → [version, value] or undefined. */
export function parseIp(text: string): { v: 4 | 6; n: bigint } | undefined {
  const s = text.trim().replace(/^\[|\]$/g, '');
  const v4 = parseV4(s);
  if (v4 !== undefined) return { v: 4, n: BigInt(v4) };
  const v6 = parseV6(s);
  return v6 === undefined ? undefined : { v: 6, n: v6 };
}

function parseV4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0;
}

function parseV6(s: string): bigint | undefined {
  if (!s.includes(':') || !/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  let text = s;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const tail = /(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(text);
  if (tail) {
    const v4 = parseV4(tail[1]!);
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, -tail[1]!.length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) + BigInt(Number.parseInt(g, 16));
  }
  return n;
}

/** True when `ip` is inside `cidr` (or equals it when no prefix length is given). */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, lenText] = cidr.split('/');
  const a = parseIp(ip);
  const b = base ? parseIp(base) : undefined;
  if (!a || !b || a.v !== b.v) return false;
  const bits = a.v === 4 ? 32 : 128;
  const len = lenText === undefined ? bits : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > bits) return false;
  const shift = BigInt(bits - len);
  return a.n >> shift === b.n >> shift;
}

const NON_PUBLIC = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '100.64.0.0/10',
  '0.0.0.0/8',
  'fc00::/7',
  'fe80::/10',
  '::1/128',
];

/** RFC 1918, loopback, link-local, CGNAT, ULA: addresses that belong to "us", not the internet. */
export function isInternalIp(ip: string): boolean {
  return NON_PUBLIC.some((c) => inCidr(ip, c));
}

/** Matches an IP or hostname against KNOWN_BENIGN entries (IP, CIDR, hostname, `*.suffix`). */
export function matchesBenign(value: string | undefined, entries: readonly string[]): string | undefined {
  if (!value) return undefined;
  const v = value.trim().toLowerCase();
  const isIp = parseIp(v) !== undefined;
  for (const raw of entries) {
    const e = raw.trim().toLowerCase();
    if (!e) continue;
    if (isIp) {
      if (e.includes('/') ? inCidr(v, e) : parseIp(e) && inCidr(v, e)) return raw;
    } else if (e.startsWith('*.') ? v.endsWith(e.slice(1)) : v === e || v.split('.')[0] === e) {
      return raw;
    }
  }
  return undefined;
}
