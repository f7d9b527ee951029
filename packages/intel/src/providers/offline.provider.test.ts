import { readFileSync } from 'node:fs';
import { cidrContains, formatIp, parseCidr } from '@triage/net';
import { describe, expect, it } from 'vitest';
import { OfflineProvider } from './offline.provider.ts';

const offline = new OfflineProvider();

describe('OfflineProvider', () => {
  it('loads every bundled list and exposes the snapshot date', () => {
    expect(offline.counts).toEqual({ blocklist_ranges: 1362, tor_exits: 1746, tor_relays: 8054 });
    expect(offline.snapshotDate).toBe('2024-02-27');
  });

  it('flags a Tor exit from the CSV as suspicious', () => {
    const r = offline.check('185.220.101.1');
    expect(r).toMatchObject({
      provider: 'offline',
      verdict: 'suspicious',
      offline: { lists: ['tor_exit', 'tor_relay'] },
    });
    expect(r.offline?.snapshot).toBe('2024-02-27T09:27:52+05:30');
  });

  it('keeps a relay-only Tor node as unknown but lists it', () => {
    expect(offline.check('1.1.168.51')).toMatchObject({
      verdict: 'unknown',
      offline: { lists: ['tor_relay'] },
    });
    expect(offline.check('2001:418:8006::9').offline?.lists).toEqual(['tor_relay']);
  });

  it('flags Spamhaus DROP / EDROP / DROPv6 ranges as malicious with the matching CIDR', () => {
    expect(offline.check('1.10.20.5')).toMatchObject({
      verdict: 'malicious',
      offline: { lists: ['spamhaus_drop'], cidr: '1.10.16.0/20' },
    });
    expect(offline.check('2.56.247.99')).toMatchObject({
      verdict: 'malicious',
      offline: { lists: ['spamhaus_edrop'] },
    });
    expect(offline.check('2a12:2640::1')).toMatchObject({
      verdict: 'malicious',
      offline: { lists: ['spamhaus_dropv6'] },
    });
    expect(offline.check('::ffff:1.10.20.5').verdict).toBe('malicious');
  });

  it('answers unknown / not_found for a clean IP and for garbage', async () => {
    expect(await offline.lookup({ type: 'ipv4', value: '8.8.8.8' })).toMatchObject({
      verdict: 'unknown',
      not_found: true,
    });
    expect(offline.check('nope')).toMatchObject({ verdict: 'unknown', not_found: true });
    expect(offline.supports('domain')).toBe(false);
  });

  it('reports every list of nested ranges, with the narrowest CIDR', () => {
    // 95.214.25.0/24 (EDROP) sits inside 95.214.24.0/22 (DROP) in the real snapshot.
    expect(offline.check('95.214.25.9').offline).toMatchObject({
      lists: ['spamhaus_edrop', 'spamhaus_drop'],
      cidr: '95.214.25.0/24',
    });
    expect(offline.check('95.214.27.9').offline).toMatchObject({
      lists: ['spamhaus_drop'],
      cidr: '95.214.24.0/22',
    });
  });

  it('agrees with a linear scan over the real ranges', () => {
    const csv = readFileSync(
      new URL('../../data/spamhaus_drop_edrop_dropv6_2024-02-27.csv', import.meta.url),
      'utf8',
    );
    const cidrs = csv
      .split('\n')
      .slice(1)
      .filter((l) => l && !l.includes(':'))
      .map((l) => l.split(',')[0]!);
    // Probe the edges of every range (and just outside), where an off-by-one would show.
    for (const cidr of cidrs.slice(0, 400)) {
      const r = parseCidr(cidr)!;
      for (const v of [r.start - 1n, r.start, r.end, r.end + 1n]) {
        const ip = formatIp({ version: 4, value: v });
        const linear = cidrs.some((c) => cidrContains(c, ip));
        expect(offline.check(ip).verdict === 'malicious', ip).toBe(linear);
      }
    }
  });

  it('looks up fast', () => {
    const t = performance.now();
    for (let i = 0; i < 20_000; i++) offline.check(`45.${i % 250}.${(i >> 8) % 250}.1`);
    expect(performance.now() - t).toBeLessThan(1000);
  });
});
