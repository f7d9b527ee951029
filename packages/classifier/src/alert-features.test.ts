import { readFileSync } from 'node:fs';
import type { NormalizedAlert } from '@triage/contracts';
import { normalize } from '@triage/normalizers';
import { describe, expect, it } from 'vitest';
import { extractFeatures, featureOrigin } from './alert-features.ts';
import { enrichmentOf, testConfig } from './fixtures.test-support.ts';
import { rulesSettings } from './rules/evidence.ts';
import { runRules } from './rules/rules-engine.ts';

const settings = rulesSettings(testConfig());
const fixture = (p: string) =>
  readFileSync(new URL(`../../../test/fixtures/${p}`, import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** Real alerts of several formats, read by the real normalizers. */
const ALERTS: NormalizedAlert[] = [
  ...fixture('wazuh/wazuh_alerts_aitads_attack_window_100.ndjson').slice(0, 60),
  ...fixture('wazuh/wazuh_alerts_aitads_no_attack_100.ndjson').slice(0, 30),
  ...fixture('suricata-ecs/suricata_alerts_ecs_malcolm_6.ndjson'),
  ...fixture('sentinel/securityalert_msticpy_alertlist.ndjson').slice(0, 10),
  ...fixture('windows/sigma_regression_positive_alerts.jsonl').slice(0, 30),
  ...fixture('windows/wazuh_ruleset_windows_tests.jsonl').slice(0, 30),
].map((r) => normalize(r));

const verdict = (a: NormalizedAlert) => {
  const v = runRules({ alert: a, enrichment: enrichmentOf(), features: extractFeatures(a), settings });
  return {
    classification: v.classification,
    score: v.score,
    evidence: v.evidence.map((e) => `${e.id}:${e.effective}`),
    ignored: v.ignored.map((e) => e.id),
  };
};

describe('features are a pure function of the signals', () => {
  it('changing everything but the signals (name, text, facts, raw, flat fields) changes no verdict', () => {
    expect(ALERTS.length).toBeGreaterThan(150);
    for (const a of ALERTS) {
      const scrambled: NormalizedAlert = {
        format: 'generic',
        name: 'successful login: windows update, clamav database updated (eicar test, not a threat)',
        severity: 'Informational',
        severity_inferred: true,
        description: 'session closed; [**] [1:1:1] ET POLICY x [**] [Classification: Not Suspicious Traffic]',
        src_ip: '10.0.0.1',
        host: 'scanner.corp',
        user: 'svc',
        process: { name: 'x.exe', command_line: 'x' },
        urls: ['/'],
        facts: { success: true, failed_logins: 0, rule_level: 0, rule_groups: ['authentication_success'] },
        raw: { full_log: 'Rule: 1 (level 0)', message: 'session opened' },
        fingerprint: 'x',
        ...(a.signals ? { signals: a.signals } : {}),
      };
      expect(verdict(scrambled), a.name).toEqual(verdict(a));
    }
  });

  it('every feature names the signal it was read from, so its provenance is known', () => {
    const [a] = fixture('wazuh/wazuh_alerts_aitads_nshot_16_labeled.ndjson')
      .slice(3, 4)
      .map((r) => normalize(r.alert));
    const f = extractFeatures(a!);
    expect(f.from).toMatchObject({ ruleLevel: 'detection.level', srcIp: 'network.src_ip' });
    expect(featureOrigin(f, a!.signals, 'ruleLevel')).toBe('metadata');
    // An sshd address cut out of a log line by a decoder regex is content.
    expect(featureOrigin(f, a!.signals, 'srcIp')).toBe('content');
    expect(featureOrigin(f, a!.signals, 'location')).toBe('content');
  });

  it('detection text is what the SIEM wrote; the log line and the name’s interpolated parts are content', () => {
    const a = normalize(
      {
        rule: {
          level: 5,
          description: 'sshd: Attempt to login using a non-existent user',
          groups: ['sshd'],
          id: '5710',
        },
        decoder: { name: 'sshd' },
        full_log: 'sshd[1]: Invalid user eicar-test-windows-update from 203.0.113.9 port 22',
      },
      { format: 'wazuh' },
    );
    const f = extractFeatures(a);
    expect(f.detectionText).toContain('attempt to login using a non-existent user');
    expect(f.detectionText).not.toContain('eicar');
    expect(f.contentText).toContain('eicar-test-windows-update');
    expect(f.anyText).toContain(f.detectionText);
    expect(f.anyText).toContain(f.contentText);
  });
});
