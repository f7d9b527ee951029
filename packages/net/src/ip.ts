import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

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

function toBigInt(bytes: number[]): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

/**
 * Parses an IPv4 or IPv6 literal (zone ids like `%eth0` are dropped); undefined when not an IP.
 * Syntax is checked by `node:net` first: ipaddr.js also accepts `127.1` and octal or hex parts,
 * which no log means as an address and which would make `010.0.0.1` and `8.0.0.1` the same host.
 * IPv4 is four decimal octets once validated, read directly (the hot path of every lookup);
 * IPv6, with its compressions and embedded dotted quads, is ipaddr.js's job.
 */
export function parseIp(ip: string): IpNumber | undefined {
  const bare = ip.split('%')[0] ?? '';
  const version = isIP(bare);
  if (version === 4) {
    let n = 0;
    for (const part of bare.split('.')) n = n * 256 + Number(part);
    return { version: 4, value: BigInt(n) };
  }
  if (version === 6) return { version: 6, value: toBigInt(ipaddr.IPv6.parse(bare).toByteArray()) };
  return undefined;
}

/** Canonical text of an address: dotted quad, or RFC 5952 IPv6 (lowercase, longest zero run compressed). */
export function formatIp(ip: IpNumber): string {
  if (ip.version === 4) return [24n, 16n, 8n, 0n].map((s) => ((ip.value >> s) & 0xffn).toString()).join('.');
  const bytes: number[] = [];
  for (let i = 15; i >= 0; i--) bytes.push(Number((ip.value >> BigInt(i * 8)) & 0xffn));
  return new ipaddr.IPv6(bytes).toRFC5952String();
}

/** The canonical form of an IP literal, or undefined when it is not one. */
export function canonicalIp(ip: string): string | undefined {
  const parsed = parseIp(ip);
  return parsed ? formatIp(parsed) : undefined;
}

/** True for a valid IPv4 / IPv6 literal (brackets around IPv6 allowed, as in URLs and logs). */
export function isIpLiteral(text: string): boolean {
  return parseIp(text.trim().replace(/^\[|\]$/g, '')) !== undefined;
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
