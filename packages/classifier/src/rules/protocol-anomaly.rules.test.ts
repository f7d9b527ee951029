import type { NormalizedAlert } from '@triage/contracts';
import { describe, expect, it } from 'vitest';
import { abuse, alertOf, enrichmentOf, ipIntel, verdictOf, wazuhAlert } from '../fixtures.test-support.ts';

/*
 * Suricata protocol-decoder anomalies: benign-leaning with a confidence ceiling when nothing
 * corroborates an attack, kept for review when something does.
 */

/** A Suricata EVE alert as Wazuh forwards it (rule 86601, level 3), with its flow context. */
function eve(
  signature: string,
  o: { src: string; sport: number; dst: string; dport: number; count?: number; proto?: string; ua?: string },
): NormalizedAlert {
  const proto = o.proto ?? signature.split(' ')[1]!.toLowerCase();
  return wazuhAlert({
    rule: {
      level: 3,
      groups: ['ids', 'suricata'],
      description: `Suricata: Alert - ${signature}`,
      id: '86601',
    },
    data: {
      src_ip: o.src,
      src_port: String(o.sport),
      dest_ip: o.dst,
      dest_port: String(o.dport),
      app_proto: proto,
      alert: { signature, category: 'Generic Protocol Command Decode', severity: '3' },
      ...(o.count !== undefined
        ? { metadata: { flowints: { [proto]: { anomaly: { count: String(o.count) } } } } }
        : {}),
      ...(o.ua ? { http: { http_user_agent: o.ua } } : {}),
    },
  });
}
const withPorts = (a: NormalizedAlert, sport: number, dport: number): NormalizedAlert => ({
  ...a,
  src_port: sport,
  dst_port: dport,
});
const ids = (v: ReturnType<typeof verdictOf>) => v.evidence.map((e) => e.id);

describe('protocol-decoder anomalies', () => {
  it('uncorroborated: closed, with low confidence that says why', () => {
    const a = withPorts(
      eve('SURICATA TLS invalid handshake message', {
        src: '93.184.216.34',
        sport: 443,
        dst: '10.0.0.5',
        dport: 51000,
        count: 1,
      }),
      443,
      51000,
    );
    const v = verdictOf(a);
    expect(v.classification).toBe('FALSE_POSITIVE');
    expect(v.confidence).toBeLessThanOrEqual(60);
    expect(ids(v)).toContain('ids.decoder_anomaly');
    expect(v.reasons.join(' ')).toMatch(/low confidence/);
  });

  it('a name-only TLS row (no flow context) leans the same way', () => {
    const v = verdictOf(
      alertOf({
        name: 'Suricata: Alert - SURICATA TLS invalid handshake message',
        severity_inferred: true,
      }),
    );
    expect(v.classification).toBe('FALSE_POSITIVE');
    expect(v.confidence).toBeLessThanOrEqual(60);
  });

  it('cleartext application-protocol anomalies stay open even without corroboration', () => {
    for (const name of [
      'Suricata: Alert - SURICATA HTTP unable to match response to request',
      'SURICATA SMTP invalid reply',
      'SURICATA FTP too many transactions',
      'SURICATA SSH invalid banner',
    ]) {
      const v = verdictOf(alertOf({ name }));
      expect(v.classification, name).toBe('NEEDS_REVIEW');
      expect(ids(v), name).toContain('ids.cleartext_protocol_anomaly');
    }
  });

  it('TCP stream noise leans benign a little more firmly, still capped', () => {
    const v = verdictOf(
      alertOf({ name: 'SURICATA STREAM ESTABLISHED packet out of window', format: 'suricata' }),
    );
    expect(v.classification).toBe('FALSE_POSITIVE');
    expect(v.confidence).toBeLessThanOrEqual(70);
  });

  it('several distinct anomalies in one flow keep it open', () => {
    const a = withPorts(
      eve('SURICATA TLS invalid record/traffic', {
        src: '10.0.0.5',
        sport: 50123,
        dst: '198.51.100.20',
        dport: 443,
        count: 3,
      }),
      50123,
      443,
    );
    const v = verdictOf(a);
    expect(v.classification).toBe('NEEDS_REVIEW');
    expect(ids(v)).toContain('ids.decoder_anomaly_corroborated');
    expect(v.reasons.join(' ')).toMatch(/3 distinct protocol anomalies/);
  });

  it('TLS on a port that is not its own keeps it open', () => {
    const tls = withPorts(
      eve('SURICATA TLS invalid handshake message', {
        src: '10.0.0.5',
        sport: 50123,
        dst: '198.51.100.20',
        dport: 4444,
      }),
      50123,
      4444,
    );
    expect(verdictOf(tls).classification).toBe('NEEDS_REVIEW');
    const usual = withPorts(
      eve('SURICATA TLS invalid handshake message', {
        src: '10.0.0.5',
        sport: 50123,
        dst: '198.51.100.20',
        dport: 8443,
      }),
      50123,
      8443,
    );
    expect(verdictOf(usual).classification).toBe('FALSE_POSITIVE');
  });

  it('suspicious or malicious intel on the peer keeps it open', () => {
    const a = withPorts(
      eve('SURICATA TLS invalid record/traffic', {
        src: '10.0.0.5',
        sport: 50123,
        dst: '45.9.9.9',
        dport: 443,
      }),
      50123,
      443,
    );
    expect(verdictOf(a, enrichmentOf({ '45.9.9.9': ipIntel(abuse(40)) })).classification).toBe(
      'NEEDS_REVIEW',
    );
    const bad = verdictOf(a, enrichmentOf({ '45.9.9.9': ipIntel(abuse(95)) }));
    expect(bad.classification).not.toBe('FALSE_POSITIVE');
  });

  it('an SSLv2 hello is a scanner artefact, not a broken modern client', () => {
    const v = verdictOf(alertOf({ name: 'Suricata: Alert - SURICATA TLS invalid SSLv2 header' }));
    expect(v.classification).toBe('NEEDS_REVIEW');
  });

  it('other attack evidence in the same alert outweighs the benign reading', () => {
    const a = withPorts(
      eve('SURICATA HTTP unable to match response to request', {
        src: '10.0.0.9',
        sport: 51000,
        dst: '10.0.0.5',
        dport: 80,
        ua: 'Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)',
      }),
      51000,
      80,
    );
    const v = verdictOf(a);
    expect(v.classification).not.toBe('FALSE_POSITIVE');
    expect(ids(v)).toContain('web.scanner');
  });

  it('Wazuh’s relay level (3 for every Suricata alert) is not counted for or against a signature', () => {
    const trojan = wazuhAlert({
      rule: {
        level: 3,
        groups: ['ids', 'suricata'],
        description: 'Suricata: Alert - ET TROJAN Win32/Emotet CnC Activity',
        id: '86601',
      },
      data: {
        alert: {
          signature: 'ET TROJAN Win32/Emotet CnC Activity',
          category: 'A Network Trojan was detected',
          severity: '1',
        },
      },
    });
    const v = verdictOf(trojan);
    expect(ids(v)).not.toContain('wazuh.level');
    expect(v.classification).toBe('TRUE_POSITIVE');
  });
});
