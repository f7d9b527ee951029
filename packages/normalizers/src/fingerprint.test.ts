import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVolatileFact } from './fingerprint.ts';
import { fingerprint, normalize } from './index.ts';
import { fixtureRecords, refusedByDesign } from './test-support/fixtures.ts';

type Json = Record<string, unknown>;

/** Same object, keys inserted in reverse order at every level. */
function reverseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(
    Object.entries(v)
      .reverse()
      .map(([k, x]) => [k, reverseKeys(x)]),
  );
}

const clone = <T>(v: T): T => structuredClone(v);
const fp = (input: unknown): string => normalize(input).fingerprint;

const wazuh = (): Json =>
  clone(fixtureRecords('wazuh/wazuh_alerts_aitads_nshot_16_labeled.ndjson')[11] as Json);
const original = (): Json => clone(fixtureRecords('seed/seed_alerts.json')[0] as Json);
const sentinel = (): Json =>
  clone(
    (fixtureRecords('sentinel/securityalert_msticpy_alertlist.ndjson') as Json[]).find(
      (r) => r.SystemAlertId === '98a6dea6-1b64-41d0-938e-0dec24b234ec',
    ) as Json,
  );

describe('fingerprint', () => {
  it('is a sha256 hex digest', () => {
    expect(fp(original())).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ignores key order at every level', () => {
    for (const doc of [wazuh(), original(), sentinel()]) expect(fp(reverseKeys(doc))).toBe(fp(doc));
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (doc) => {
        fc.pre(!refusedByDesign(doc));
        expect(fp(reverseKeys(doc))).toBe(fp(doc));
      }),
      { numRuns: 300 },
    );
  });

  it('ignores ids, timestamps, counters and source ports of a re-delivery (Wazuh)', () => {
    const again = wazuh();
    again.id = '1999999999.123';
    again['@timestamp'] = '2023-05-05T05:05:05.000Z';
    (again.rule as Json).firedtimes = 999;
    again.full_log = 'Jan 18 00:00:00 intranet-server sudo: same command, later';
    expect(fp(again)).toBe(fp(wazuh()));
  });

  it('ignores ids, timestamps, source ports and workflow state (Sentinel)', () => {
    const again = sentinel();
    again.SystemAlertId = 'new-id';
    again.ProviderAlertId = 'new-provider-id';
    again.StartTimeUtc = '2020-01-01 00:00:00';
    again.EndTimeUtc = '2020-01-01 00:00:00';
    again.TimeGenerated = '2020-01-01 00:00:00';
    again.ExtendedProperties = (again.ExtendedProperties as string).replace(
      '"Attacker Port": "80"',
      '"Attacker Port": "81"',
    );
    expect(normalize(again).src_port).toBe(81);
    expect(fp(again)).toBe(fp(sentinel()));
  });

  it('ignores the time of an original-service alert but not its evidence', () => {
    const again = original();
    (again.alert as Json).time = '23:59';
    expect(fp(again)).toBe(fp(original()));
    const more = original();
    (more.alert as Json).failed_logins = 13;
    expect(fp(more)).not.toBe(fp(original()));
    const failed = original();
    (failed.alert as Json).success = false;
    expect(fp(failed)).not.toBe(fp(original()));
  });

  it('treats "true" and true alike (the original data mixes them)', () => {
    const a = original();
    const b = original();
    (b.alert as Json).success = 'true';
    expect(fp(b)).toBe(fp(a));
  });

  it('changes with the user, the source IP, the destination, the host or the rule', () => {
    const base = fp(original());
    const user = original();
    (user.alert as Json).user = 'bob@company.com';
    const ip = original();
    (ip.alert as Json).source_ip = '193.32.162.158';
    const name = original();
    name.name = 'Brute Force - TOR 2';
    expect(new Set([base, fp(user), fp(ip), fp(name)]).size).toBe(4);

    const w = wazuh();
    const host = wazuh();
    (host.predecoder as Json).hostname = 'other-server';
    const cmd = wazuh();
    (cmd.data as Json).command = '/bin/cat /etc/passwd';
    expect(new Set([fp(w), fp(host), fp(cmd)]).size).toBe(3);

    const s = sentinel();
    const dst = sentinel();
    dst.ExtendedProperties = (dst.ExtendedProperties as string).replace(
      '"Victim IP": "1.2.3.4"',
      '"Victim IP": "1.2.3.5"',
    );
    expect(fp(dst)).not.toBe(fp(s));
  });

  it('is order-insensitive for observables and case-insensitive for hosts and domains', () => {
    const a = {
      name: 'x',
      host: 'WEB-01',
      hashes: [
        { algorithm: 'md5' as const, value: 'a'.repeat(32) },
        { algorithm: 'sha1' as const, value: 'b'.repeat(40) },
      ],
      urls: ['http://a.example/1', 'http://b.example/2'],
      domains: ['A.example', 'b.example'],
      facts: { z: 1, a: [1, 2] },
    };
    const b = {
      facts: { a: [1, 2], z: 1 },
      domains: ['b.example', 'a.example'],
      urls: ['http://b.example/2', 'http://a.example/1'],
      hashes: [...a.hashes].reverse(),
      host: 'web-01',
      name: 'x',
    };
    expect(fingerprint(b)).toBe(fingerprint(a));
    expect(fingerprint({ ...a, user: 'Alice' })).not.toBe(fingerprint({ ...a, user: 'alice' }));
  });

  it('leaves out ids, raw, severity wording and the source port', () => {
    const a = { name: 'x', src_ip: '1.1.1.1', dst_port: 22 };
    expect(
      fingerprint({
        ...a,
        source_id: '1',
        severity: 'High',
        src_port: 5,
        first_seen: '2020-01-01T00:00:00Z',
      }),
    ).toBe(
      fingerprint({ ...a, source_id: '2', severity: 'Low', src_port: 6, last_seen: '2021-01-01T00:00:00Z' }),
    );
    expect(fingerprint({ ...a, dst_port: 23 })).not.toBe(fingerprint(a));
  });

  it('classifies volatile fact keys by their last word', () => {
    for (const k of [
      'id',
      'flow_id',
      'ThreatId',
      'rule_firedtimes',
      'created_at_t [UTC]',
      'TimeGenerated [UTC]',
      'EventTimeStamp',
      'status',
      'status_label',
      'classification_reason',
      'incident_number',
      'alert_count',
      'id_d',
    ]) {
      expect(isVolatileFact(k), k).toBe(true);
    }
    for (const k of [
      'failed_logins',
      'success',
      'location',
      'rule_level',
      'rule_groups',
      'disposition',
      'count',
      'compliance_result',
    ]) {
      expect(isVolatileFact(k), k).toBe(false);
    }
  });
});
