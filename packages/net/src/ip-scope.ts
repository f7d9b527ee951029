import type { IpScope } from '@triage/contracts';
import { type IpNumber, parseCidr, parseIp } from './ip.ts';

interface ScopeRule {
  cidr: string;
  scope: IpScope;
}

/**
 * Special-purpose IPv4 blocks (IANA registry, RFC 6890 and successors). Order matters only for
 * readability: the blocks do not overlap except 255.255.255.255 inside 240/4, listed first.
 */
const V4_RULES: ScopeRule[] = [
  { cidr: '255.255.255.255/32', scope: 'reserved' }, // limited broadcast
  { cidr: '0.0.0.0/32', scope: 'unspecified' },
  { cidr: '0.0.0.0/8', scope: 'reserved' }, // "this network"
  { cidr: '10.0.0.0/8', scope: 'private' },
  { cidr: '100.64.0.0/10', scope: 'cgnat' }, // RFC 6598 shared address space
  { cidr: '127.0.0.0/8', scope: 'loopback' },
  { cidr: '169.254.0.0/16', scope: 'link_local' },
  { cidr: '172.16.0.0/12', scope: 'private' },
  { cidr: '192.0.0.0/24', scope: 'reserved' }, // IETF protocol assignments
  { cidr: '192.0.2.0/24', scope: 'documentation' }, // TEST-NET-1
  { cidr: '192.88.99.0/24', scope: 'reserved' }, // deprecated 6to4 relay anycast
  { cidr: '192.168.0.0/16', scope: 'private' },
  { cidr: '198.18.0.0/15', scope: 'reserved' }, // benchmarking (RFC 2544): never routed publicly
  { cidr: '198.51.100.0/24', scope: 'documentation' }, // TEST-NET-2
  { cidr: '203.0.113.0/24', scope: 'documentation' }, // TEST-NET-3
  { cidr: '224.0.0.0/4', scope: 'multicast' },
  { cidr: '240.0.0.0/4', scope: 'reserved' }, // future use
];

/** Special-purpose IPv6 blocks. IPv4-mapped and NAT64 addresses are classified by their embedded IPv4. */
const V6_RULES: ScopeRule[] = [
  { cidr: '::/128', scope: 'unspecified' },
  { cidr: '::1/128', scope: 'loopback' },
  { cidr: '100::/64', scope: 'reserved' }, // discard-only (RFC 6666)
  { cidr: '2001:db8::/32', scope: 'documentation' },
  { cidr: '3fff::/20', scope: 'documentation' }, // RFC 9637
  { cidr: '2001:2::/48', scope: 'reserved' }, // benchmarking
  { cidr: '2001::/23', scope: 'reserved' }, // IETF protocol assignments (Teredo etc.)
  { cidr: 'fc00::/7', scope: 'private' }, // unique local
  { cidr: 'fe80::/10', scope: 'link_local' },
  { cidr: 'fec0::/10', scope: 'reserved' }, // deprecated site-local
  { cidr: 'ff00::/8', scope: 'multicast' },
  { cidr: '::/8', scope: 'reserved' }, // remaining reserved low block (after the IPv4 embeddings below)
];

const compile = (rules: ScopeRule[]) =>
  rules.map((r) => {
    const range = parseCidr(r.cidr);
    if (!range) throw new Error(`bad built-in CIDR ${r.cidr}`);
    return { ...range, scope: r.scope };
  });

const V4 = compile(V4_RULES);
const V6 = compile(V6_RULES);
const MAPPED = parseCidr('::ffff:0:0/96')!;
const NAT64 = parseCidr('64:ff9b::/96')!;
const NAT64_LOCAL = parseCidr('64:ff9b:1::/48')!;

function inRange(ip: IpNumber, r: { start: bigint; end: bigint }): boolean {
  return ip.value >= r.start && ip.value <= r.end;
}

function scopeOf(ip: IpNumber): IpScope {
  if (ip.version === 4) return V4.find((r) => inRange(ip, r))?.scope ?? 'public';
  // The IPv4 inside ::ffff:a.b.c.d or 64:ff9b::a.b.c.d is where the packet really goes.
  if (inRange(ip, MAPPED) || inRange(ip, NAT64))
    return scopeOf({ version: 4, value: ip.value & 0xffffffffn });
  if (inRange(ip, NAT64_LOCAL)) return 'private'; // local-use NAT64 (RFC 8215)
  // 2000::/3 is the only globally routed unicast space today; anything else is reserved.
  const rule = V6.find((r) => inRange(ip, r));
  if (rule) return rule.scope;
  return ip.value >> 125n === 1n ? 'public' : 'reserved';
}

/**
 * Where an IP sits. Only `public` addresses are ever sent to an external provider: the rest
 * would leak internal topology and cannot have reputation anyway. Not an IP → `reserved`,
 * so a caller that forgot to validate still never sends it out.
 */
export function ipScope(ip: string): IpScope {
  const parsed = parseIp(ip);
  return parsed ? scopeOf(parsed) : 'reserved';
}

/** The embedded IPv4 of an IPv4-mapped / NAT64 IPv6 address, so reputation lists can match it. */
export function embeddedIpv4(ip: string): string | undefined {
  const parsed = parseIp(ip);
  if (parsed?.version !== 6) return undefined;
  if (!inRange(parsed, MAPPED) && !inRange(parsed, NAT64)) return undefined;
  const v = parsed.value & 0xffffffffn;
  return [24n, 16n, 8n, 0n].map((s) => ((v >> s) & 0xffn).toString()).join('.');
}

/**
 * Addresses that belong to "us", not the internet: every scope but public and documentation
 * (private, loopback, link-local, CGNAT, ULA, reserved…). Not an IP → false.
 */
export function isInternalIp(ip: string): boolean {
  const parsed = parseIp(ip.trim().replace(/^\[|\]$/g, ''));
  if (!parsed) return false;
  const scope = scopeOf(parsed);
  return scope !== 'public' && scope !== 'documentation';
}
