import type { NormalizedAlert, Observable } from '@triage/contracts';
import { describe, expect, it } from 'vitest';
import { Allowlist } from './allowlist.ts';
import { extractObservables, refang } from './extract.ts';

const alert = (over: Partial<NormalizedAlert> = {}): NormalizedAlert => ({
  format: 'generic',
  name: 'test alert',
  severity: 'High',
  fingerprint: 'a'.repeat(64),
  raw: {},
  ...over,
});

const values = (obs: Observable[], type?: Observable['type']) =>
  obs.filter((o) => !type || o.type === type).map((o) => o.value);

const SHA256 = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';
const SHA1 = '3395856ce81f2b7382dee72602f798b642f14140';
const MD5 = '44d88612fea8a8f36de82e1278abb02f';

describe('refang', () => {
  it('undoes the usual defanging', () => {
    expect(
      refang('hxxps://evil[.]com/a and hXXp://x(.)org and 1.2.3[.]4 and http[:]//y.net and a[@]b.com'),
    ).toBe('https://evil.com/a and http://x.org and 1.2.3.4 and http://y.net and a@b.com');
  });
});

describe('extractObservables', () => {
  it('takes the named fields first, with scope on IPs', () => {
    const obs = extractObservables(
      alert({
        src_ip: '185.220.101.52',
        dst_ip: '10.0.0.5',
        urls: ['http://evil.example.com/x'],
        domains: ['bad.io'],
        hashes: [{ algorithm: 'sha256', value: SHA256.toUpperCase() }],
        user: 'alice@corp.com',
      }),
    );
    expect(obs.slice(0, 2)).toEqual([
      { type: 'ipv4', value: '185.220.101.52', scope: 'public' },
      { type: 'ipv4', value: '10.0.0.5', scope: 'private' },
    ]);
    expect(values(obs, 'url')).toEqual(['http://evil.example.com/x']);
    expect(values(obs, 'domain')).toEqual(['evil.example.com', 'bad.io']);
    expect(values(obs, 'sha256')).toEqual([SHA256]);
    expect(values(obs, 'email')).toEqual(['alice@corp.com']);
  });

  it('refangs URLs and strips trailing JSON / sentence punctuation', () => {
    const obs = extractObservables(
      alert({
        description:
          'Beacon to hxxps://evil[.]com/gate.php?id=1", then "http://c2.example.net/a.exe\', see (http://x.example.org/path). Also https://en.wikipedia.org/wiki/Foo_(bar).',
      }),
    );
    expect(values(obs, 'url')).toEqual([
      'https://evil.com/gate.php?id=1',
      'http://c2.example.net/a.exe',
      'http://x.example.org/path',
      'https://en.wikipedia.org/wiki/Foo_(bar)',
    ]);
    // The hosts are looked up too; file names in paths are not domains.
    expect(values(obs, 'domain')).toEqual([
      'evil.com',
      'c2.example.net',
      'x.example.org',
      'en.wikipedia.org',
    ]);
  });

  it('keeps an email but not its domain as a domain lookup', () => {
    const obs = extractObservables(
      alert({ description: 'Phish sent by Mallory@Evil-Mail.com to bob@corp.com' }),
    );
    expect(values(obs, 'email')).toEqual(['mallory@evil-mail.com', 'bob@corp.com']);
    expect(values(obs, 'domain')).toEqual([]);
  });

  it('finds hashes of exact length only, never inside longer hex runs', () => {
    const longer = `${SHA256}ab`;
    const obs = extractObservables(
      alert({ description: `md5=${MD5} sha1:${SHA1} sha256 ${SHA256} run ${longer} 0x${MD5}` }),
    );
    expect(values(obs, 'md5')).toEqual([MD5]);
    expect(values(obs, 'sha1')).toEqual([SHA1]);
    expect(values(obs, 'sha256')).toEqual([SHA256]);
    expect(obs).toHaveLength(3);
  });

  it('does not take identifiers or our own fingerprint for hashes', () => {
    const obs = extractObservables(
      alert({ raw: { alert_id: SHA256, uuid: MD5, fingerprint: SHA1, file: { sha1: SHA1 } } }),
    );
    expect(values(obs)).toEqual([SHA1]);
  });

  it('validates and canonicalises IPv6, and reads IPv4-mapped addresses as IPv4', () => {
    const obs = extractObservables(
      alert({
        description:
          'from 2001:0DB8:0000:0000:0000:0000:0000:0001 and [2a00:1450:4001:82b::200e]:443 and ::ffff:8.8.8.8, not 12:34:56 nor 00:1a:2b:3c:4d:5e nor std::string',
      }),
    );
    expect(obs).toEqual([
      { type: 'ipv6', value: '2001:db8::1', scope: 'documentation' },
      { type: 'ipv6', value: '2a00:1450:4001:82b::200e', scope: 'public' },
      { type: 'ipv4', value: '8.8.8.8', scope: 'public' },
    ]);
  });

  it('rejects file names, namespaces and version numbers as domains', () => {
    const obs = extractObservables(
      alert({
        process: {
          name: 'powershell.exe',
          command_line:
            'C:\\Windows\\System32\\cmd.exe /c svchost.exe index.php setup.py run.sh v1.2.3 1.2.3 [System.Net.WebClient] lib.so.6 report.pdf.exe',
        },
      }),
    );
    expect(values(obs, 'domain')).toEqual([]);
  });

  it('takes real domains from free text, lower-cased, with a trailing dot dropped', () => {
    const obs = extractObservables(
      alert({ description: 'DNS query for Update.Evil-Cdn.NET. and login.microsoftonline.com' }),
    );
    expect(values(obs, 'domain')).toEqual(['update.evil-cdn.net', 'login.microsoftonline.com']);
  });

  it('de-duplicates across fields, case-insensitively for domains and hashes, canonically for IPv6', () => {
    const obs = extractObservables(
      alert({
        src_ip: '2001:db8::1',
        domains: ['EVIL.com'],
        hashes: [{ algorithm: 'md5', value: MD5 }],
        description: `evil.com ${MD5.toUpperCase()} 2001:db8:0:0:0:0:0:1`,
        raw: { again: ['Evil.COM', '2001:DB8::1'] },
      }),
    );
    expect(values(obs)).toEqual(['2001:db8::1', 'evil.com', MD5]);
  });

  it('does not read account names as domains, but keeps emails found there', () => {
    const obs = extractObservables(
      alert({
        user: 'maria.es',
        raw: { user: { name: 'li.de' }, UserPrincipalName: 'li@corp.com', target_user: 'bob.co' },
      }),
    );
    expect(values(obs)).toEqual(['li@corp.com']);
  });

  it('walks facts and raw to any depth within bounds', () => {
    const obs = extractObservables(
      alert({
        facts: { peer: { addr: '45.83.64.1' } },
        raw: { a: { b: [{ c: 'connect to 93.184.216.34:80' }] } },
      }),
    );
    expect(values(obs, 'ipv4')).toEqual(['45.83.64.1', '93.184.216.34']);
  });

  it('caps observables, named fields first', () => {
    const many = Array.from({ length: 300 }, (_, i) => `45.${Math.floor(i / 250)}.${i % 250}.1`).join(' ');
    const obs = extractObservables(alert({ src_ip: '8.8.4.4', description: many }), { maxObservables: 100 });
    expect(obs).toHaveLength(100);
    expect(obs[0]?.value).toBe('8.8.4.4');
  });

  it('flags allow-listed IPs, CIDRs, domains and subdomains, URLs on them and emails', () => {
    const allowlist = new Allowlist(['203.0.113.7', '198.51.100.0/24', 'corp.com']);
    const obs = extractObservables(
      alert({
        description:
          '203.0.113.7 198.51.100.9 8.8.8.8 vpn.corp.com corp.com notcorp.com https://portal.corp.com/x bob@corp.com',
      }),
      { allowlist },
    );
    const flagged = obs.filter((o) => o.allowlisted).map((o) => o.value);
    expect(flagged).toEqual([
      'https://portal.corp.com/x',
      'portal.corp.com',
      'bob@corp.com',
      '203.0.113.7',
      '198.51.100.9',
      'vpn.corp.com',
      'corp.com',
    ]);
    expect(obs.find((o) => o.value === 'notcorp.com')?.allowlisted).toBeUndefined();
    expect(obs.find((o) => o.value === '8.8.8.8')?.allowlisted).toBeUndefined();
  });

  it('drops credentials from URLs before they could be sent anywhere', () => {
    const obs = extractObservables(alert({ urls: ['https://admin:s3cret@evil.com/login#frag'] }));
    expect(values(obs, 'url')).toEqual(['https://evil.com/login']);
  });

  it('survives hostile input quickly', () => {
    const nasty = `${'a.'.repeat(50_000)}${'1:'.repeat(20_000)}${'f'.repeat(100_000)}`;
    const deep: Record<string, unknown> = {};
    let cur = deep;
    for (let i = 0; i < 1000; i++) {
      cur.n = { x: '8.8.8.8' };
      cur = cur.n as Record<string, unknown>;
    }
    const t = performance.now();
    const obs = extractObservables(alert({ description: nasty, raw: deep }));
    expect(performance.now() - t).toBeLessThan(1000);
    expect(values(obs, 'ipv4')).toEqual(['8.8.8.8']);
  });
});
