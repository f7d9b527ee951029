import { describe, expect, it } from 'vitest';
import {
  boundedMemo,
  capString,
  entity,
  getAll,
  getPath,
  MAX_STRING_BYTES,
  parseTime,
  toInt,
} from './fields.ts';
import { hashesIn, parseDomain, parseIp, parsePort, parseUrl, techniqueIds } from './observables.ts';
import { confidenceOf, severityFromScale, severityFromWord } from './severity.ts';

describe('getPath', () => {
  it('reads nested, flattened and mixed dotted keys alike', () => {
    const nested = { kibana: { alert: { rule: { name: 'r' } } } };
    const flat = { 'kibana.alert.rule.name': 'r' };
    const mixed = { 'kibana.alert': { 'rule.name': 'r' } };
    for (const doc of [nested, flat, mixed]) expect(getPath(doc, 'kibana.alert.rule.name')).toBe('r');
  });

  it('indexes arrays with numeric segments and collects through them with getAll', () => {
    const doc = { evidences: [{ src_endpoint: { ip: '1.1.1.1' } }, { src_endpoint: { ip: '2.2.2.2' } }] };
    expect(getPath(doc, 'evidences.1.src_endpoint.ip')).toBe('2.2.2.2');
    expect(getAll(doc, 'evidences.src_endpoint.ip')).toEqual(['1.1.1.1', '2.2.2.2']);
  });

  it('never returns inherited properties', () => {
    expect(getPath({}, 'constructor')).toBeUndefined();
    expect(getPath({ a: {} }, 'a.toString')).toBeUndefined();
    expect(getPath(JSON.parse('{"__proto__": {"x": 1}}'), '__proto__.x')).toBe(1);
  });
});

describe('values', () => {
  it('parses ISO times (zone-less as UTC) and epoch seconds or milliseconds', () => {
    expect(parseTime('2019-01-11 06:31:40')).toBe('2019-01-11T06:31:40.000Z');
    expect(parseTime('2022-01-17T11:18:43.274160+0000')).toBe('2022-01-17T11:18:43.274Z');
    expect(parseTime('2023-01-13T15:08:44.967-05:00')).toBe('2023-01-13T20:08:44.967Z');
    expect(parseTime('1717493410')).toBe('2024-06-04T09:30:10.000Z');
    expect(parseTime(1689963113060)).toBe('2023-07-21T18:11:53.060Z');
  });

  it('refuses locale dates, times of day and relative offsets', () => {
    for (const v of [
      '11/16/2020, 8:40:20.842 PM',
      '02:00',
      'Jun 04 09:30:10',
      242,
      '242.0',
      '',
      'none',
      {},
    ]) {
      expect(parseTime(v)).toBeUndefined();
    }
  });

  it('validates IPs and ports', () => {
    expect(parseIp(' 10.0.0.1 ')).toBe('10.0.0.1');
    expect(parseIp('[FE80::1%eth0]')).toBe('fe80::1');
    for (const bad of ['xxx.xxx.x.x', '999.1.1.1', '1.2.3', 'localhost', 17, null])
      expect(parseIp(bad)).toBeUndefined();
    expect(parsePort('443')).toBe(443);
    expect(parsePort(0)).toBe(0);
    for (const bad of [70_000, -1, '1.5', 'http', '']) expect(parsePort(bad)).toBeUndefined();
    expect(toInt('0x141c')).toBe(5148);
  });

  it('treats placeholders as no entity', () => {
    for (const v of ['-', 'N/A', 'unknown', '  ', 'null']) expect(entity(v)).toBeUndefined();
    expect(entity('root')).toBe('root');
  });

  it('truncates at 64 KiB of UTF-8 without splitting a character', () => {
    const s = 'é'.repeat(MAX_STRING_BYTES);
    const capped = capString(s);
    expect(Buffer.byteLength(capped)).toBeLessThanOrEqual(MAX_STRING_BYTES);
    expect(capped.endsWith('é')).toBe(true);
    expect(capString('short')).toBe('short');
  });
});

describe('observables', () => {
  it('reads hashes by length from labelled strings (Sysmon) and rejects non-hex', () => {
    const sha256 = 'e9e2afad74f4e80511a5cff33d3d989b9797a718425f27e549f5b1f862c058a8';
    expect(hashesIn(`SHA256=${sha256.toUpperCase()},MD5=81ed03caf6901e444c72ac67d192fb9c`)).toEqual([
      { algorithm: 'sha256', value: sha256 },
      { algorithm: 'md5', value: '81ed03caf6901e444c72ac67d192fb9c' },
    ]);
    expect(hashesIn('z'.repeat(32))).toEqual([]);
  });

  it('keeps absolute URLs and real domains only', () => {
    expect(parseUrl('http://stealer-c2.net/payload')).toBe('http://stealer-c2.net/payload');
    expect(parseUrl('/wp-login.php')).toBeUndefined();
    expect(parseDomain('Ping.Chartbeat.NET.')).toBe('ping.chartbeat.net');
    for (const bad of ['10.225.211.226', 'localhost', 'ABC COMPANY', 'a'])
      expect(parseDomain(bad)).toBeUndefined();
  });

  it('finds ATT&CK technique ids in strings, arrays and objects', () => {
    expect(techniqueIds(['T1078', 't1059.001 and T1021.004'], { id: 'T1548.003' })).toEqual([
      'T1078',
      'T1059.001',
      'T1021.004',
      'T1548.003',
    ]);
    expect(techniqueIds('T12345 TA0001')).toEqual([]);
  });
});

describe('severity', () => {
  it('maps words from every source', () => {
    expect(severityFromWord('Very-High')).toBe('Critical');
    expect(severityFromWord('informational')).toBe('Informational');
    expect(severityFromWord('WARN')).toBe('Medium');
    expect(severityFromWord('Unknown')).toBeUndefined();
  });

  it('maps each numeric scale at its documented boundaries', () => {
    const wazuh = [0, 2, 3, 6, 7, 11, 12, 14, 15].map((n) => severityFromScale(n, 'wazuh'));
    expect(wazuh).toEqual([
      'Informational',
      'Informational',
      'Low',
      'Low',
      'Medium',
      'Medium',
      'High',
      'High',
      'Critical',
    ]);
    expect([1, 2, 3, 4].map((n) => severityFromScale(n, 'suricata'))).toEqual([
      'High',
      'Medium',
      'Low',
      'Informational',
    ]);
    expect([0, 1, 2, 3, 4, 5, 6, 99].map((n) => severityFromScale(n, 'ocsf'))).toEqual([
      undefined,
      'Informational',
      'Low',
      'Medium',
      'High',
      'Critical',
      'Critical',
      undefined,
    ]);
    expect([21, 22, 47, 48, 73, 74, 101].map((n) => severityFromScale(n, 'risk100'))).toEqual([
      'Low',
      'Medium',
      'Medium',
      'High',
      'High',
      'Critical',
      undefined,
    ]);
    expect(['3', '4', '7', '9'].map((n) => severityFromScale(n, 'cef'))).toEqual([
      'Low',
      'Medium',
      'High',
      'Critical',
    ]);
  });

  it('reads confidence as 0-100 from fractions, percents and words', () => {
    expect(confidenceOf(0.85)).toBe(85);
    expect(confidenceOf('70')).toBe(70);
    expect(confidenceOf('High')).toBe(80);
    expect(confidenceOf(150)).toBeUndefined();
  });
});

describe('boundedMemo (caches keyed by payload field names)', () => {
  it('attack: a spray of junk keys neither locks the real keys out nor keeps huge keys', () => {
    const calls: string[] = [];
    const memo = boundedMemo((k: string) => {
      calls.push(k);
      return k.length;
    }, 64);
    // A sender fills the table with field names of its own choosing, first.
    for (let i = 0; i < 1000; i++) memo(`junk_${i}`);
    calls.length = 0;
    expect(memo('rule.level')).toBe(10);
    expect(memo('rule.level')).toBe(10);
    expect(calls).toEqual(['rule.level']);
    // A 100 KB field name is answered, never kept: asking again computes it again.
    const huge = 'x'.repeat(100_000);
    expect(memo(huge)).toBe(100_000);
    expect(memo(huge)).toBe(100_000);
    expect(calls.filter((k) => k === huge)).toHaveLength(2);
  });
});
