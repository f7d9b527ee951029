import type { Classification, NormalizedAlert } from '@triage/contracts';
import { describe, expect, it } from 'vitest';
import {
  abuse,
  alertOf,
  enrichmentOf,
  ipIntel,
  testConfig,
  verdictOf,
  wazuhAlert,
} from '../fixtures.test-support.ts';
import { CONCERN, detectionKinds, KIND_FAMILIES } from './detection-kinds.ts';

/*
 * The detection-kind table on hand-built alerts in several formats: name-only rows, Wazuh, Splunk
 * ES notables, Sentinel / Defender / Entra, Elastic, Okta and Windows event titles. Names were
 * written from each product's documented rule titles, not copied from the evaluation fixtures.
 */

const ids = (a: NormalizedAlert, e = enrichmentOf()) => verdictOf(a, e).evidence.map((x) => x.id);
const kindOf = (name: string, description = '', groups: string[] = []) =>
  detectionKinds(name, description, groups).map((m) => m.kind.id);

describe('detection kinds: the table', () => {
  it('every family has variants with unique ids and a written reason', () => {
    const all = KIND_FAMILIES.flatMap((f) => f.variants);
    expect(new Set(all.map((k) => k.id)).size).toBe(all.length);
    for (const k of all) {
      expect(k.id).toMatch(/^kind\.[a-z_]+\.[a-z_]+$/);
      expect(k.why.length).toBeGreaterThan(20);
      // Benign kinds never keep an alert open; threat-leaning ones in need of review always say why.
      if (k.weight < 0) expect(k.keepOpen).toBeUndefined();
    }
  });

  it('recognises kinds across formats and vendors', () => {
    expect(kindOf('Wazuh: Dovecot Authentication Success.')).toContain('kind.auth.routine_success');
    expect(kindOf('An account was successfully logged on')).toContain('kind.auth.routine_success');
    expect(kindOf('User login to Okta')).toContain('kind.auth.routine_success');
    expect(kindOf('sshd: Accepted publickey for deploy')).toContain('kind.auth.routine_success');
    expect(kindOf('An account was logged off')).toContain('kind.auth.session_end');
    expect(kindOf('PAM: Login session opened.')).toContain('kind.auth.session_open');
    expect(kindOf('Microsoft Defender Antivirus: security intelligence updated')).toContain(
      'kind.housekeeping.av_update',
    );
    expect(kindOf('Wazuh agent started.')).toContain('kind.housekeeping.agent_started');
    expect(kindOf('Auditd: SELinux permission check.')).toContain('kind.housekeeping.mac_check');
    expect(kindOf('AMiner: High entropy in Apache Access request.')).toContain('kind.anomaly.detector');
    expect(kindOf('Unusual Login Activity')).toContain('kind.anomaly.detector');
    expect(kindOf('Anomalous Token')).toContain('kind.anomaly.detector');
    expect(kindOf('Access - Excessive Failed Logins - Rule')).toContain('kind.auth_attack.repeated_failures');
    expect(kindOf('Network - Vulnerability Scanner Detection (by targets) - Rule')).toContain(
      'kind.network_recon.scan',
    );
    expect(kindOf('Recon:EC2/PortProbeUnprotectedPort')).toContain('kind.network_recon.scan');
    expect(kindOf('A member was added to a security-enabled global group')).toContain(
      'kind.privilege.group_add',
    );
    expect(kindOf('The audit log was cleared')).toContain('kind.defense_evasion.tamper');
    expect(kindOf('A service was installed in the system')).toContain('kind.persistence.autostart');
    expect(kindOf('A user account was created')).toContain('kind.account.created');
    expect(kindOf('x', '', ['authentication_success'])).toContain('kind.auth.routine_success');
  });

  it('a concern word cancels every benign reading, in the name or the description', () => {
    for (const name of [
      'Successful login after multiple failed attempts',
      'Successful sign-in from a Tor exit node',
      'Unusual successful logon',
      'Antivirus signature update failed',
      'Sysmon agent stopped unexpectedly after tamper attempt',
      'Login session opened for a disabled account',
    ]) {
      expect(CONCERN.test(name), name).toBe(true);
      expect(
        detectionKinds(name, '', []).filter((m) => m.family.benign),
        name,
      ).toEqual([]);
    }
    expect(kindOf('Login session opened', 'session opened after 30 failed attempts')).toEqual([]);
  });

  it('benign kinds never read the description (log lines are attacker-writable)', () => {
    expect(kindOf('Web request', 'GET /?q=ClamAV+database+update HTTP/1.1')).toEqual([]);
    expect(kindOf('Web request', 'authentication success')).toEqual([]);
    // Threat-leaning kinds may: the claim only raises scrutiny.
    expect(kindOf('Web request', 'possible SQL injection in parameter id')).toContain('kind.web.attack');
  });
});

describe('detection kinds: verdicts', () => {
  const cases: Array<[string, NormalizedAlert, Classification | 'not FALSE_POSITIVE']> = [
    // Routine authentication
    [
      'name-only Dovecot login from an internal host',
      alertOf({
        name: 'Wazuh: Dovecot Authentication Success.',
        src_ip: '10.4.0.9',
        severity_inferred: true,
      }),
      'FALSE_POSITIVE',
    ],
    [
      'Windows 4624 from an internal workstation',
      alertOf({
        format: 'generic',
        name: 'An account was successfully logged on',
        user: 'CORP\\jdoe',
        src_ip: '10.1.2.3',
        facts: { EventID: 4624, LogonType: 3 },
      }),
      'FALSE_POSITIVE',
    ],
    [
      'Okta sign-in from the internet (normal for an IdP)',
      alertOf({
        name: 'User login to Okta',
        src_ip: '198.51.100.7',
        user: 'jdoe@corp.example',
        // Okta's `outcome.result` as the normalizer reads it (normalizers: signals.test.ts).
        facts: { success: true },
      }),
      'FALSE_POSITIVE',
    ],
    [
      'Okta login that failed under the same neutral name',
      alertOf({
        name: 'User login to Okta',
        src_ip: '198.51.100.7',
        facts: { success: false },
      }),
      'not FALSE_POSITIVE',
    ],
    [
      'Entra ID sign-in with an error code',
      alertOf({ name: 'User signed in', src_ip: '203.0.113.50', facts: { success: false } }),
      'not FALSE_POSITIVE',
    ],
    [
      'sshd root login from the internet',
      alertOf({
        format: 'wazuh',
        name: 'sshd: authentication success.',
        src_ip: '203.0.113.9',
        user: 'root',
      }),
      'not FALSE_POSITIVE',
    ],
    [
      'Splunk ES: successful login after brute force',
      alertOf({
        format: 'splunk',
        name: 'Access - Successful Login After Brute Force Attempts - Rule',
        src_ip: '10.3.3.3',
      }),
      'not FALSE_POSITIVE',
    ],
    // Housekeeping
    [
      'name-only ClamAV update',
      alertOf({ name: 'Wazuh: ClamAV database update', severity_inferred: true }),
      'FALSE_POSITIVE',
    ],
    [
      'Defender signature update',
      alertOf({ format: 'sentinel', name: 'Security intelligence updated', severity: 'Informational' }),
      'FALSE_POSITIVE',
    ],
    [
      'Defender update failed',
      alertOf({ name: 'Security intelligence update failed' }),
      'not FALSE_POSITIVE',
    ],
    ['agent started', alertOf({ name: 'Wazuh agent started.' }), 'FALSE_POSITIVE'],
    ['agent stopped is not closed on its own', alertOf({ name: 'Wazuh agent stopped.' }), 'NEEDS_REVIEW'],
    ['SELinux check', alertOf({ name: 'Auditd: SELinux permission check.' }), 'FALSE_POSITIVE'],
    [
      'audit log cleared (Windows 1102)',
      alertOf({ name: 'The audit log was cleared', host: 'dc01' }),
      'TRUE_POSITIVE',
    ],
    [
      'integrity change is not housekeeping',
      alertOf({ name: 'Integrity checksum changed.' }),
      'NEEDS_REVIEW',
    ],
    // Policy / informational IDS
    [
      'name-only ET POLICY package manager',
      alertOf({
        name: 'Suricata: Alert - ET POLICY GNU/Linux APT User-Agent Outbound likely related to package management',
        src_ip: '10.0.0.4',
      }),
      'FALSE_POSITIVE',
    ],
    [
      'ET POLICY curl is not closed on the class alone',
      alertOf({ name: 'ET POLICY curl User-Agent Outbound' }),
      'NEEDS_REVIEW',
    ],
    // Web reconnaissance
    [
      'single 4xx',
      alertOf({ name: 'Wazuh: Web server 400 error code.', src_ip: '10.9.1.1' }),
      'NEEDS_REVIEW',
    ],
    [
      'burst of 4xx (Wazuh correlation)',
      alertOf({ name: 'Multiple web server 400 error codes from same source ip.' }),
      'TRUE_POSITIVE',
    ],
    [
      'Sentinel-style 404 burst',
      alertOf({ format: 'sentinel', name: 'High number of 404 errors from a single IP' }),
      'TRUE_POSITIVE',
    ],
    ['Nikto by name', alertOf({ format: 'elastic', name: 'Nikto scan detected' }), 'TRUE_POSITIVE'],
    [
      'forbidden file',
      alertOf({ name: 'Apache: Attempt to access forbidden file or directory.' }),
      'NEEDS_REVIEW',
    ],
    ['common web attack', alertOf({ name: 'Common web attack.' }), 'NEEDS_REVIEW'],
    // Anomaly detectors
    [
      'AMiner new request method',
      alertOf({ name: 'AMiner: New request method in Apache Access log.' }),
      'NEEDS_REVIEW',
    ],
    [
      'Elastic ML unusual login',
      alertOf({ format: 'elastic', name: 'Unusual Login Activity', severity: 'Low' }),
      'NEEDS_REVIEW',
    ],
    // Privilege changes
    ['first sudo', alertOf({ name: 'First time user executed sudo.' }), 'NEEDS_REVIEW'],
    [
      'group membership (Windows 4728)',
      alertOf({ name: 'A member was added to a security-enabled global group', user: 'helpdesk1' }),
      'NEEDS_REVIEW',
    ],
    // Generic IDS relay and named ET classes
    ['IDS event without a signature', alertOf({ name: 'Wazuh: IDS event.' }), 'NEEDS_REVIEW'],
    [
      'ET EXPLOIT by name',
      alertOf({ name: 'Suricata: Alert - ET EXPLOIT Apache log4j RCE Attempt (CVE-2021-44228)' }),
      'TRUE_POSITIVE',
    ],
    [
      'ET TROJAN by name',
      alertOf({ format: 'splunk', name: 'ET TROJAN Observed Cobalt Strike Beacon' }),
      'TRUE_POSITIVE',
    ],
    [
      'ET SCAN Nmap by name',
      alertOf({ name: 'Suricata: Alert - ET SCAN Possible Nmap User-Agent Observed' }),
      'TRUE_POSITIVE',
    ],
    [
      'Defender malware',
      alertOf({ format: 'sentinel', name: "'Mimikatz' malware was detected", severity: 'High' }),
      'TRUE_POSITIVE',
    ],
  ];
  it.each(cases)('%s', (_label, alert, expected) => {
    const v = verdictOf(alert);
    if (expected === 'not FALSE_POSITIVE') expect(v.classification).not.toBe('FALSE_POSITIVE');
    else expect(v.classification).toBe(expected);
  });

  it('recon and anomaly output are never closed, whatever else leans benign', () => {
    for (const name of [
      'Web server 400 error code.',
      'AMiner: New characters in Apache Access request.',
      'Apache: Attempt to access forbidden file or directory.',
      'Network - Vulnerability Scanner Detection (by targets) - Rule',
    ]) {
      // Level 0-1 is the most benign prior Wazuh gives; a routine-looking host adds to it.
      const a = wazuhAlert({
        rule: { level: 1, groups: ['syslog'], description: name, id: '1', firedtimes: 5000 },
      });
      const v = verdictOf(a);
      expect(v.classification, name).not.toBe('FALSE_POSITIVE');
      expect(
        v.evidence.some((e) => e.keepOpen && e.effective > 0),
        name,
      ).toBe(true);
    }
  });

  it('recon from a KNOWN_BENIGN scanner is closed', () => {
    const c = testConfig({ KNOWN_BENIGN: '10.50.0.0/16' });
    const a = alertOf({
      name: 'Multiple web server 400 error codes from same source ip.',
      src_ip: '10.50.1.2',
    });
    expect(verdictOf(a, enrichmentOf(), c).classification).toBe('FALSE_POSITIVE');
  });

  it('a routine login becomes less routine with caveats: privileged, from the internet, at night', () => {
    const login = (over: Partial<NormalizedAlert>) =>
      verdictOf(alertOf({ name: 'sshd: Accepted password', src_ip: '10.0.0.8', user: 'jdoe', ...over }));
    expect(login({}).classification).toBe('FALSE_POSITIVE');
    const root = login({ user: 'root' });
    expect(root.classification).toBe('NEEDS_REVIEW');
    expect(root.reasons.join(' ')).toMatch(/root is privileged/);
    expect(login({ src_ip: '203.0.113.4' }).classification).toBe('NEEDS_REVIEW');
    expect(login({ first_seen: '2025-03-04T02:10:00Z' }).classification).toBe('NEEDS_REVIEW');
    // Mail clients poll at night on their own.
    expect(
      verdictOf(
        alertOf({
          name: 'Dovecot Authentication Success.',
          src_ip: '10.0.0.8',
          first_seen: '2025-03-04T02:10:00Z',
        }),
      ).classification,
    ).toBe('FALSE_POSITIVE');
  });

  it('never closes a routine login while intel rates the source malicious', () => {
    const a = alertOf({
      name: 'User login to Okta',
      src_ip: '45.9.9.9',
      facts: { success: true },
    });
    const v = verdictOf(a, enrichmentOf({ '45.9.9.9': ipIntel(abuse(95)) }));
    expect(v.classification).not.toBe('FALSE_POSITIVE');
  });

  it('sudo to root: review for a routine command, threat for /etc/shadow from a web directory', () => {
    const sudo = (command: string, pwd: string) =>
      wazuhAlert({
        rule: {
          level: 3,
          groups: ['syslog', 'sudo'],
          description: 'Successful sudo to ROOT executed.',
          id: '5402',
        },
        data: { srcuser: 'alice', dstuser: 'root', pwd, command },
        full_log: `host sudo: alice : TTY=pts/0 ; PWD=${pwd} ; USER=root ; COMMAND=${command}`,
      });
    const routine = verdictOf(sudo('/usr/bin/systemctl restart nginx', '/home/alice'));
    expect(routine.classification).toBe('NEEDS_REVIEW');
    expect(routine.evidence.map((e) => e.id)).toContain('kind.privilege.sudo_root');
    expect(verdictOf(sudo('/bin/cat /etc/shadow', '/var/www/html/uploads')).classification).toBe(
      'TRUE_POSITIVE',
    );
  });

  it('a system account (uid 1-999) opening an su session is a threat; root or a person is not', () => {
    const pam = (by: string) =>
      wazuhAlert({
        rule: {
          level: 3,
          groups: ['pam', 'syslog', 'authentication_success'],
          description: 'PAM: Login session opened.',
          id: '5501',
        },
        data: { dstuser: 'bob' },
        full_log: `host su[2231]: pam_unix(su:session): session opened for user bob by ${by}`,
      });
    const svc = verdictOf(pam('(uid=48)'));
    expect(svc.classification).toBe('TRUE_POSITIVE');
    expect(svc.evidence.map((e) => e.id)).toContain('kind.privilege.service_account_switch');
    expect(ids(pam('alice(uid=1000)'))).not.toContain('kind.privilege.service_account_switch');
    expect(ids(pam('(uid=0)'))).not.toContain('kind.privilege.service_account_switch');
  });

  it('words inside an IDS signature name never read as housekeeping', () => {
    const v = verdictOf(
      alertOf({ name: 'GPL NTP monlist request', facts: { signature: 'GPL NTP monlist request' } }),
    );
    expect(v.evidence.map((e) => e.id).filter((i) => i.startsWith('kind.housekeeping'))).toEqual([]);
  });
});

describe('detection kinds: near misses', () => {
  it('stays specific: generic error bursts, package installs and C2 sessions are not what they resemble', () => {
    expect(kindOf('Multiple errors in application log')).not.toContain('kind.web.error_burst');
    expect(kindOf('High number of errors from payment service')).not.toContain('kind.web.error_burst');
    expect(kindOf('Excessive HTTP 404 responses from one client')).toContain('kind.web.error_burst');
    // A host installing a package is not closed because the name says "yum".
    expect(verdictOf(alertOf({ name: 'New yum package installed' })).classification).toBe('NEEDS_REVIEW');
    expect(kindOf('Meterpreter session opened')).toEqual([]);
  });
});
