import type { Enrichment, NormalizedAlert } from '@triage/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractFeatures } from '../alert-features.ts';
import {
  abuse,
  alertOf,
  enrichmentOf,
  ipIntel,
  offline,
  originalAlert,
  testConfig,
  vt,
  wazuhAlert,
} from '../fixtures.test-support.ts';
import { rulesSettings } from './evidence.ts';
import { calibrate, runRules, scoreEvidence } from './rules-engine.ts';

const c = testConfig({ KNOWN_BENIGN: '10.9.9.9,10.50.0.0/16,vulnscan-01' });
const settings = rulesSettings(c);

function rules(alert: NormalizedAlert, enrichment: Enrichment = enrichmentOf()) {
  return runRules({ alert, enrichment, features: extractFeatures(alert, enrichment), settings });
}
const ids = (r: ReturnType<typeof rules>) => r.evidence.map((e) => e.id);
const cmd = (command_line: string, name = 'Process creation') =>
  alertOf({ name, format: 'sentinel', severity: 'Medium', process: { name: 'x.exe', command_line } });

describe('intel evidence', () => {
  it('scores AbuseIPDB, VirusTotal, Tor and Spamhaus and cites the values', () => {
    const a = alertOf({ name: 'Inbound connection', src_ip: '185.220.101.52' });
    const r = rules(
      a,
      enrichmentOf({
        '185.220.101.52': ipIntel(abuse(100, { is_tor: true }), vt(12), offline(['tor_exit'])),
      }),
    );
    expect(ids(r)).toEqual(
      expect.arrayContaining(['intel.abuseipdb_score', 'intel.vt_detections', 'intel.tor_exit']),
    );
    expect(r.reasons.join(' ')).toMatch(/185\.220\.101\.52.*100\/100/);
    expect(r.classification).toBe('TRUE_POSITIVE');
    expect(r.decisive).toBe(true);
    expect(r.mitre).toContain('T1090.003');
  });

  it('damps several feeds describing the same fact (Tor twice counts once and a half)', () => {
    const one = rules(
      alertOf({ name: 'x', src_ip: '1.2.3.4' }),
      enrichmentOf({ '1.2.3.4': ipIntel(offline(['tor_exit'])) }),
    );
    const two = rules(
      alertOf({ name: 'x', src_ip: '1.2.3.4' }),
      enrichmentOf({ '1.2.3.4': ipIntel(offline(['tor_exit']), abuse(0, { is_tor: true })) }),
    );
    expect(two.score - one.score).toBeCloseTo(1.25, 5);
  });

  it('Spamhaus DROP is malicious; an allow-listed or whitelisted IP counts toward benign', () => {
    expect(
      ids(
        rules(
          alertOf({ name: 'x', src_ip: '5.5.5.5' }),
          enrichmentOf({ '5.5.5.5': ipIntel(offline(['spamhaus_drop'])) }),
        ),
      ),
    ).toContain('intel.blocklist.spamhaus_drop');
    const e = enrichmentOf({ '8.8.8.8': ipIntel(abuse(0, { is_whitelisted: true, isp: 'Google LLC' })) });
    e.observables[0]!.allowlisted = true;
    const r = rules(alertOf({ name: 'x', src_ip: '8.8.8.8' }), e);
    expect(r.evidence.filter((x) => x.id.startsWith('intel.')).every((x) => x.effective < 0)).toBe(true);
  });

  it('never FALSE_POSITIVE while any intel says malicious, whatever the benign evidence', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 75, max: 100 }),
        fc.boolean(),
        fc.boolean(),
        (score, benignSrc, housekeeping) => {
          const a = alertOf({
            name: housekeeping ? 'ClamAV database update' : 'Login session opened',
            src_ip: benignSrc ? '10.9.9.9' : '10.0.0.5',
            dst_ip: '45.9.9.9',
            severity: 'Informational',
            facts: { success: true, failed_logins: 0, time: '10:00' },
          });
          const r = rules(a, enrichmentOf({ '45.9.9.9': ipIntel(abuse(score)) }));
          expect(r.classification).not.toBe('FALSE_POSITIVE');
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('authentication evidence', () => {
  it('brute force followed by success is a threat; more failures never lower the score', () => {
    const at = (n: number) =>
      rules(
        originalAlert('Login', {
          user: 'alice',
          source_ip: '45.1.2.3',
          failed_logins: n,
          success: true,
          time: '11:00',
        }),
      );
    expect(ids(at(8))).toContain('auth.bruteforce_success');
    expect(at(8).classification).toBe('TRUE_POSITIVE');
    for (let n = 5; n < 30; n++) expect(at(n + 1).score).toBeGreaterThanOrEqual(at(n).score);
  });

  it('a password spray shape across many users', () => {
    const a = alertOf({
      name: 'Failed logins',
      src_ip: '45.1.2.3',
      facts: { distinct_users: 40, failed_logins: 60, success: false },
    });
    expect(ids(rules(a))).toEqual(expect.arrayContaining(['auth.password_spray', 'auth.bruteforce_attempt']));
  });

  it('privileged and service accounts under attack weigh more', () => {
    const admin = rules(
      originalAlert('Login', {
        user: 'administrator',
        source_ip: '45.1.2.3',
        failed_logins: 4,
        success: true,
        time: '11:00',
      }),
    );
    const svc = rules(
      originalAlert('Login', {
        user: 'svc_backup',
        source_ip: '45.1.2.3',
        failed_logins: 4,
        success: true,
        time: '11:00',
      }),
    );
    expect(ids(admin)).toContain('auth.privileged_target');
    expect(ids(svc)).toContain('auth.service_account');
  });

  it('off-hours success from outside counts; business-hours internal login is routine noise', () => {
    const night = rules(
      originalAlert('Login', {
        user: 'bob',
        source_ip: '45.1.2.3',
        failed_logins: 3,
        success: true,
        time: '02:10',
      }),
    );
    expect(ids(night)).toContain('auth.off_hours');
    const day = rules(
      originalAlert('Login', {
        user: 'bob',
        source_ip: '10.1.2.3',
        failed_logins: 1,
        success: true,
        time: '10:00',
        severity: 'Low',
      }),
    );
    expect(ids(day)).toContain('auth.routine_internal_success');
    expect(day.classification).toBe('FALSE_POSITIVE');
    // An internal admin after hours: not routine, but not an attack on its own either.
    const late = rules(
      originalAlert('Login', {
        user: 'admin',
        source_ip: '10.1.2.3',
        failed_logins: 0,
        success: true,
        time: '22:00',
      }),
    );
    expect(ids(late)).not.toContain('auth.off_hours');
    expect(ids(late)).not.toContain('auth.routine_internal_success');
  });

  it('impossible-travel wording is evidence', () => {
    expect(
      ids(rules(alertOf({ name: 'Impossible travel activity', user: 'eve', facts: { success: true } }))),
    ).toContain('auth.unusual_location');
  });
});

describe('source and context evidence', () => {
  const wz = (level: number, groups: string[], description = 'x') =>
    wazuhAlert({ rule: { level, groups, description, id: '1' } });
  it('Wazuh level bands: 0-3 routine, 12+ high importance', () => {
    expect(rules(wz(3, ['syslog'])).score).toBeLessThan(0);
    expect(rules(wz(13, ['syslog'])).score).toBeGreaterThanOrEqual(3);
  });
  it('Wazuh groups: recon/web_scan and exploit_attempt add, housekeeping names subtract', () => {
    expect(ids(rules(wz(10, ['web', 'web_scan', 'recon'])))).toContain('wazuh.group.reconnaissance');
    expect(ids(rules(wz(6, ['exploit_attempt'])))).toContain('wazuh.group.exploit');
    expect(rules(wz(3, ['clamd', 'freshclam'], 'ClamAV database update')).classification).toBe(
      'FALSE_POSITIVE',
    );
  });
  it('Suricata: ET POLICY/INFO are weak, ET TROJAN/CNC strong', () => {
    const s = (signature: string, category: string) =>
      alertOf({ name: signature, format: 'suricata', severity: 'Low', facts: { signature, category } });
    expect(
      rules(s('ET POLICY GNU/Linux APT User-Agent Outbound', 'Not Suspicious Traffic')).classification,
    ).toBe('FALSE_POSITIVE');
    const trojan = rules(s('ET TROJAN Win32/Emotet CnC Activity', 'A Network Trojan was detected'));
    expect(trojan.classification).toBe('TRUE_POSITIVE');
    expect(trojan.severity).not.toBe('Low');
  });
  it('KNOWN_BENIGN IPs, CIDRs and hostnames close authorised scanning', () => {
    const scan = (src: string, host?: string) =>
      alertOf({
        name: 'ET SCAN Nmap Scripting Engine',
        src_ip: src,
        ...(host ? { host } : {}),
        facts: { user_agent: 'Nmap Scripting Engine' },
      });
    expect(rules(scan('10.9.9.9')).classification).toBe('FALSE_POSITIVE');
    expect(ids(rules(scan('10.50.3.4')))).toContain('context.known_benign_source');
    expect(ids(rules(scan('45.1.1.1', 'vulnscan-01.corp')))).toContain('context.known_benign_host');
    expect(rules(scan('45.1.1.1')).classification).not.toBe('FALSE_POSITIVE');
  });
  it('vendor test alerts close', () => {
    expect(
      rules(alertOf({ name: 'Azure Security Center test alert (not a threat)', severity: 'High' }))
        .classification,
    ).toBe('FALSE_POSITIVE');
  });
  it('High/Critical alerts need decisive benign evidence to close', () => {
    const a = originalAlert('Login', {
      user: 'bob',
      source_ip: '10.1.2.3',
      failed_logins: 0,
      success: true,
      time: '10:00',
      severity: 'Critical',
    });
    expect(rules(a).classification).toBe('NEEDS_REVIEW');
  });
});

describe('verdict shape and calibration', () => {
  it('3 to 5 reasons, strongest first, score line last', () => {
    for (const a of [alertOf({ name: 'Nothing here' }), cmd('mimikatz.exe sekurlsa::logonpasswords')]) {
      const r = rules(a);
      expect(r.reasons.length).toBeGreaterThanOrEqual(3);
      expect(r.reasons.length).toBeLessThanOrEqual(5);
      expect(r.reasons.at(-1)).toMatch(/^Rules score/);
    }
  });

  it('confidence is monotonic in the strength of the evidence for the verdict', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.1, max: 6, noNaN: true }), { minLength: 1, maxLength: 6 }),
        fc.double({ min: 0.1, max: 6, noNaN: true }),
        (ws, extra) => {
          const ev = ws.map((w, i) => ({ id: `e${i}`, weight: w, reason: 'r' }));
          const before = scoreEvidence(ev);
          const after = scoreEvidence([...ev, { id: 'more', weight: extra, reason: 'r' }]);
          const cls = 'TRUE_POSITIVE' as const;
          expect(calibrate(cls, after.score, after.scored, false)).toBeGreaterThanOrEqual(
            calibrate(cls, before.score, before.scored, false),
          );
          const neg = (xs: typeof ev) => xs.map((e) => ({ ...e, weight: -e.weight }));
          const b2 = scoreEvidence(neg(ev));
          const a2 = scoreEvidence(neg([...ev, { id: 'more', weight: extra, reason: 'r' }]));
          expect(calibrate('FALSE_POSITIVE', a2.score, a2.scored, false)).toBeGreaterThanOrEqual(
            calibrate('FALSE_POSITIVE', b2.score, b2.scored, false),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('partial intel lowers confidence in a FALSE_POSITIVE', () => {
    const a = () =>
      originalAlert('Login', {
        user: 'bob',
        source_ip: '10.1.2.3',
        failed_logins: 1,
        success: true,
        time: '10:00',
        severity: 'Low',
      });
    const full = rules(a());
    const partial = rules(a(), enrichmentOf({}, { partial: true }));
    expect(partial.confidence).toBeLessThan(full.confidence);
  });
});

describe('engine safeguards for kinds of evidence', () => {
  // Benign items need a trusted basis to count (provenance gate); `config` is outside the alert.
  const benign = (weight: number) => ({ id: 'test.benign', weight, reason: 'benign', basis: ['config'] });

  it('keepOpen: an item that may not be closed blindly turns a FALSE_POSITIVE into NEEDS_REVIEW', () => {
    const a = alertOf({ name: 'Something routine' });
    const ctx = { alert: a, enrichment: enrichmentOf(), features: extractFeatures(a), settings };
    expect(runRules(ctx, [benign(-5)]).classification).toBe('FALSE_POSITIVE');
    const r = runRules(ctx, [
      benign(-5),
      { id: 'test.recon', weight: 1, reason: 'r', keepOpen: 'recon stays open' },
    ]);
    expect(r).toMatchObject({ classification: 'NEEDS_REVIEW', decisive: false });
    expect(r.reasons[0]).toMatch(/recon stays open/);
  });

  it('maxConfidence caps a verdict only when the verdict rests on the capped item', () => {
    const a = alertOf({ name: 'Something routine' });
    const ctx = { alert: a, enrichment: enrichmentOf(), features: extractFeatures(a), settings };
    const capped = {
      id: 'test.capped',
      weight: -3,
      reason: 'c',
      maxConfidence: 55,
      group: 'g1',
      basis: ['config'],
    };
    expect(runRules(ctx, [capped, benign(-0.5)]).confidence).toBeLessThanOrEqual(55);
    // With decisive independent evidence the ceiling does not apply.
    expect(runRules(ctx, [capped, benign(-5)]).confidence).toBeGreaterThan(55);
  });

  it('explainsAway drops the opposite priors of the named groups, nothing else', () => {
    const a = alertOf({ name: 'Something' });
    const ctx = { alert: a, enrichment: enrichmentOf(), features: extractFeatures(a), settings };
    const r = runRules(ctx, [
      { id: 'test.claim', weight: 3, reason: 'c', prior: true, group: 'ids.signature' },
      { id: 'test.direct', weight: 2, reason: 'd', group: 'ids.signature' },
      { id: 'test.explainer', weight: -3, reason: 'x', explainsAway: ['ids.signature'], basis: ['config'] },
    ]);
    expect(ids(r)).not.toContain('test.claim');
    expect(ids(r)).toContain('test.direct');
  });

  it('an XSS signature that matched the server response to a clean request is closed', () => {
    const a = alertOf({
      format: 'suricata',
      name: 'Possible XSS attack, script tag',
      severity: 'High',
      src_ip: '10.0.0.10',
      src_port: 80,
      dst_ip: '10.0.0.20',
      dst_port: 52000,
      urls: ['/index.html'],
      facts: {
        signature: 'Possible XSS attack, script tag',
        category: 'Web Application Attack',
        ids_priority: 1,
      },
    });
    const r = rules(a);
    expect(ids(r)).toContain('web.response_side_match');
    // The High severity was the signature's claim, explained away with it.
    expect(r.classification).toBe('FALSE_POSITIVE');
    // A clean-looking request is no evidence of its own: the attacker wrote it.
    expect(ids(r)).not.toContain('web.clean_request');
    // The same signature with the script in the request is reflected XSS, not the site's own code.
    const reflected = rules(
      alertOf({ ...a, signals: undefined, urls: ['/search?q=<script>alert(1)</script>'] }),
    );
    expect(reflected.classification).not.toBe('FALSE_POSITIVE');
  });
});

describe('ground truth never reaches the verdict', () => {
  const LABELS = {
    event_label: 'dirb',
    time_label: 'false_positive',
    hierarchical_event_label: 'attack/recon/dirb',
    label: 'TRUE_POSITIVE',
    ground_truth: 'benign',
    author_label: 'TP',
    expected: 'FALSE_POSITIVE',
    classification: 'TruePositive',
    determination: 'Malware',
    disposition_label: 'True Positive',
  };
  it('the rules read no label or disposition key, in raw or in facts', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          'Wazuh: Web server 400 error code.',
          'Wazuh: Dovecot Authentication Success.',
          'Suricata: Alert - SURICATA TLS invalid record/traffic',
          'AMiner: New event type.',
        ),
        fc.subarray(Object.keys(LABELS)),
        fc.constantFrom('-', 'dirb', 'TP', 'FP', 'benign', 'malicious'),
        (name, keys, value) => {
          const row = { name, ip: '172.16.5.5', host: 'web01' };
          const labelled = Object.fromEntries(keys.map((k) => [k, value]));
          const plain = alertOf({
            name,
            src_ip: '172.16.5.5',
            host: 'web01',
            severity_inferred: true,
            raw: row,
          });
          const leaky = { ...plain, raw: { ...row, ...labelled }, facts: { ...labelled } };
          const a = rules(plain);
          const b = rules(leaky);
          expect(b.classification).toBe(a.classification);
          expect(b.score).toBe(a.score);
          expect(b.evidence.map((e) => e.id)).toEqual(a.evidence.map((e) => e.id));
        },
      ),
      { numRuns: 80 },
    );
  });
});
