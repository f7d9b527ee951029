import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRecord } from './fields.ts';
import { type FingerprintSource, isVolatileFact } from './fingerprint.ts';
import { fingerprint, normalize } from './index.ts';
import { alertFixtureFiles, fixtureRecords, refusedByDesign } from './test-support/fixtures.ts';

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

/**
 * The fingerprint as first defined: sha256 of the identity object with keys sorted at every level.
 * Fingerprints are stored (verdict cache keys, source-id claims), so the implementation must keep
 * giving exactly these bytes.
 */
function referenceFingerprint(alert: FingerprintSource): string {
  const canonical = (v: unknown, depth = 0): string | undefined => {
    if (depth > 12) return undefined;
    if (v === null) return 'null';
    if (typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
    if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : undefined;
    if (Array.isArray(v)) return `[${v.map((x) => canonical(x, depth + 1) ?? 'null').join(',')}]`;
    if (isRecord(v)) {
      const parts: string[] = [];
      for (const k of Object.keys(v).sort()) {
        const c = canonical((v as Json)[k], depth + 1);
        if (c !== undefined) parts.push(`${JSON.stringify(k)}:${c}`);
      }
      return `{${parts.join(',')}}`;
    }
    return undefined;
  };
  const sortedSet = (values: readonly string[] | undefined, lower = false) =>
    !values || values.length === 0
      ? undefined
      : [...new Set(values.map((v) => (lower ? v.toLowerCase() : v)))].sort();
  const clean = (s: string | undefined) => s?.trim() || undefined;
  const scalar = (v: unknown) => ['string', 'number', 'boolean'].includes(typeof v);
  const facts: Json = {};
  for (const [k, v] of Object.entries(isRecord(alert.facts) ? alert.facts : {})) {
    if (!isVolatileFact(k) && (scalar(v) || (Array.isArray(v) && v.every(scalar)))) facts[k] = v;
  }
  const identity = {
    name: clean(alert.name),
    rule_id: clean(alert.rule_id),
    src_ip: clean(alert.src_ip)?.toLowerCase(),
    dst_ip: clean(alert.dst_ip)?.toLowerCase(),
    dst_port: alert.dst_port,
    user: clean(alert.user),
    host: clean(alert.host)?.toLowerCase(),
    command_line: clean(alert.process?.command_line),
    hashes: sortedSet(
      alert.hashes?.map((h) => `${h.algorithm}:${h.value}`),
      true,
    ),
    urls: sortedSet(alert.urls),
    domains: sortedSet(alert.domains, true),
    facts,
  };
  return createHash('sha256')
    .update(canonical(identity) ?? '')
    .digest('hex');
}

describe('fingerprint', () => {
  it('gives the bytes of its first definition (stored fingerprints keep matching)', () => {
    const files = alertFixtureFiles();
    let n = 0;
    for (const rel of files) {
      for (const record of fixtureRecords(rel).slice(0, 40)) {
        let alert: ReturnType<typeof normalize>;
        try {
          alert = normalize(record);
        } catch {
          continue;
        }
        expect(alert.fingerprint).toBe(referenceFingerprint(alert));
        n++;
      }
    }
    expect(n).toBeGreaterThan(400);
    const text = fc.option(fc.string(), { nil: undefined });
    fc.assert(
      fc.property(
        fc.record({
          name: text,
          rule_id: text,
          src_ip: text,
          dst_ip: text,
          dst_port: fc.option(fc.oneof(fc.integer(), fc.double()), { nil: undefined }),
          user: text,
          host: text,
          process: fc.option(fc.record({ command_line: text }), { nil: undefined }),
          hashes: fc.option(
            fc.array(fc.record({ algorithm: fc.constantFrom('md5', 'sha1', 'sha256'), value: fc.string() })),
            { nil: undefined },
          ),
          urls: fc.option(fc.array(fc.string()), { nil: undefined }),
          domains: fc.option(fc.array(fc.string()), { nil: undefined }),
          facts: fc.option(fc.dictionary(fc.string(), fc.jsonValue()), { nil: undefined }),
        }),
        (alert) => {
          const a = alert as FingerprintSource;
          expect(fingerprint(a)).toBe(referenceFingerprint(a));
        },
      ),
      { numRuns: 1000 },
    );
  });

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
