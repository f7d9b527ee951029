import type { IpScope } from '@triage/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CidrSet } from './cidr-set.ts';
import { canonicalIp, cidrContains, parseCidr, parseIp } from './ip.ts';
import { embeddedIpv4, ipScope, isInternalIp } from './ip-scope.ts';

describe('ipScope', () => {
  const table: Array<[string, IpScope]> = [
    ['8.8.8.8', 'public'],
    ['185.220.101.52', 'public'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['169.254.169.254', 'link_local'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.254', 'cgnat'],
    ['100.128.0.1', 'public'],
    ['192.0.2.10', 'documentation'],
    ['198.51.100.10', 'documentation'],
    ['203.0.113.10', 'documentation'],
    ['198.18.0.1', 'reserved'],
    ['198.19.255.255', 'reserved'],
    ['224.0.0.251', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link_local'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['2a00:1450:4001:82b::200e', 'public'],
    ['2001:4860:4860::8888', 'public'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::192.168.0.1', 'private'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['4000::1', 'reserved'],
    ['not an ip', 'reserved'],
  ];
  it.each(table)('%s → %s', (ip, scope) => {
    expect(ipScope(ip)).toBe(scope);
  });

  it('finds the IPv4 inside mapped and NAT64 addresses', () => {
    expect(embeddedIpv4('::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(embeddedIpv4('64:ff9b::102:304')).toBe('1.2.3.4');
    expect(embeddedIpv4('2001:db8::1')).toBeUndefined();
  });
});

describe('cidr', () => {
  it('canonicalises IPv6 per RFC 5952', () => {
    expect(canonicalIp('2001:0DB8:0000:0000:0001:0000:0000:0001')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIp('2001:0418:8006:0000:0000:0000:0000:0009')).toBe('2001:418:8006::9');
    expect(canonicalIp('0:0:0:0:0:0:0:0')).toBe('::');
    expect(canonicalIp('1.2.3.4')).toBe('1.2.3.4');
    expect(canonicalIp('1.2.3')).toBeUndefined();
  });

  it('round-trips any IPv6 through parse/format', () => {
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        const c = canonicalIp(ip);
        expect(c).toBeDefined();
        expect(parseIp(c!)?.value).toBe(parseIp(ip)?.value);
      }),
    );
  });

  it('matches CIDRs at their edges only', () => {
    expect(cidrContains('10.0.0.0/8', '10.255.255.255')).toBe(true);
    expect(cidrContains('10.0.0.0/8', '11.0.0.0')).toBe(false);
    expect(cidrContains('2001:db8::/32', '2001:db8:ffff::1')).toBe(true);
    expect(cidrContains('2001:db8::/32', '2001:db9::')).toBe(false);
    expect(cidrContains('10.0.0.0/8', '2001:db8::1')).toBe(false);
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('10.0.0.7/24')).toMatchObject({ start: parseIp('10.0.0.0')!.value });
  });

  it('CidrSet agrees with a linear scan and prefers the narrowest range', () => {
    const set = new CidrSet([
      { cidr: '10.0.0.0/8', value: 'wide' },
      { cidr: '10.1.0.0/16', value: 'narrow' },
      { cidr: '192.168.0.0/24', value: 'lan' },
      { cidr: '2001:db8::/32', value: 'doc6' },
    ]);
    expect(set.match('10.1.2.3')).toBe('narrow');
    expect(set.match('10.2.0.1')).toBe('wide');
    expect(set.match('192.168.0.255')).toBe('lan');
    expect(set.match('192.168.1.0')).toBeUndefined();
    expect(set.match('2001:db8::5')).toBe('doc6');
    const cidrs = ['1.0.0.0/8', '1.2.0.0/16', '5.5.5.0/24', '200.0.0.0/6', '7.7.7.7/32'];
    const big = new CidrSet(cidrs.map((cidr) => ({ cidr, value: cidr })));
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        const linear = cidrs.filter((c) => cidrContains(c, ip));
        expect(big.has(ip)).toBe(linear.length > 0);
      }),
    );
  });
});

describe('one IP module for every package', () => {
  it('internal means any scope but public and documentation; non-IPs are not internal', () => {
    for (const ip of [
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '127.0.0.1',
      '169.254.1.1',
      '100.64.0.1',
      '::1',
      'fd00::1',
      '[fe80::1]',
    ])
      expect(isInternalIp(ip), ip).toBe(true);
    for (const ip of ['8.8.8.8', '2001:4860::8888', '192.0.2.10', 'example.com', ''])
      expect(isInternalIp(ip), ip).toBe(false);
  });

  it('takes only literal addresses: no shorthand, octal or hex forms that ipaddr.js alone would accept', () => {
    for (const text of ['127.1', '010.0.0.1', '0x7f.0.0.1', '1.2.3.4.5', '1.2.3', 'fe80::1::2'])
      expect(parseIp(text), text).toBeUndefined();
    expect(canonicalIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalIp('fe80::1%eth0')).toBe('fe80::1');
    expect(canonicalIp('::FFFF:1.2.3.4')).toBe('::ffff:102:304');
  });
});
