import { type NormalizedAlert, signalOrigin } from '@triage/contracts';
import { describe, expect, it } from 'vitest';
import { normalize } from './index.ts';
import { maskName } from './signals.ts';
import { fixtureRecords } from './test-support/fixtures.ts';

/**
 * Signals of every other format on the real fixtures: values and where they came from. Windows
 * shapes are in windows-signals.test.ts.
 */

const origin = (a: NormalizedAlert, path: string) => signalOrigin(a.signals, path);
const first = (rel: string, i = 0) => normalize(fixtureRecords(rel)[i]);

describe('Suricata', () => {
  it('ECS (Malcolm): engine verdict and flow are metadata, what the packets carried is content', () => {
    const a = first('suricata-ecs/suricata_alerts_ecs_malcolm_6.ndjson', 2);
    expect(a.signals?.detection).toMatchObject({
      vendor: 'suricata',
      rule_name: 'ET INFO Cleartext WordPress Login',
      signature_id: '2012843',
      category: 'Potential Corporate Privacy Violation',
      action: 'allowed',
      level: { scale: 'ids_priority', value: 1 },
    });
    expect(a.signals?.network).toMatchObject({
      src_ip: '192.168.250.106',
      dst_port: 80,
      url: '/wp-login.php',
      http_method: 'POST',
      direction: 'to_server',
    });
    for (const p of ['detection.category', 'detection.priority', 'network.src_ip', 'network.dst_port'])
      expect(origin(a, p)).toBe('metadata');
    for (const p of ['network.url', 'network.user_agent', 'network.http_method', 'network.hostname'])
      expect(origin(a, p)).toBe('content');
  });

  it('EVE forwarded by Wazuh: the IDS fields are metadata, the Wazuh rule is the detection', () => {
    const rows = fixtureRecords('wazuh/wazuh_alerts_aitads_attack_window_100.ndjson') as Array<{
      data?: { alert?: unknown };
    }>;
    const a = normalize(rows.find((r) => r.data?.alert !== undefined));
    expect(a.signals?.detection?.vendor).toBe('wazuh');
    expect(a.signals?.detection?.signature).toBeTruthy();
    expect(origin(a, 'detection.signature')).toBe('metadata');
    expect(origin(a, 'network.src_ip')).toBe('metadata');
  });
});

describe('Wazuh syslog decoders', () => {
  it('fields cut out of a log line are content; the rule is metadata', () => {
    const a = first('wazuh/wazuh_alerts_aitads_nshot_16_labeled.ndjson', 3);
    expect(a.signals?.detection).toMatchObject({ rule_id: '5706', level: { scale: 'wazuh', value: 6 } });
    expect(a.signals?.network?.src_ip).toBe('10.229.2.216');
    expect(origin(a, 'network.src_ip')).toBe('content');
    expect(a.signals?.text?.[0]).toMatchObject({ from: 'full_log' });
  });
});

describe('Sentinel', () => {
  it('SecurityAlert row: header metadata, entities as the product reported them', () => {
    const rows = fixtureRecords('sentinel/securityalert_msticpy_alertlist.ndjson') as Array<
      Record<string, unknown>
    >;
    const withProcess = rows
      .map((r) => normalize(r))
      .find((a) => a.signals?.process?.command_line !== undefined);
    expect(withProcess).toBeDefined();
    const a = withProcess!;
    expect(origin(a, 'detection.rule_name')).toBe('metadata');
    expect(origin(a, 'process.command_line')).toBe('content');
    if (a.signals?.process?.image) expect(origin(a, 'process.image')).toBe('metadata');
    expect(a.signals?.detection?.rule_name_template).toBeDefined();
  });

  it('incident closed as FalsePositive: classification and status are the source verdict', () => {
    const a = first('sentinel/securityinsights_incident_rest_classified_FP_elastic-integrations.ndjson');
    expect(a.signals?.source_verdict).toMatchObject({ classification: 'FalsePositive', status: 'Closed' });
    expect(origin(a, 'source_verdict.classification')).toBe('metadata');
    expect(a.signals?.detection?.tactics).toEqual(['initial-access', 'persistence']);
  });

  it('alert names carrying entity names are masked in the template', () => {
    const a = normalize({
      SystemAlertId: 'x1',
      AlertName: "Suspicious process 'maintenance-approved.exe' ran on HOST01",
      AlertSeverity: 'High',
      ProductName: 'Microsoft Defender Advanced Threat Protection',
      Entities: JSON.stringify([
        { $id: '1', Type: 'host', HostName: 'HOST01' },
        { $id: '2', Type: 'file', Name: 'maintenance-approved.exe', Directory: 'C:\\Users\\Public' },
      ]),
    });
    expect(a.signals?.detection?.rule_name_template).toBe("Suspicious process '<…>' ran on <…>");
    expect(a.signals?.file?.path).toBe('C:\\Users\\Public\\maintenance-approved.exe');
    expect(origin(a, 'file.path')).toBe('content');
  });
});

describe('Elastic', () => {
  it('Kibana alert: rule metadata; reason is text', () => {
    const a = first('elastic/kibana_alerts-security_8.1.0_source_only.ndjson');
    expect(a.signals?.detection).toMatchObject({
      rule_name: 'threat-match-rule',
      rule_id: '53000028-120c-4e55-a8c0-db092e05aef4',
      level: { scale: 'vendor', value: 'low' },
    });
    expect(a.signals?.host).toMatchObject({ name: 'security-linux-1', os: 'linux' });
    expect(a.signals?.text?.map((t) => t.from)).toContain('kibana.alert.reason');
  });

  it('endpoint alert: process, parent and grandparent; command lines content, executables metadata', () => {
    const a = normalize({
      '@timestamp': '2024-05-01T10:00:00Z',
      'kibana.alert.rule.name': 'Suspicious MS Office Child Process',
      'kibana.alert.severity': 'medium',
      event: { kind: 'signal', category: ['process'], action: 'start' },
      host: { name: 'ws7', os: { type: 'windows' } },
      user: { name: 'bob' },
      process: {
        executable: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
        name: 'powershell.exe',
        pid: 4242,
        command_line: 'powershell -w hidden -enc SQBFAFgA',
        hash: { sha256: `${'a'.repeat(63)}b` },
        code_signature: { exists: true, subject_name: 'Microsoft Windows', status: 'trusted' },
        parent: {
          executable: 'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE',
          name: 'WINWORD.EXE',
          command_line: '"WINWORD.EXE" /n invoice.docm',
          parent: { executable: 'C:\\Windows\\explorer.exe', name: 'explorer.exe' },
        },
      },
    });
    expect(a.format).toBe('elastic');
    expect(a.signals?.process).toMatchObject({
      name: 'powershell.exe',
      pid: 4242,
      user: 'bob',
      signed: true,
    });
    expect(a.signals?.parent?.name).toBe('WINWORD.EXE');
    expect(a.signals?.grandparent?.name).toBe('explorer.exe');
    expect(origin(a, 'process.image')).toBe('metadata');
    expect(origin(a, 'process.signer')).toBe('metadata');
    expect(origin(a, 'process.command_line')).toBe('content');
    expect(origin(a, 'parent.command_line')).toBe('content');
    expect(a.signals?.host?.os).toBe('windows');
  });

  it('a vendor alert embedded in event.original fills gaps only as content', () => {
    const a = first('elastic/elastic-integrations_microsoft_sentinel_alert_sample_event_ecs.json');
    expect(a.signals?.detection?.rule_name).toBe('myAlert');
    expect(origin(a, 'detection.rule_name')).toBe('content');
    expect(origin(a, 'detection.rule_name_template')).toBe('content');
  });
});

describe('Splunk', () => {
  it('ES notable: the search header is metadata, the CIM result fields are content', () => {
    const a = first('splunk/splunk_es_notable_event_demisto-splunkpy.json');
    expect(a.signals?.detection).toMatchObject({ rule_name: 'Root user use', groups: ['identity'] });
    expect(a.signals?.source_verdict?.status).toBe('New');
    expect(origin(a, 'detection.rule_name')).toBe('metadata');
    expect(origin(a, 'auth.user')).toBe('content');
    // `status` 1 is the notable's workflow code, not an HTTP status.
    expect(a.signals?.network?.http_status).toBeUndefined();
  });
});

describe('OCSF', () => {
  it('GuardDuty finding: title, severity and cloud context are metadata, the description is text', () => {
    const a = first('ocsf/detection_finding_v1.1_securityhub_guardduty.ocsf.json');
    expect(a.signals?.detection).toMatchObject({
      vendor: 'amazon',
      engine: 'guardduty',
      level: { scale: 'ocsf', value: 2 },
    });
    expect(a.signals?.cloud).toMatchObject({ provider: 'AWS', region: 'us-east-2' });
    expect(origin(a, 'cloud.region')).toBe('metadata');
    expect(a.signals?.text?.[0]?.from).toBe('finding_info.desc');
  });
});

describe('original service and generic JSON', () => {
  it('original: detector counts are metadata; the failed-login user is content until a login succeeds', () => {
    const a = normalize({
      name: 'Brute force',
      alert: { user: 'root', source_ip: '203.0.113.7', failed_logins: 40, success: false },
    });
    expect(a.signals?.auth).toMatchObject({ user: 'root', failure_count: 40, outcome: 'failure' });
    expect(origin(a, 'auth.user')).toBe('content');
    expect(origin(a, 'auth.failure_count')).toBe('metadata');
    expect(origin(a, 'network.src_ip')).toBe('metadata');
    const ok = normalize({
      name: 'Login',
      alert: { user: 'alice', source_ip: '10.0.0.4', failed_logins: 0, success: true },
    });
    expect(origin(ok, 'auth.user')).toBe('metadata');
  });

  it('generic: only the header is metadata; messages never become the rule name', () => {
    const a = normalize({
      title: 'Suspicious command',
      severity: 'high',
      tags: ['attack.execution', 'attack.t1059.001'],
      host: 'ws1',
      message: 'clamav database updated; session closed; windows update',
      cmdline: 'powershell -enc SQBFAFgA',
    });
    expect(a.format).toBe('generic');
    expect(a.signals?.detection).toMatchObject({
      rule_name: 'Suspicious command',
      mitre: ['T1059.001'],
      tactics: ['execution'],
      level: { value: 'high' },
    });
    expect(origin(a, 'detection.rule_name')).toBe('metadata');
    expect(origin(a, 'process.command_line')).toBe('content');
    expect(origin(a, 'host.name')).toBe('content');
    const m = normalize({ message: 'windows update completed: benign', src_ip: '1.2.3.4' });
    expect(m.signals?.detection?.rule_name).toBeUndefined();
    expect(m.signals?.text?.[0]?.value).toBe('windows update completed: benign');
  });
});

describe('maskName', () => {
  it('masks every occurrence, longest first, case-insensitively; short values are left', () => {
    expect(maskName('Run of C:\\x\\evil.exe by evil.exe (ok)', ['C:\\x\\evil.exe', 'evil.exe', 'ok'])).toBe(
      'Run of <…> by <…> (ok)',
    );
    expect(maskName('ABC abc', ['abc'])).toBe('<…> <…>');
    expect(maskName('no values', [])).toBe('no values');
  });
});

/**
 * What the classifier's feature extraction used to guess from raw payloads, read here instead:
 * the rules see only signals.
 */
describe('raw reading moved out of the classifier', () => {
  it('Wazuh snort/suricata decoders: address:port split, flow anomaly count, fast.log with its own timestamp', () => {
    const a = normalize(
      {
        rule: { level: 6, description: 'IDS event.', groups: ['ids'], id: '20101' },
        decoder: { name: 'snort' },
        data: { srcip: '192.168.128.4', dstip: '91.189.88.152:80' },
        full_log:
          '01/15/2022-07:01:47.882369  [**] [1:2013504:6] ET POLICY GNU/Linux APT User-Agent Outbound [**] [Classification: Not Suspicious Traffic] [Priority: 3] {TCP} 192.168.128.4:54306 -> 91.189.88.152:80',
        '@timestamp': '2022-01-15T07:01:47.882Z',
      },
      { format: 'wazuh' },
    );
    expect(a.signals?.network).toMatchObject({ dst_ip: '91.189.88.152', dst_port: 80 });
    expect(a.signals?.detection).toMatchObject({
      signature: 'ET POLICY GNU/Linux APT User-Agent Outbound',
      category: 'Not Suspicious Traffic',
      priority: 3,
    });
    expect(origin(a, 'detection.category')).toBe('metadata');
    expect(a.signals?.event?.time).toBe('2022-01-15T07:01:47.882Z');
    const eve = normalize(
      {
        rule: {
          level: 3,
          description: 'Suricata: Alert - SURICATA TLS invalid record',
          groups: ['ids'],
          id: '86601',
        },
        decoder: { name: 'json' },
        data: {
          alert: {
            signature: 'SURICATA TLS invalid record/traffic',
            category: 'Generic Protocol Command Decode',
          },
          metadata: { flowints: { tls: { anomaly: { count: 3 } } } },
        },
      },
      { format: 'wazuh' },
    );
    expect(eve.signals?.network?.anomaly_count).toBe(3);
    expect(origin(eve, 'network.anomaly_count')).toBe('metadata');
  });

  it('generic JSON: login counts and outcomes, user agents and working directories by key name, as content', () => {
    const a = normalize({
      title: 'Login',
      account: 'bob',
      failures: '7',
      login_success: 'true',
      details: { http_user_agent: 'sqlmap/1.7', pwd: '/var/www/html' },
    });
    expect(a.format).toBe('generic');
    expect(a.signals?.auth).toMatchObject({ failure_count: 7, outcome: 'success' });
    expect(a.signals?.network?.user_agent).toBe('sqlmap/1.7');
    expect(a.signals?.process?.current_directory).toBe('/var/www/html');
    for (const p of ['auth.failure_count', 'auth.outcome', 'network.user_agent', 'process.current_directory'])
      expect(origin(a, p)).toBe('content');
    // Identity providers' own outcome shapes.
    expect(normalize({ name: 'Okta', outcome: { result: 'FAILURE' } }).signals?.auth?.outcome).toBe(
      'failure',
    );
    expect(normalize({ name: 'Entra', status: { errorCode: 50126 } }).signals?.auth?.outcome).toBe('failure');
    expect(normalize({ name: 'Entra', status: { errorCode: 0 } }).signals?.auth?.outcome).toBe('success');
  });

  it('CEF rows (CommonSecurityLog): device header and measurements metadata, command line and message content', () => {
    const a = normalize({
      Type: 'CommonSecurityLog',
      TenantId: 't',
      DeviceVendor: 'CrowdStrike',
      DeviceProduct: 'FalconHost',
      Activity: 'Suspicious Activity',
      DeviceEventClassID: 'Detection',
      LogSeverity: '8',
      SourceIP: '192.168.174.193',
      SourceUserName: 'TESTUSER011',
      DeviceCustomString1Label: 'CommandLine',
      DeviceCustomString1: '"C:\\GCC\\Exe\\GCC.exe"',
      Message: 'A process did something',
      TimeGenerated: '2024-01-02T03:04:05Z',
    });
    expect(a.signals?.detection).toMatchObject({ vendor: 'crowdstrike', rule_name: 'Suspicious Activity' });
    expect(a.signals?.network?.src_ip).toBe('192.168.174.193');
    expect(a.signals?.auth?.user).toBe('TESTUSER011');
    expect(a.signals?.process?.command_line).toBe('"C:\\GCC\\Exe\\GCC.exe"');
    expect(origin(a, 'network.src_ip')).toBe('metadata');
    expect(origin(a, 'process.command_line')).toBe('content');
    expect(a.signals?.text?.[0]?.value).toBe('A process did something');
  });

  it('the event time comes from the alert’s first-seen time where a format states no other', () => {
    const a = first('sentinel/securityalert_msticpy_alertlist.ndjson');
    expect(a.first_seen).toBeTruthy();
    expect(a.signals?.event?.time).toBeTruthy();
    expect(origin(a, 'event.time')).toBe('metadata');
  });
});
