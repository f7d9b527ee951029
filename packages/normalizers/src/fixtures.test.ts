import { NormalizedAlert, ValidationError } from '@triage/contracts';
import { describe, expect, it } from 'vitest';
import { detectFormat, normalize } from './index.ts';
import {
  alertFixtureFiles,
  expectIdentityAgrees,
  fixtureRecords,
  readCsv,
  refusedByDesign,
} from './test-support/fixtures.ts';

/**
 * Every alert fixture (test/fixtures, real data) through detectFormat + normalize. For each file
 * the first record is checked against what a person reads off it; every record must satisfy the
 * invariants. Values below come from the fixtures themselves and their SOURCE.md notes.
 */

type Expectation = Partial<NormalizedAlert> & { facts?: Record<string, unknown> };

const FIRST_RECORD: Record<string, Expectation> = {
  'windows/sigma_regression_positive_alerts.jsonl': {
    format: 'windows',
    name: 'Suspicious Child Process from Node.js Server - React2Shell',
    rule_id: '271de298-cc0e-4842-acd8-079a0a99ea65',
    severity: 'High',
    user: 'swachchhanda\\xodih',
    host: 'swachchhanda',
    process: {
      name: 'cmd.exe',
      pid: 3412,
      command_line: 'C:\\WINDOWS\\system32\\cmd.exe /d /s /c "whoami"',
      parent_name: 'node.exe',
    },
    mitre: ['T1059', 'T1190'],
  },
  'windows/sigma_known_fp_rules.jsonl': {
    name: 'Msiexec Initiated Connection',
    rule_id: '8e5e38e4-5350-4c0b-895a-e872ce0dd54f',
    severity: 'Low',
  },
  'windows/wazuh_ruleset_windows_tests.jsonl': {
    format: 'wazuh',
    name: 'Powershell script did a query using Get-ItemProperty',
    rule_id: '91807',
    severity: 'Informational',
    host: 'hrmanager.ExchangeTest.com',
    facts: { rule_level: 0, windows_event: '4104' },
  },
  'windows/hayabusa_sample_evtx_results.csv': {
    format: 'hayabusa',
    name: 'Logon Type 0 - System',
    severity: 'Informational',
    host: '37L4247D28-05',
    facts: { windows_event: '4624', rule_level: 'informational' },
  },
  'elastic/elastic-integrations_microsoft_sentinel_alert_sample_event_ecs.json': {
    format: 'elastic',
    name: 'myAlert',
    severity: 'Low',
    source_id: 'abcdef-6fde-4ab7-a093-d09f7b75c58c',
    first_seen: '2020-07-20T18:21:53.615Z',
  },
  'elastic/kibana_alerts-security_8.1.0_source_only.ndjson': {
    format: 'elastic',
    name: 'threat-match-rule',
    rule_id: '53000028-120c-4e55-a8c0-db092e05aef4',
    severity: 'Low',
    host: 'security-linux-1',
    source_id: '30a75fe46d3dbdfab55982036f77a8d60e2d1112e96f277c3b8c22f9bb57817a',
    facts: { workflow_status: 'open', risk_score: 21, rule_type: 'threat_match' },
  },
  'elastic/kibana_es_archive_alerts-security_8.1.0_doc1.json': {
    format: 'elastic',
    name: 'threat-match-rule',
    severity: 'Low',
    host: 'security-linux-1',
    source_id: '30a75fe46d3dbdfab55982036f77a8d60e2d1112e96f277c3b8c22f9bb57817a',
    description: 'event on security-linux-1 created low alert threat-match-rule.',
  },
  'ocsf/compliance_finding_v1.1_securityhub_pci.ocsf.json': {
    format: 'ocsf',
    name: 'PCI.Config.1 AWS Config should be enabled',
    severity: 'Medium',
    rule_id: 'Config.1',
    facts: { class_uid: 2003, compliance_result: 'FAILED' },
  },
  'ocsf/detection_finding_v1.1_securityhub_guardduty.ocsf.json': {
    format: 'ocsf',
    name: 'AWS CloudTrail trail arn:aws:cloudtrail:us-east-2:111111111111:trail/delete-me was disabled.',
    severity: 'Low',
    src_ip: '52.94.133.131',
    source_id:
      'arn:aws:guardduty:us-east-2:111111111111:detector/1ac1bfceda6679698215d5d0EXAMPLE/finding/a6c556fcbc9bea427a19f8b787099a0b',
    first_seen: '2023-09-19T14:55:09.000Z',
    facts: { class_uid: 2004, api_operation: ['DeleteTrail'] },
  },
  'ocsf/detection_finding_v1.1_securityhub_guardduty.raw_asff.json': {
    format: 'generic',
    name: 'AWS CloudTrail trail arn:aws:cloudtrail:us-east-2:111111111111:trail/delete-me was disabled.',
    severity: 'Low',
    src_ip: '52.94.133.131',
    user: 'Admin',
  },
  'ocsf/detection_finding_v1.3_okta.ocsf.json': {
    format: 'ocsf',
    name: 'Login Failures',
    // severity_id 0 (Unknown): not stated, so defaulted and flagged.
    severity: 'Medium',
    severity_inferred: true,
    src_ip: '10.0.0.1',
    source_id: 'dc9fd3c0-598c-11ef-8478-2b7584bf8d5a',
    facts: { action: 'Denied', disposition: 'Blocked' },
  },
  'ocsf/detection_finding_v1.3_okta.raw_okta_systemlog.json': {
    format: 'generic',
    name: 'Request from suspicious actor',
    severity: 'Medium',
    src_ip: '10.0.0.1',
  },
  'ocsf/security_finding_v1.0rc2_securityhub.ocsf.json': {
    format: 'ocsf',
    name: 'EC2.19 Security groups should not allow unrestricted access to ports with high risk',
    severity: 'Informational',
    process: { name: 'syslogd', pid: 12345 },
    facts: { class_uid: 2001, cves: ['CVE-2020-12345'], malware: ['Stringler'] },
  },
  'ocsf/security_finding_v1.0rc2_securityhub.raw_asff.json': {
    format: 'generic',
    name: 'EC2.19 Security groups should not allow unrestricted access to ports with high risk',
    severity: 'Informational',
  },
  'ocsf/vulnerability_finding_v1.1_inspector.ocsf.json': {
    format: 'ocsf',
    name: 'CVE-2023-1255 - openssl',
    severity: 'Medium',
    facts: { class_uid: 2002, cves: ['CVE-2023-1255'] },
  },
  'seed/runbook_index.json': {
    format: 'generic',
    name: 'IoT Device Compromise Response',
    severity: 'High',
    mitre: ['T1200', 'T1542'],
  },
  'seed/seed_alerts.json': {
    format: 'original',
    name: 'Brute Force - TOR 1',
    user: 'alice@company.com',
    src_ip: '193.32.162.157',
    severity: 'Critical',
    facts: { failed_logins: 12, success: true, time: '02:03', location: 'Moscow, RU' },
  },
  'sentinel/connector-alert-samples/agari_bpalerts_log_cl.ndjson': {
    format: 'sentinel',
    name: 'dmarc_record_changed',
    domains: ['domain.com'],
    description: 'The DMARC record for domain.com has changed.',
    facts: { table: 'agari_bpalerts_log_CL' },
  },
  'sentinel/connector-alert-samples/alcide_kaudit_detections_cl.ndjson': {
    format: 'generic',
    name: 'change in remote commands',
    source_confidence: 80,
    first_seen: '2020-03-01T14:36:00.000Z',
  },
  'sentinel/connector-alert-samples/bettermtd_incidentlog_cl.ndjson': {
    format: 'sentinel',
    name: 'Port scanning detected',
    severity: 'Medium',
    user: 'sentinaltest@gmail.com',
  },
  'sentinel/connector-alert-samples/crowdstrike_falcon_cef_commonsecuritylog.ndjson': {
    format: 'sentinel',
    name: 'Machine Learning',
    rule_id: 'Document Access In A Detection Summary Event',
    severity: 'Low',
    src_ip: '192.168.174.193',
    user: 'TESTUSER011',
    host: 'TESTUSER011B001',
    facts: { device_vendor: 'CrowdStrike', file_name: 'GCC.exe' },
  },
  'sentinel/connector-alert-samples/paloalto_prismacloud_alert_cl.ndjson': {
    format: 'generic',
    name: 'test',
    severity: 'Low',
    source_id: 'P-64',
  },
  'sentinel/rest-api-example_GetAllIncidentAlerts_2023-02-01.json': {
    format: 'sentinel',
    name: 'myAlert',
    severity: 'Low',
    source_id: 'baa8a239-6fde-4ab7-a093-d09f7b75c58c',
  },
  'sentinel/rest-api-example_GetIncidents_2023-02-01.json': {
    format: 'sentinel',
    name: 'My incident',
    severity: 'High',
    source_id: '73e01a99-5cd7-4139-a149-9f2736ff2ab5',
    rule_id: 'fab3d2d4-747f-46a7-8ef0-9c0be8112bf7',
    facts: { classification: 'FalsePositive', incident_number: 3177, tactics: ['Persistence'] },
  },
  'sentinel/securityalert_eventhub_row_elastic-integrations.ndjson': {
    format: 'sentinel',
    severity: 'High',
    source_id: 'jnfjrdnkr-7cbd-5454-9c61-455cc9818f50',
    user: 'AWS:44512121212/us-east-1/ec2:i-42f44fdfvdf5d',
    facts: { product_name: 'Azure Sentinel' },
  },
  'sentinel/securityalert_msticpy_alertlist.ndjson': {
    format: 'sentinel',
    name: 'DC local group addition - Demo',
    severity: 'Low',
    source_id: '047f47d6-79b7-4502-824b-97abc4905a73',
    src_ip: '75.10.91.22',
    user: 'ADMINISTRATOR',
    host: 'DHCPContoso77',
    first_seen: '2019-01-11T06:31:40.000Z',
  },
  'sentinel/securityinsights_alert_rest_elastic-integrations.ndjson': {
    format: 'sentinel',
    name: 'myAlert',
    severity: 'Low',
    source_id: 'abcdef-6fde-4ab7-a093-d09f7b75c58c',
  },
  'sentinel/securityinsights_incident_rest_classified_FP_elastic-integrations.ndjson': {
    format: 'sentinel',
    name: 'Myincident',
    severity: 'High',
    facts: {
      classification: 'FalsePositive',
      classification_reason: 'InaccurateData',
      tactics: ['InitialAccess', 'Persistence'],
    },
  },
  'splunk/splunk_custom_alert_action_payload_AMDHome-Pagerduty_v2.json': {
    format: 'splunk',
    name: 'Pagerduty page test',
    host: '128.120.32.134',
    source_id: 'scheduler__admin__search__RMD5afe10cbbfdadda93_at_1581119940_87:0',
    severity_inferred: true,
  },
  'splunk/splunk_es_notable_event_demisto-splunkpy.json': {
    format: 'splunk',
    name: 'Root user use',
    rule_id: 'Identity - Root sucess - Rule',
    severity: 'Informational',
    user: 'root',
    source_id: '5E6DE97D-B137-47AB-8905-8C4F42998937@@notable@@e4f07602f507975e9f7ba47c4ae0c417',
    facts: { security_domain: 'identity', action: 'success', signature: 'User successfully changed UID.' },
  },
  'splunk/splunk_webhook_alert_action_payload_docs_example.json': {
    format: 'splunk',
    source_id: 'scheduler_admin_search_W2_at_14232356_132',
    severity: 'Medium',
    severity_inferred: true,
    facts: { sourcetype: 'mongod', count: 8 },
  },
  'suricata-ecs/suricata_alerts_ecs_malcolm_6.ndjson': {
    format: 'suricata',
    name: 'Possible XSS attack, js event handler',
    rule_id: '50100002',
    severity: 'High',
    src_ip: '192.168.250.59',
    src_port: 80,
    dst_ip: '10.229.19.97',
    dst_port: 51989,
    host: 'victim-sb',
  },
  'wazuh/aitads_russellmitchell_event_labeled.ndjson': {
    format: 'generic',
    name: 'Wazuh: ClamAV database update',
    src_ip: '192.168.231.56',
    host: 'davey_mail',
    severity_inferred: true,
  },
  'wazuh/wazuh_alerts_aitads_attack_window_100.ndjson': {
    format: 'wazuh',
    name: 'Dovecot Authentication Success.',
    rule_id: '9701',
    severity: 'Low',
    mitre: ['T1078'],
    source_id: '1686345915.7780992',
    host: 'jonesmorgan-mail',
    facts: {
      rule_level: 3,
      rule_groups: ['dovecot', 'authentication_success'],
      rule_firedtimes: 180,
      decoder: 'dovecot',
    },
  },
  'wazuh/wazuh_alerts_aitads_no_attack_100.ndjson': {
    format: 'wazuh',
    name: 'Dovecot Authentication Success.',
    severity: 'Low',
    source_id: '1686162330.303465',
    host: 'mail',
  },
  'wazuh/wazuh_alerts_aitads_nshot_16_labeled.ndjson': {
    format: 'wazuh',
    name: 'Suricata: Alert - SURICATA TLS invalid handshake message',
    rule_id: '86601',
    severity: 'Low',
    src_ip: '54.173.41.153',
    src_port: 443,
    dst_ip: '10.229.0.4',
    dst_port: 58774,
    domains: ['ping.chartbeat.net'],
    facts: { signature: 'SURICATA TLS invalid handshake message', ids_severity: 3 },
  },
};

const files = alertFixtureFiles();

describe('fixture coverage', () => {
  it('has a first-record expectation for every alert fixture file', () => {
    expect(files.filter((f) => !(f in FIRST_RECORD))).toEqual([]);
    expect(Object.keys(FIRST_RECORD).filter((f) => !files.includes(f))).toEqual([]);
  });
});

describe.each(files)('%s', (rel) => {
  const records = fixtureRecords(rel);

  it('reads the first record as a person would', () => {
    const alert = normalize(records[0]);
    expect(alert).toMatchObject(FIRST_RECORD[rel] ?? {});
  });

  it('normalizes every record to a valid alert (name, schema, fingerprint, raw)', () => {
    let normalized = 0;
    for (const record of records) {
      if (typeof record !== 'object' || record === null || refusedByDesign(record)) {
        // seed_alerts has a plain-text alert ("bare_string") and `{"alert": "test"}`: both rejected.
        expect(() => normalize(record)).toThrow(ValidationError);
        expectIdentityAgrees(record);
        continue;
      }
      const alert = normalize(record);
      expect(alert.format).toBe(detectFormat(record));
      expect(alert.name.trim()).not.toBe('');
      expect(alert.fingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(alert.raw).toBe(record);
      expect(NormalizedAlert.safeParse(alert).success).toBe(true);
      expectIdentityAgrees(record);
      normalized++;
    }
    expect(normalized).toBeGreaterThan(0);
  });
});

describe('per-file details', () => {
  it('Sentinel SecurityAlert rows: resolved $ref entities give process, parent, account and host', () => {
    const rows = fixtureRecords('sentinel/securityalert_msticpy_alertlist.ndjson') as Array<
      Record<string, unknown>
    >;
    const row = rows.find((r) => r.ProviderAlertId === '526e34b6-6578-4fc0-9db6-e126b4d673f0');
    expect(normalize(row)).toMatchObject({
      name: 'Suspicious Account Creation Detected',
      severity: 'Medium',
      user: 'adm1nistrator',
      host: 'MSTICALERTSWIN1',
      process: {
        name: 'net.exe',
        pid: 0x141c,
        command_line: 'net  user adm1nistrator bob_testing /add',
        parent_name: 'cmd.exe',
      },
    });
  });

  it('Sentinel ASC network alert: ExtendedProperties say which side attacked', () => {
    const rows = fixtureRecords('sentinel/securityalert_msticpy_alertlist.ndjson') as Array<
      Record<string, unknown>
    >;
    const row = rows.find((r) => r.SystemAlertId === '98a6dea6-1b64-41d0-938e-0dec24b234ec');
    expect(normalize(row)).toMatchObject({
      src_ip: '183.95.154.13',
      src_port: 80,
      dst_ip: '1.2.3.4',
      dst_port: 15421,
      host: 'vm1',
    });
  });

  it('Sentinel rows keep every stated severity (older column names)', () => {
    const rows = fixtureRecords('sentinel/securityalert_msticpy_alertlist.ndjson') as Array<
      Record<string, unknown>
    >;
    for (const r of rows) expect(normalize(r).severity).toBe(r.Severity);
  });

  it('CEF rows: destination IP and the command line from a labelled custom string', () => {
    const rows = fixtureRecords(
      'sentinel/connector-alert-samples/crowdstrike_falcon_cef_commonsecuritylog.ndjson',
    );
    const network = rows.map((r) => normalize(r)).filter((a) => a.dst_ip !== undefined);
    expect(network.map((a) => a.dst_ip)).toEqual(['111.111.111.111', '222.22.222.222']);
    expect(normalize(rows[0]).process?.command_line).toContain('GCC.exe');
  });

  it('Suricata ECS: every alert matches its ground-truth row (rule, source, destination)', () => {
    const alerts = fixtureRecords('suricata-ecs/suricata_alerts_ecs_malcolm_6.ndjson').map((r) =>
      normalize(r),
    );
    const labels = readCsv('suricata-ecs/suricata_alerts_ecs_malcolm_6.labels.csv');
    expect(alerts.map((a) => [a.name, a.src_ip, a.dst_ip])).toEqual(
      labels.map((l) => [l.rule_name, l.source_ip, l.destination_ip]),
    );
    // Two signatures on one flow are two alerts: no shared source_id for ingest to dedupe on.
    expect(alerts.every((a) => a.source_id === undefined)).toBe(true);
  });

  it('Wazuh: all 200 alerts match the labels file (id, rule, level, description)', () => {
    const labels = readCsv('wazuh/wazuh_alerts_aitads_200.labels.csv');
    const alerts = [
      ...fixtureRecords('wazuh/wazuh_alerts_aitads_attack_window_100.ndjson'),
      ...fixtureRecords('wazuh/wazuh_alerts_aitads_no_attack_100.ndjson'),
    ].map((r) => normalize(r));
    expect(alerts.map((a) => [a.source_id, a.rule_id, a.facts?.rule_level, a.name])).toEqual(
      labels.map((l) => [l.alert_id, l.rule_id, Number(l.rule_level), l.rule_description]),
    );
  });

  it('Wazuh n-shot: sudo actor and command, sshd scan source and ATT&CK id', () => {
    const alerts = fixtureRecords('wazuh/wazuh_alerts_aitads_nshot_16_labeled.ndjson').map((r) =>
      normalize(r),
    );
    expect(alerts.find((a) => a.rule_id === '5402')).toMatchObject({
      name: 'Successful sudo to ROOT executed.',
      user: 'gmorgan',
      host: 'intranet-server',
      process: { command_line: '/bin/cat /etc/shadow' },
      mitre: ['T1548.003'],
      facts: { src_user: 'gmorgan', dst_user: 'root' },
    });
    expect(alerts.find((a) => a.rule_id === '5706')).toMatchObject({
      src_ip: '10.229.2.216',
      src_port: 44494,
      host: 'inet-dns',
      mitre: ['T1021.004'],
      severity: 'Low',
    });
  });

  it('Wazuh-forwarded Suricata: the inner EVE record is itself a Suricata alert', () => {
    const eve = (fixtureRecords('wazuh/wazuh_alerts_aitads_nshot_16_labeled.ndjson')[0] as { data: unknown })
      .data;
    expect(normalize(eve)).toMatchObject({
      format: 'suricata',
      name: 'SURICATA TLS invalid handshake message',
      rule_id: '2230003',
      severity: 'Low',
      src_ip: '54.173.41.153',
      dst_ip: '10.229.0.4',
      domains: ['ping.chartbeat.net'],
    });
  });

  it('AIT-ADS event-labeled rows (13,961): name, ip and host on every line, through generic', () => {
    const rows = fixtureRecords('wazuh/aitads_russellmitchell_event_labeled.ndjson') as Array<
      Record<string, string>
    >;
    expect(rows).toHaveLength(13_961);
    for (const row of rows) {
      const a = normalize(row);
      if (a.format !== 'generic' || a.name !== row.name || a.src_ip !== row.ip || a.host !== row.host) {
        expect({ format: a.format, name: a.name, src_ip: a.src_ip, host: a.host }).toEqual({
          format: 'generic',
          name: row.name,
          src_ip: row.ip,
          host: row.host,
        });
      }
      // Ground-truth labels must not reach the classifier as facts.
      expect(a.facts?.event_label).toBeUndefined();
    }
  });

  it('seed alerts: every wrapped entry is original, keeps its name, and coerces "true"/"false"', () => {
    const entries = JSON.parse(JSON.stringify(fixtureRecords('seed/seed_alerts.json'))) as Array<
      Record<string, unknown> | string
    >;
    const wrapped = entries.filter(
      (e): e is { name: string; alert: Record<string, unknown> } =>
        typeof e === 'object' && typeof e.name === 'string' && typeof e.alert === 'object',
    );
    expect(wrapped.length).toBeGreaterThan(40);
    for (const e of wrapped) {
      const a = normalize(e);
      expect(a.format).toBe('original');
      expect(a.name).toBe(e.name);
      const success = e.alert.success;
      if (success === 'true' || success === 'false') expect(a.facts?.success).toBe(success === 'true');
    }
    const bareString = entries.find((e) => typeof e === 'string');
    expect(() => normalize(bareString)).toThrow(ValidationError);
  });

  it('seed bare alerts: names derived or found, nested source.ip and iocs read', () => {
    const records = fixtureRecords('seed/seed_alerts.json') as Array<Record<string, unknown>>;
    const console = records.find(
      (r) => typeof r === 'object' && r.alert_id === 'ALRT-99821' && 'signals' in r,
    );
    expect(normalize(console)).toMatchObject({
      format: 'generic',
      name: 'Suspicious Console Login',
      severity: 'High',
      user: 'john.doe@company.com',
      src_ip: '91.212.45.99',
      urls: ['http://stealer-c2.net/payload', 'http://malicious-cn.xyz/login'],
    });
    expect(
      normalize({ alert: { source_ip: '185.220.101.52', user: 'test@company.com', failed_logins: 8 } }),
    ).toMatchObject({
      format: 'original',
      name: 'Failed login attempts',
      severity_inferred: true,
      facts: { failed_logins: 8 },
    });
  });

  it('runbook index: title, severity and ATT&CK ids of every runbook', () => {
    const rows = fixtureRecords('seed/runbook_index.json') as Array<{
      title: string;
      severity: string;
      mitre: string[];
    }>;
    for (const r of rows) {
      expect(normalize(r)).toMatchObject({ name: r.title, severity: r.severity, mitre: r.mitre });
    }
  });
});
