import { linear } from '../linear.ts';
import {
  BROWSER,
  DEFENDER_DIR,
  LOLBIN,
  OFFICE_APP,
  PDF_READER,
  SERVER_PROCESS,
  SHELL_OR_SCRIPT_HOST,
  SYSTEM_DIR,
  UNIX_SHELL,
  WINDOWS_DIR,
} from './paths.ts';
import type { KnowledgeRow } from './row.ts';

/**
 * Process lineage norms: which parents start which children. Image paths are measured by the
 * sensor (Sysmon, 4688: metadata), so the benign rows (Windows' own boot and service chain) may
 * count; the threat rows are the parent → child pairs that mean a document, a browser, a server
 * or a remote-management host started a shell.
 */

const parent = (re: string) => ({ in: ['parent.image'], re: linear(re) });
const SHELL_OR_LOLBIN = linear(`${SHELL_OR_SCRIPT_HOST}|${LOLBIN}`);

export const LINEAGE: readonly KnowledgeRow[] = [
  // Delivery: documents, PDFs and browsers do not start shells.
  {
    id: 'lineage.office_child',
    title: 'Office application started a shell or LOLBin',
    signals: ['process.image'],
    pattern: SHELL_OR_LOLBIN,
    also: [parent(OFFICE_APP)],
    weight: 4,
    mitre: ['T1566.001', 'T1204.002'],
    why: 'documents do not start shells or script hosts; a macro or an exploit does',
    group: 'lineage.delivery',
    floor: 'High',
  },
  {
    id: 'lineage.pdf_child',
    title: 'PDF reader started a shell or LOLBin',
    signals: ['process.image'],
    pattern: SHELL_OR_LOLBIN,
    also: [parent(PDF_READER)],
    weight: 4,
    mitre: ['T1204.002', 'T1203'],
    why: 'a PDF reader starting a shell is an exploit or an embedded launch action',
    group: 'lineage.delivery',
    floor: 'High',
  },
  {
    id: 'lineage.browser_child',
    title: 'Browser started a shell or script host',
    signals: ['process.image'],
    pattern: linear(SHELL_OR_SCRIPT_HOST),
    also: [parent(BROWSER)],
    weight: 3,
    mitre: ['T1189', 'T1204.002'],
    why: 'browsers start shells only when a download is opened from them or an exploit ran',
    group: 'lineage.delivery',
  },
  // Servers running a request: webshells and remote code execution.
  {
    id: 'lineage.server_shell',
    title: 'Server process started a shell',
    signals: ['process.image'],
    pattern: linear(`${SHELL_OR_SCRIPT_HOST}|${LOLBIN}|${UNIX_SHELL}`),
    also: [parent(SERVER_PROCESS)],
    weight: 4,
    mitre: ['T1505.003', 'T1190'],
    why: 'a web or database server starting a shell is how webshells and server exploits run commands',
    group: 'webshell',
    floor: 'High',
  },
  {
    id: 'lineage.print_spooler_child',
    title: 'Print spooler started a shell or LOLBin',
    signals: ['process.image'],
    pattern: SHELL_OR_LOLBIN,
    also: [parent(String.raw`\\spoolsv\.exe$`)],
    weight: 4,
    mitre: ['T1068', 'T1547.012'],
    why: 'the spooler runs drivers, not shells: PrintNightmare-style exploitation',
    floor: 'High',
  },
  {
    id: 'lineage.lsass_child',
    title: 'LSASS or Winlogon started a shell',
    signals: ['process.image'],
    pattern: linear(SHELL_OR_SCRIPT_HOST),
    also: [parent(String.raw`\\(?:lsass|csrss|smss|wininit)\.exe$`)],
    weight: 4.5,
    mitre: ['T1055', 'T1546.008'],
    why: 'core OS processes never start shells: injected code or an accessibility-feature backdoor',
    floor: 'High',
  },
  {
    id: 'lineage.accessibility_shell',
    title: 'Shell in place of an accessibility tool at the logon screen',
    signals: ['process.image'],
    pattern: linear(SHELL_OR_SCRIPT_HOST),
    also: [
      parent(String.raw`\\(?:winlogon|utilman|sethc|osk|magnify|narrator|displayswitch|atbroker)\.exe$`),
    ],
    weight: 4,
    mitre: ['T1546.008'],
    why: 'a shell under the logon screen or an accessibility tool is the sticky-keys backdoor',
    floor: 'High',
  },
  // Remote execution: what the remote-management hosts start is someone else's command.
  {
    id: 'lineage.wmi_child',
    title: 'WMI provider host started a shell or LOLBin',
    signals: ['process.image'],
    pattern: SHELL_OR_LOLBIN,
    also: [parent(String.raw`\\wmiprvse\.exe$`)],
    weight: 3,
    mitre: ['T1047', 'T1021'],
    why: 'processes started by WmiPrvSE come from a WMI Win32_Process.Create call, locally or from another host (wmiexec)',
    group: 'lineage.remote',
  },
  {
    id: 'lineage.winrm_child',
    title: 'WinRM host started a shell or LOLBin',
    signals: ['process.image'],
    pattern: SHELL_OR_LOLBIN,
    also: [parent(String.raw`\\(?:wsmprovhost|winrshost)\.exe$`)],
    weight: 2.5,
    mitre: ['T1021.006'],
    why: 'a shell under WinRM is a command run from another host (PowerShell remoting, winrs, evil-winrm)',
    group: 'lineage.remote',
  },
  {
    id: 'lineage.psexec_child',
    title: 'Remote-execution service started a process',
    signals: ['parent.image'],
    pattern: linear(String.raw`\\(?:psexesvc|paexec[^\\]*|remcomsvc|csexecsvc|winexesvc)\.exe$`),
    weight: 3,
    mitre: ['T1569.002', 'T1021.002'],
    why: 'PsExec-style services run what another host sends them over SMB',
    group: 'lineage.remote',
  },
  {
    id: 'lineage.service_shell',
    title: 'Service Control Manager started a shell',
    signals: ['process.image'],
    pattern: linear(SHELL_OR_SCRIPT_HOST),
    also: [parent(String.raw`\\services\.exe$`)],
    weight: 3,
    mitre: ['T1569.002', 'T1543.003'],
    why: 'a service whose binary is a shell (`cmd /c`, `%COMSPEC%`) is how smbexec, Metasploit and Cobalt Strike run code remotely',
    group: 'lineage.remote',
  },
  {
    id: 'lineage.mmc_shell',
    title: 'MMC started a shell',
    signals: ['process.image'],
    pattern: linear(SHELL_OR_SCRIPT_HOST),
    also: [parent(String.raw`\\mmc\.exe$`)],
    weight: 2,
    mitre: ['T1021.003'],
    why: 'MMC20.Application DCOM lateral movement runs commands under mmc.exe',
    group: 'lineage.remote',
  },
  // Script hosts chaining into download or proxy execution.
  {
    id: 'lineage.script_host_child',
    title: 'Script host started a shell or LOLBin',
    signals: ['process.image'],
    pattern: linear(
      String.raw`\\(?:cmd|powershell|pwsh|rundll32|regsvr32|mshta|certutil|bitsadmin|msbuild|schtasks|curl)\.exe$`,
    ),
    also: [parent(String.raw`\\(?:wscript|cscript|mshta|hh|scrcons)\.exe$`)],
    weight: 2.5,
    mitre: ['T1059.005', 'T1059.007', 'T1218'],
    why: 'a VBScript/JScript/HTA launching a shell or LOLBin is the usual second stage of a malicious attachment',
    group: 'lineage.script',
  },
  {
    id: 'lineage.staged_parent_shell',
    title: 'Shell started by a program in a staging folder',
    signals: ['process.image'],
    pattern: linear(String.raw`\\(?:cmd|powershell|pwsh|wscript|cscript|mshta|rundll32|regsvr32)\.exe$`),
    also: [
      parent(
        String.raw`(?:\\users\\public\\|\\windows\\(?:temp|tasks|debug|tracing)\\|\\perflogs\\|\\\$recycle\.bin\\|^[a-z]:\\programdata\\[^\\]+$|^[a-z]:\\[^\\]+$)`,
      ),
    ],
    weight: 2,
    mitre: ['T1059', 'T1204.002'],
    why: 'software is not installed in Public, Windows\\Temp, PerfLogs or drive roots; droppers are',
    group: 'location.staging',
  },
  // Core OS processes with the wrong parent: hollowing or masquerading.
  {
    id: 'lineage.svchost_parent',
    title: 'svchost.exe not started by the Service Control Manager',
    signals: ['process.image'],
    pattern: linear(String.raw`\\svchost\.exe$`),
    also: [{ in: ['parent.image'], re: linear(String.raw`\.exe$`) }],
    unless: [parent(String.raw`\\(?:services|msmpeng|mrt|svchost)\.exe$|^system$`)],
    weight: 3,
    mitre: ['T1036.005', 'T1055.012'],
    why: 'every genuine svchost.exe is started by services.exe; another parent means a fake or hollowed copy',
    group: 'cmd.masquerade',
  },
  {
    id: 'lineage.lsass_parent',
    title: 'lsass.exe not started by wininit.exe',
    signals: ['process.image'],
    pattern: linear(String.raw`\\lsass\.exe$`),
    also: [{ in: ['parent.image'], re: linear(String.raw`\.exe$`) }],
    unless: [parent(String.raw`\\wininit\.exe$`)],
    weight: 4,
    mitre: ['T1036.005'],
    why: 'the one genuine lsass.exe is started by wininit.exe at boot',
    group: 'cmd.masquerade',
  },
  // The Windows boot and service chain (metadata on both sides: benign).
  {
    id: 'lineage.os_chain',
    title: 'Windows boot/service chain',
    signals: ['process.image'],
    pattern: linear(
      `${SYSTEM_DIR}(?:svchost|services|lsass|lsaiso|winlogon|wininit|csrss|smss|fontdrvhost|dwm|logonui|userinit|sihost|taskhostw|ctfmon|runtimebroker|dllhost|wmiprvse|backgroundtaskhost|searchindexer|searchprotocolhost|searchfilterhost|audiodg|spoolsv|conhost|wudfhost|dashost|smartscreen|securityhealthservice|sgrmbroker|consent|werfault|wermgr|lsm|usocoreworker|mousocoreworker|sppsvc|sppextcomobj|slui|dismhost|taskhost|wsqmcons|aitstatic|msiexec|trustedinstaller|tiworker|compattelrunner|devicecensus|musnotification|musnotificationux|usoclient|wuauclt|wuaucltcore|sdiagnhost|unsecapp|vssvc|searchui|startmenuexperiencehost|shellexperiencehost|textinputhost|applicationframehost|systemsettings|wlanext|mpsigstub|mrt|defrag|cleanmgr|dfrgui|tzsync|wbengine|vds|msdtc|provtool|gpupdate|taskeng|rdpclip|dfsrs|ntfrs|ismserv|dns|certsrv|lsaiso)\\.exe$`,
    ),
    also: [
      parent(
        `${SYSTEM_DIR}(?:svchost|services|wininit|winlogon|smss|csrss|taskhostw|taskeng|userinit|tiworker|trustedinstaller|usoclient|wuauclt)\\.exe$|^system$|^registry$`,
      ),
    ],
    // Anything the command line adds (an encoded script, a download) is judged by the other rules.
    weight: -1.5,
    why: 'both images are Windows binaries in their own folders, in the parent → child order Windows itself uses to boot and run services',
    group: 'endpoint.os_routine',
  },
  {
    id: 'lineage.defender_chain',
    title: 'Defender engine and its own tools',
    signals: ['process.image'],
    pattern: linear(
      `${DEFENDER_DIR}[^\\\\]+\\\\(?:mpcmdrun|msmpeng|nissrv|mpdefendercoreservice|mpdlpservice)\\.exe$|${DEFENDER_DIR}(?:mpcmdrun|msmpeng|nissrv)\\.exe$`,
    ),
    also: [parent(`${SYSTEM_DIR}(?:svchost|services|wininit)\\.exe$|${DEFENDER_DIR}|^system$`)],
    weight: -1.5,
    why: 'Defender runs its scans and updates from its platform folder under the service host',
    group: 'endpoint.os_routine',
  },
  {
    id: 'lineage.explorer_shell_chain',
    title: 'User shell started by the logon chain',
    signals: ['process.image'],
    pattern: linear(`${WINDOWS_DIR}explorer\\.exe$`),
    also: [parent(`${SYSTEM_DIR}(?:userinit|winlogon)\\.exe$`)],
    weight: -1.5,
    why: 'userinit.exe starting explorer.exe is every interactive logon',
    group: 'endpoint.os_routine',
  },
  // Network use by processes that should not talk.
  {
    id: 'lineage.script_host_network',
    title: 'Script host or proxy-execution binary connecting out',
    signals: ['process.image'],
    pattern: linear(
      String.raw`\\(?:wscript|cscript|mshta|regsvr32|rundll32|msbuild|installutil|regasm|regsvcs|certutil|bitsadmin|hh|cmstp|msiexec|odbcconf)\.exe$`,
    ),
    also: [{ in: ['event.action'], re: linear('^network_connection$') }],
    weight: 2,
    mitre: ['T1071', 'T1218', 'T1059.005'],
    why: 'script hosts and LOLBins making their own network connections are fetching payloads or talking to C2',
    group: 'lineage.script',
  },
  {
    id: 'lineage.script_host_module',
    title: 'Script host loading a scheduling, .NET or credential library',
    signals: ['file.path'],
    pattern: linear(
      String.raw`\\(?:taskschd|clr|mscoree|mscoreei|vaultcli|samlib|dbghelp|dbgcore|wmiutils|system\.management\.automation(?:\.ni)?|winhttp|wininet)\.dll$`,
    ),
    also: [
      {
        in: ['process.image'],
        re: linear(String.raw`\\(?:mshta|wscript|cscript|regsvr32|rundll32|msbuild|odbcconf|cmstp)\.exe$`),
      },
      { in: ['file.action'], re: linear('^loaded$') },
    ],
    weight: 2,
    mitre: ['T1053.005', 'T1620', 'T1059.005'],
    why: 'an HTA or script host loading the task scheduler, the .NET runtime or the credential vault is scheduling, reflectively loading or stealing (DotNetToJScript-style)',
    group: 'lineage.script',
  },
  // Linux.
  {
    id: 'lineage.linux_service_shell',
    title: 'Network service spawned a shell',
    signals: ['process.image'],
    pattern: linear(UNIX_SHELL),
    also: [
      parent(`^/usr/s?bin/(?:mysqld|postgres|redis-server|mongod|named|vsftpd|proftpd|exim4?|dovecot|smbd)$`),
    ],
    weight: 4,
    mitre: ['T1190', 'T1059.004'],
    why: 'databases, DNS, FTP and mail daemons do not run shells; an exploit or a malicious UDF does',
    group: 'webshell',
    floor: 'High',
  },
];
