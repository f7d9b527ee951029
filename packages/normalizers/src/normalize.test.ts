import { ValidationError } from '@triage/contracts';
import { describe, expect, it } from 'vitest';
import { detectFormat, normalize } from './index.ts';
import { fixtureRecords } from './test-support/fixtures.ts';

/**
 * Shapes the fixtures do not cover, built from each format's documentation (field names from the
 * vendor's schema reference, values made up), plus the API's error contract.
 */

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).code;
  }
  return undefined;
}

describe('normalize: contract', () => {
  it('keeps the input as raw and marks defaulted severity', () => {
    const input = { name: 'x' };
    const alert = normalize(input);
    expect(alert.raw).toBe(input);
    expect(alert).toMatchObject({ format: 'generic', severity: 'Medium', severity_inferred: true });
    expect(normalize({ name: 'x', severity: 'medium' }).severity_inferred).toBeUndefined();
  });

  it('rejects a forced format that cannot read the input, and unknown format names', () => {
    const wazuh = fixtureRecords('wazuh/wazuh_alerts_aitads_attack_window_100.ndjson')[0];
    expect(codeOf(() => normalize(wazuh, { format: 'ocsf' }))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => normalize({ name: 'x' }, { format: 'wazuh' }))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => normalize(wazuh, { format: 'qradar' as never }))).toBe('UNKNOWN_FORMAT');
    expect(normalize(wazuh, { format: 'generic' }).format).toBe('generic');
    expect(() => normalize(wazuh, { format: 'ocsf' })).toThrow(/cannot be read as ocsf/);
  });

  it('reads a vendor alert inside the original {name, alert} envelope (POST /analyze)', () => {
    const wazuh = fixtureRecords('wazuh/wazuh_alerts_aitads_nshot_16_labeled.ndjson')[11];
    expect(normalize({ name: 'sudo to root', alert: wazuh })).toMatchObject({
      format: 'original',
      name: 'sudo to root',
      rule_id: '5402',
      user: 'gmorgan',
      mitre: ['T1548.003'],
      facts: { embedded_format: 'wazuh', rule_level: 3 },
    });
  });

  it('detectFormat rejects non-objects like normalize does', () => {
    expect(codeOf(() => detectFormat([]))).toBe('VALIDATION_FAILED');
    expect(detectFormat({})).toBe('generic');
  });

  it('unwraps Elasticsearch hits and uses the hit id when the document has none', () => {
    const source = fixtureRecords('elastic/kibana_alerts-security_8.1.0_source_only.ndjson')[0];
    const hit = { _index: '.alerts-security.alerts-default', _id: 'hit-1', _source: source };
    expect(normalize(hit)).toMatchObject({ format: 'elastic', name: 'threat-match-rule' });
    expect(normalize(hit).raw).toBe(hit);
    const wazuhHit = {
      _index: 'wazuh-alerts-4.x-2024.01.01',
      _id: 'w-1',
      _source: { rule: { level: 12, description: 'd' }, agent: { name: 'a' } },
    };
    expect(normalize(wazuhHit)).toMatchObject({
      format: 'wazuh',
      source_id: 'w-1',
      severity: 'High',
      host: 'a',
    });
  });
});

describe('Sentinel shapes from the SecurityInsights and Log Analytics references', () => {
  it('automation-rule incident payload: one alert carrying the related entities', () => {
    const payload = {
      objectSchemaType: 'Incident',
      object: {
        id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/w/providers/Microsoft.SecurityInsights/Incidents/inc-1',
        name: 'inc-1',
        properties: {
          title: 'Multistage attack',
          severity: 'High',
          status: 'New',
          incidentNumber: 42,
          firstActivityTimeUtc: '2024-01-01T10:00:00Z',
          relatedAnalyticRuleIds: ['/subscriptions/s/.../alertRules/rule-guid'],
          additionalData: { tactics: ['CredentialAccess'], techniques: ['T1110'] },
          alerts: [
            {
              kind: 'SecurityAlert',
              properties: { alertDisplayName: 'Brute force', techniques: ['T1110.001'] },
            },
          ],
          relatedEntities: [
            { kind: 'Account', properties: { accountName: 'alice', upnSuffix: 'contoso.com' } },
            { kind: 'Host', properties: { hostName: 'web-01' } },
            { kind: 'Ip', properties: { address: '185.220.101.52' } },
            { kind: 'FileHash', properties: { algorithm: 'SHA256', hashValue: 'A'.repeat(64) } },
            { kind: 'Url', properties: { url: 'https://evil.example/x' } },
            { kind: 'DnsResolution', properties: { domainName: 'evil.example' } },
          ],
        },
      },
    };
    expect(detectFormat(payload)).toBe('sentinel');
    expect(normalize(payload)).toMatchObject({
      name: 'Multistage attack',
      source_id: 'inc-1',
      rule_id: 'rule-guid',
      severity: 'High',
      user: 'alice@contoso.com',
      host: 'web-01',
      src_ip: '185.220.101.52',
      hashes: [{ algorithm: 'sha256', value: 'a'.repeat(64) }],
      urls: ['https://evil.example/x'],
      domains: ['evil.example'],
      mitre: ['T1110', 'T1110.001'],
      facts: { incident_number: 42, alert_names: ['Brute force'], tactics: ['CredentialAccess'] },
    });
  });

  it('current-schema SecurityAlert row: Techniques column and file hashes through $ref', () => {
    const row = {
      Type: 'SecurityAlert',
      TenantId: 't',
      AlertName: 'Suspicious PowerShell',
      AlertSeverity: 'Medium',
      SystemAlertId: 'sa-1',
      ConfidenceScore: 0.7,
      Techniques: '["T1059.001"]',
      Tactics: 'Execution, DefenseEvasion',
      Entities: JSON.stringify([
        { $id: '2', Type: 'filehash', Algorithm: 'MD5', Value: 'b'.repeat(32) },
        { $id: '3', Type: 'file', Name: 'powershell.exe', FileHashes: [{ $ref: '2' }] },
        { $id: '4', Type: 'process', CommandLine: 'powershell -enc AAAA', ImageFile: { $ref: '3' } },
      ]),
    };
    expect(normalize(row)).toMatchObject({
      format: 'sentinel',
      name: 'Suspicious PowerShell',
      source_confidence: 70,
      mitre: ['T1059.001'],
      process: { name: 'powershell.exe', command_line: 'powershell -enc AAAA' },
      hashes: [{ algorithm: 'md5', value: 'b'.repeat(32) }],
      facts: { tactics: ['Execution', 'DefenseEvasion'] },
    });
  });
});

describe('other documented shapes', () => {
  it('Splunk webhook with CIM fields and an ES annotation', () => {
    const payload = {
      sid: 'scheduler__admin__search__RMD5_at_1_1',
      search_name: 'Brute Force Access Behavior Detected',
      results_link: 'http://splunk:8000/app/search/@go?sid=x',
      app: 'search',
      result: {
        src: '203.0.113.7',
        dest: 'web-01',
        dest_port: '22',
        user: 'admin',
        action: 'failure',
        count: '57',
        urgency: 'high',
        file_hash: 'c'.repeat(40),
        'annotations.mitre_attack': ['T1110.003'],
      },
    };
    expect(normalize(payload)).toMatchObject({
      format: 'splunk',
      name: 'Brute Force Access Behavior Detected',
      severity: 'High',
      src_ip: '203.0.113.7',
      host: 'web-01',
      dst_port: 22,
      user: 'admin',
      hashes: [{ algorithm: 'sha1', value: 'c'.repeat(40) }],
      mitre: ['T1110.003'],
      facts: { action: 'failure', count: 57, dest_host: 'web-01' },
    });
  });

  it('Elastic alert with nested ECS process, hashes and rule threat', () => {
    const doc = {
      '@timestamp': '2024-02-02T02:02:02Z',
      kibana: {
        alert: {
          uuid: 'u-1',
          severity: 'critical',
          risk_score: 99,
          rule: {
            name: 'Encoded PowerShell',
            rule_id: 'r-1',
            threat: [
              {
                tactic: { name: 'Execution' },
                technique: [{ id: 'T1059', subtechnique: [{ id: 'T1059.001' }] }],
              },
            ],
          },
        },
      },
      host: { name: 'WS-7' },
      user: { name: 'bob' },
      source: { ip: '10.1.1.1', port: 5555 },
      destination: { ip: '8.8.8.8', port: 443 },
      process: {
        name: 'powershell.exe',
        pid: 42,
        command_line: 'powershell -enc',
        parent: { name: 'winword.exe' },
      },
      file: { hash: { sha256: 'd'.repeat(64) } },
      url: { full: 'https://cdn.evil.example/a.ps1' },
    };
    expect(normalize(doc)).toMatchObject({
      format: 'elastic',
      name: 'Encoded PowerShell',
      rule_id: 'r-1',
      severity: 'Critical',
      host: 'WS-7',
      user: 'bob',
      src_ip: '10.1.1.1',
      dst_ip: '8.8.8.8',
      dst_port: 443,
      process: { name: 'powershell.exe', pid: 42, parent_name: 'winword.exe' },
      hashes: [{ algorithm: 'sha256', value: 'd'.repeat(64) }],
      urls: ['https://cdn.evil.example/a.ps1'],
      domains: ['cdn.evil.example'],
      mitre: ['T1059', 'T1059.001'],
      facts: { tactics: ['Execution'], risk_score: 99 },
    });
  });

  it('Suricata EVE with HTTP, file hashes and ET metadata', () => {
    const eve = {
      timestamp: '2024-03-03T03:03:03.000000+0000',
      event_type: 'alert',
      src_ip: '198.51.100.9',
      src_port: 49152,
      dest_ip: '10.0.0.5',
      dest_port: 80,
      proto: 'TCP',
      alert: {
        action: 'blocked',
        signature_id: 2024897,
        signature: 'ET MALWARE Example',
        category: 'A Network Trojan was detected',
        severity: 1,
        metadata: { confidence: ['Medium'], mitre_technique_id: ['T1071'] },
      },
      http: { hostname: 'dl.evil.example', url: '/payload.bin' },
      fileinfo: { sha256: 'e'.repeat(64) },
    };
    expect(normalize(eve)).toMatchObject({
      format: 'suricata',
      name: 'ET MALWARE Example',
      rule_id: '2024897',
      severity: 'High',
      source_confidence: 50,
      src_ip: '198.51.100.9',
      dst_port: 80,
      domains: ['dl.evil.example'],
      hashes: [{ algorithm: 'sha256', value: 'e'.repeat(64) }],
      mitre: ['T1071'],
      facts: { action: 'blocked', http_url: '/payload.bin', protocol: 'TCP' },
    });
  });

  it('OCSF Detection Finding with actor, attacks and typed observables', () => {
    const finding = {
      class_uid: 2004,
      category_uid: 2,
      severity_id: 4,
      confidence_score: 88,
      finding_info: {
        uid: 'f-1',
        title: 'Credential stuffing',
        analytic: { uid: 'an-1', name: 'stuffing' },
        attacks: [{ technique: { uid: 'T1110.004' }, tactic: { name: 'Credential Access' } }],
      },
      actor: { user: { name: 'carol' } },
      src_endpoint: { ip: '192.0.2.44', port: 40000 },
      device: { hostname: 'idp-01' },
      observables: [
        { type_id: 8, value: 'f'.repeat(64) },
        { type_id: 6, value: 'https://login.evil.example/' },
      ],
    };
    expect(normalize(finding)).toMatchObject({
      format: 'ocsf',
      name: 'Credential stuffing',
      rule_id: 'an-1',
      severity: 'High',
      source_confidence: 88,
      user: 'carol',
      host: 'idp-01',
      src_ip: '192.0.2.44',
      mitre: ['T1110.004'],
      hashes: [{ algorithm: 'sha256', value: 'f'.repeat(64) }],
      urls: ['https://login.evil.example/'],
    });
  });

  it('Wazuh Windows (eventchannel) and syscheck alerts', () => {
    const win = {
      rule: {
        level: 12,
        description: 'Mimikatz usage',
        id: '92900',
        mitre: { id: ['T1003.001'] },
        groups: ['windows'],
      },
      agent: { name: 'DC-01', id: '003' },
      data: {
        win: {
          system: { computer: 'dc-01.corp.local', eventID: '1' },
          eventdata: {
            image: 'C:\\tmp\\m.exe',
            commandLine: 'm.exe sekurlsa::logonpasswords',
            parentImage: 'C:\\Windows\\System32\\cmd.exe',
            hashes: `SHA256=${'1'.repeat(64)}`,
            targetUserName: 'svc_sql',
            ipAddress: '10.9.9.9',
          },
        },
      },
      '@timestamp': '2024-04-04T04:04:04.000+0000',
    };
    expect(normalize(win)).toMatchObject({
      format: 'wazuh',
      severity: 'High',
      host: 'dc-01.corp.local',
      user: 'svc_sql',
      src_ip: '10.9.9.9',
      process: { name: 'C:\\tmp\\m.exe', command_line: 'm.exe sekurlsa::logonpasswords' },
      hashes: [{ algorithm: 'sha256', value: '1'.repeat(64) }],
      mitre: ['T1003.001'],
      facts: { windows_event: '1', rule_level: 12 },
    });
    const fim = {
      rule: { level: 7, description: 'Integrity checksum changed.', id: '550' },
      agent: { name: 'web-01' },
      syscheck: {
        path: '/etc/passwd',
        md5_after: '2'.repeat(32),
        sha256_after: '3'.repeat(64),
        uname_after: 'root',
      },
    };
    expect(normalize(fim)).toMatchObject({
      severity: 'Medium',
      user: 'root',
      hashes: [
        { algorithm: 'md5', value: '2'.repeat(32) },
        { algorithm: 'sha256', value: '3'.repeat(64) },
      ],
      facts: { syscheck_path: '/etc/passwd' },
    });
  });
});

describe('generic extraction', () => {
  it('reads common key spellings at any depth, preferring the alert over its parts', () => {
    const doc = {
      Title: 'Impossible travel',
      Priority: 'high',
      actor: { user: { name: 'dave' }, source: { IP: '203.0.113.9' } },
      host: { hostname: 'LAPTOP-1', name: 'not-a-title' },
      target: { ip: '10.0.0.9' },
      destination_port: '443',
      links: ['https://portal.example/alert/1', 'not a url'],
    };
    expect(normalize(doc)).toMatchObject({
      format: 'generic',
      name: 'Impossible travel',
      severity: 'High',
      user: 'dave',
      src_ip: '203.0.113.9',
      dst_ip: '10.0.0.9',
      dst_port: 443,
      host: 'LAPTOP-1',
      urls: ['https://portal.example/alert/1'],
      domains: ['portal.example'],
    });
  });

  it('takes file hashes only from file-ish keys, not event ids or TLS fingerprints', () => {
    const alert = normalize({
      name: 'x',
      event_hash: 'e4f07602f507975e9f7ba47c4ae0c417',
      tls: { ja3: { hash: 'a75de44db3e351bbd8d38b64c41f444e' } },
      file: { hash: { sha256: 'a'.repeat(64) } },
      Hashes: `SHA1=${'c'.repeat(40)}`,
    });
    expect(alert.hashes?.map((h) => h.algorithm).sort()).toEqual(['sha1', 'sha256']);
  });

  it('does not depend on key order when two keys compete', () => {
    const a = normalize({ user: 'first', username: 'second', ip: '1.1.1.1', src_ip: '2.2.2.2' });
    const b = normalize({ src_ip: '2.2.2.2', ip: '1.1.1.1', username: 'second', user: 'first' });
    expect([b.user, b.src_ip]).toEqual([a.user, a.src_ip]);
  });
});

describe('bad input the original format documents (400 naming the field)', () => {
  const refused = (input: unknown) => {
    try {
      normalize(input);
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      return (err as ValidationError).details;
    }
    throw new Error(`accepted: ${JSON.stringify(input)}`);
  };

  it('a string where the alert object belongs', () => {
    expect(refused({ name: 'x', alert: 'user=admin src=185.220.101.52' })).toEqual([
      { path: 'alert', message: 'expected an object (the alert fields)' },
    ]);
    expect(refused({ alert: 'test' })[0]?.path).toBe('alert');
  });

  it('mistyped fields of the original format', () => {
    expect(refused({ name: ['x'], alert: { user: 'a' } })[0]?.path).toBe('name');
    expect(refused({ name: 'x', alert: { source_ip: 12345 } })[0]?.path).toBe('alert.source_ip');
    expect(refused({ name: 'x', alert: { failed_logins: 'many' } })[0]?.path).toBe('alert.failed_logins');
    expect(refused({ name: 'x', alert: { user: { $ne: null } } })[0]?.path).toBe('alert.user');
    expect(refused({ failed_logins: 3, source_ip: ['1.2.3.4'] })[0]?.path).toBe('source_ip');
    expect(refused({ name: 'x', alert: { success: 'maybe' } })[0]?.path).toBe('alert.success');
  });

  it('an empty object is not an alert', () => {
    expect(refused({})[0]?.message).toMatch(/at least one field/);
  });

  it('still reads the documented spellings', () => {
    const a = normalize({
      name: 'x',
      alert: { source_ip: '8.8.8.8', failed_logins: '12', success: 'True', user: null },
    });
    expect(a).toMatchObject({
      format: 'original',
      src_ip: '8.8.8.8',
      facts: { failed_logins: 12, success: true },
    });
    // A SIEM payload inside the envelope is read by its own normalizer, not held to these fields.
    const embedded = { rule: { level: 12, description: 'd' }, agent: { name: 'a' }, source_ip: 1 };
    expect(normalize({ name: 'x', alert: embedded }).facts?.embedded_format).toBe('wazuh');
  });
});
