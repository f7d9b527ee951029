import { linear } from '../linear.ts';
import { DEFENDER_DIR, STAGING_DIR, SYSTEM_DIR, USER_WRITABLE } from './paths.ts';
import type { KnowledgeRow } from './row.ts';

/**
 * Persistence and registry tampering: services, scheduled tasks, WMI subscriptions and autorun
 * registry values, judged by what they run and where it lives; registry writes that switch off a
 * security feature, hide something or hijack execution. The registry key may be seen as a
 * registry event (Sysmon 12-14: `registry.key`) or inside a `reg add` command line: rows read both.
 * All of this is content (the key, its data, the service command): it only ever raises.
 */

const KEY = ['registry.key', 'process.command_line', 'decoded'] as const;
/**
 * Between a key and its value name: `\\` in a registry event's path, `" /v "` in a `reg add`
 * command line, `-name` in Set-ItemProperty.
 */
const V = String.raw`(?:\\|["']?\s+/v\s+["']?|["']?\s+-name\s+["']?)`;
const RUNS = String.raw`(?:cmd(?:\.exe)?["']?\s+/[ck]\b|%comspec%|powershell|pwsh|wscript|cscript|mshta|rundll32|regsvr32|certutil|bitsadmin|msiexec\s.*https?:|\\\\127\.0\.0\.1\\|\\\\localhost\\|\badmin\$|\\\\\.\\pipe\\|echo\s+\S+\s*>)`;

export const PERSISTENCE: readonly KnowledgeRow[] = [
  {
    id: 'persistence.service_shell',
    title: 'Service that runs a shell or script host',
    signals: ['persistence.command'],
    pattern: linear(RUNS),
    also: [{ in: ['persistence.kind'], re: linear('^service$') }],
    weight: 4,
    mitre: ['T1543.003', 'T1569.002'],
    why: 'services are programs, not `cmd /c` lines; PsExec-like tools, Impacket smbexec, Metasploit and Cobalt Strike install exactly these',
    group: 'persistence.service',
    floor: 'High',
  },
  {
    id: 'persistence.service_user_path',
    title: 'Service binary in a user-writable folder',
    signals: ['persistence.command'],
    pattern: linear(
      `${USER_WRITABLE}|${STAGING_DIR}|\\\\windows\\\\[^\\\\]+\\.exe|^["']?%systemroot%\\\\[^\\\\]+\\.exe`,
    ),
    also: [{ in: ['persistence.kind'], re: linear('^service$') }],
    unless: [
      {
        in: ['persistence.command'],
        re: linear(
          String.raw`\\windows\\(?:explorer|hh|regedit|notepad|write|winhlp32|bfsvc|splwow64|helppane)\.exe`,
        ),
      },
    ],
    weight: 3,
    mitre: ['T1543.003'],
    why: 'a service runs as SYSTEM: its binary in a folder users can write (or dropped straight into \\Windows) is a privilege-escalation and persistence foothold',
    group: 'persistence.service',
  },
  {
    id: 'persistence.remote_exec_service',
    title: 'Remote-execution service installed',
    signals: ['persistence.name', 'persistence.command'],
    pattern: linear(String.raw`psexesvc|paexec|remcomsvc|csexecsvc|winexesvc|btobto|\bmeterpreter\b`),
    weight: 3,
    mitre: ['T1569.002', 'T1021.002'],
    why: 'these services are how PsExec and its clones run commands sent from another host',
    group: 'persistence.service',
  },
  {
    id: 'persistence.task_payload',
    title: 'Scheduled task running a script host or a staged program',
    signals: ['persistence.command'],
    pattern: linear(`${RUNS}|${STAGING_DIR}|\\\\appdata\\\\|\\\\users\\\\public\\\\|https?://`),
    also: [{ in: ['persistence.kind'], re: linear('^scheduled_task$') }],
    weight: 2.5,
    mitre: ['T1053.005'],
    why: 'tasks that start shells, script hosts or programs from user folders are the most common persistence of commodity malware',
    group: 'persistence.task',
  },
  {
    id: 'persistence.protection_task_removed',
    title: 'Windows protection task deleted or disabled',
    signals: ['persistence.name'],
    pattern: linear(
      String.raw`\\microsoft\\windows\\(?:systemrestore|windows defender|windowsbackup|exploitguard|bitlocker|updateorchestrator|windowsupdate)\\`,
    ),
    also: [{ in: ['event.action'], re: linear('^scheduled_task_(?:deleted|disabled)$') }],
    weight: 2.5,
    mitre: ['T1490', 'T1562.001'],
    why: 'system restore, Defender, backup and update tasks are removed by ransomware and tamper tools, not by administrators',
    group: 'tamper',
  },
  {
    id: 'persistence.wmi_subscription',
    title: 'WMI event subscription',
    signals: ['persistence.kind'],
    pattern: linear('^wmi_subscription$'),
    weight: 1,
    mitre: ['T1546.003'],
    why: 'permanent WMI subscriptions run code on a trigger without a file in any autorun location; a few products (and Windows itself) create them too',
    group: 'persistence.wmi',
  },
  {
    id: 'persistence.wmi_consumer_command',
    title: 'WMI consumer running a command or script',
    signals: ['persistence.command'],
    pattern: linear(`commandlinetemplate|scripttext|activescripteventconsumer|${RUNS}`),
    also: [{ in: ['persistence.kind'], re: linear('^wmi_subscription$') }],
    weight: 3,
    mitre: ['T1546.003'],
    why: 'a CommandLine or ActiveScript consumer executes whenever its filter fires: fileless persistence',
    group: 'persistence.wmi',
  },
  {
    id: 'persistence.autorun_key',
    title: 'Autorun registry value written',
    signals: KEY,
    pattern: linear(
      String.raw`\\currentversion\\(?:run|runonce|runonceex|runservices|runservicesonce|policies\\explorer\\run)\b|\\windows nt\\currentversion\\winlogon${V}(?:userinit|shell|notify|taskman)\b|\\windows nt\\currentversion\\windows${V}(?:appinit_dlls|load|run)\b|\\explorer\\(?:user )?shell folders${V}(?:common )?startup\b|\\environment${V}userinitmprlogonscript\b|\\control\\session manager${V}(?:bootexecute|setupexecute|execute)\b|\\active setup\\installed components\\`,
    ),
    weight: 1.5,
    mitre: ['T1547.001', 'T1547.004', 'T1037.001'],
    why: 'whatever these values name runs at every boot or logon',
    group: 'persistence.autorun',
  },
  {
    id: 'persistence.autorun_user_path',
    title: 'Autorun value pointing at a script host or a user-writable path',
    // The key first (specific), then what the value runs (broad).
    signals: KEY,
    pattern: linear(
      String.raw`\\currentversion\\(?:run|runonce|runonceex)\b|\\winlogon${V}(?:userinit|shell)\b|shell folders${V}(?:common )?startup\b|\\environment${V}userinitmprlogonscript\b|${V}appinit_dlls\b`,
    ),
    also: [
      {
        in: ['registry.data', 'process.command_line'],
        re: linear(
          `${RUNS}|${USER_WRITABLE}|${STAGING_DIR}|(?:^|\\s/d\\s+)["']?[a-z]:\\\\(?:test|temp|tmp)\\\\`,
        ),
      },
    ],
    weight: 2.5,
    mitre: ['T1547.001'],
    why: 'installed software autostarts from Program Files; an autorun into AppData, Temp or Public, or a shell one-liner, is malware persistence',
    group: 'persistence.autorun',
  },
  {
    id: 'persistence.execution_hijack',
    title: 'Execution hijack through the registry',
    signals: KEY,
    pattern: linear(
      String.raw`\\image file execution options\\[^\\"']+${V}(?:debugger|globalflag)\b|\\silentprocessexit\\[^\\"']+${V}monitorprocess\b|\\treatas\b|(?:hkcu|hkey_current_user|hku\\[^\\]+)\\software\\classes\\clsid\\[^\\]+\\(?:inprocserver32|localserver32)|hku\\[^\\]+_classes\\clsid\\[^\\]+\\(?:inprocserver32|localserver32)|\\control\\print\\monitors\\|\\amsi\\providers\\|\\control\\lsa\\(?:security packages|notification packages|authentication packages)\b|\\control\\netsh\\|\\services\\[^\\]+\\parameters\\servicedll\b|\\control\\safeboot\\(?:minimal|network)\\[^\\]+|\\terminal server\\wds\\rdpwd\\startupprograms|\\command processor${V}autorun\b|\\appcertdlls\b|\\control panel\\desktop${V}scrnsave\.exe`,
    ),
    weight: 3,
    mitre: ['T1546.012', 'T1546.015', 'T1547.010', 'T1547.005', 'T1574.011', 'T1546.007'],
    why: 'these keys make Windows load or start a program of the writer’s choice (debugger hijack, COM hijack, port monitor, LSA package, safe-mode service)',
    group: 'persistence.hijack',
  },
  {
    id: 'persistence.uac_bypass_key',
    title: 'UAC-bypass registry hijack',
    signals: KEY,
    pattern: linear(
      String.raw`(?:mscfile|ms-settings|exefile|folder|launcher\.systemsettings)\\shell\\open\\command|\\environment${V}(?:windir|systemroot)\b|${V}delegateexecute\b|\\app paths\\(?:control|sdclt)\.exe`,
    ),
    weight: 3.5,
    mitre: ['T1548.002'],
    why: 'auto-elevating Windows binaries read these user-writable keys: writing them runs code elevated without a prompt',
    group: 'cmd.uac_bypass',
    floor: 'High',
  },
  {
    id: 'registry.security_disabled',
    title: 'Security feature switched off in the registry',
    signals: KEY,
    pattern: linear(
      String.raw`\\windows defender\\(?:real-time protection\\)?disable\w*|\\windows defender\\exclusions\\|disableantispyware|disableantivirus|disablerealtimemonitoring|disablebehaviormonitoring|disableioavprotection|\bamsienable\b|\\amsi\\providers\\\{|enablevirtualizationbasedsecurity|requireplatformsecurityfeatures|lsacfgflags|hypervisorenforcedcodeintegrity|vulnerabledriverblocklistenable|\\systemrestore${V}disable(?:config|sr)\b|scriptblocklogging${V}enablescriptblocklogging|\\powershell\\(?:module|transcription)\w*${V}enable\w*|\\wmi\\autologger\\(?:eventlog|defender|sysmon|diagtrack)[^\\"']*${V}(?:start|enable)\b|\\firewallpolicy\\\w+profile${V}enablefirewall\b|\\(?:securityhealthservice|windefend|sense|wdboot|wdfilter|wdnissvc)${V}start\b|useactioncenterexperience|\\windows defender security center\\notifications${V}disablenotifications|\\wdigest${V}uselogoncredential\b|\\lsa${V}(?:runasppl|disablerestrictedadmin|restrictanonymous)\b|${V}localaccounttokenfilterpolicy\b|${V}(?:enablelua|consentpromptbehavioradmin)\b|\\lanmanserver\\parameters${V}autoshare(?:wks|server)\b|\\services\\eventlog\\[^\\"']+${V}(?:maxsize|retention|start)\b|\\microsoft\\windows\\eventlog\\[^\\]+\\enabled\b|\\sysmon\w*\\parameters\\|\\cryptography\\wintrust\\config|\\code integrity\\`,
    ),
    weight: 3,
    mitre: ['T1562.001', 'T1562.002', 'T1562.004', 'T1112'],
    why: 'Defender, AMSI, Credential Guard/HVCI, the driver blocklist, script logging, the firewall, UAC and system restore are switched off by attackers before they act, and almost never by hand',
    // Windows itself, Defender and Group Policy (svchost) write these values when an administrator
    // changes a setting: the writer is measured by the sensor.
    unless: [
      {
        in: ['process.image'],
        re: linear(
          `${SYSTEM_DIR}(?:svchost|services|tiworker|trustedinstaller|wininit|lsass|mmc)\\.exe$|${DEFENDER_DIR}|^system$`,
        ),
      },
    ],
    group: 'tamper',
    floor: 'High',
  },
  {
    id: 'registry.hide_artifact',
    title: 'Account, task or history hidden through the registry',
    signals: KEY,
    pattern: linear(
      String.raw`\\winlogon\\specialaccounts\\userlist\b|\\sam\\domains\\account\\users\\names\\[^\\]+\$|\\schedule\\taskcache\\tree\\[^\\"']+${V}(?:sd|index)\b|\\explorer\\runmru\b|\\terminal server client\\(?:default|servers)\b|\\explorer\\(?:typedpaths|recentdocs)\b`,
    ),
    weight: 3,
    mitre: ['T1564.002', 'T1053.005', 'T1070'],
    why: 'hidden accounts (name ending in $ or listed in SpecialAccounts), scheduled tasks stripped of their security descriptor and wiped run/RDP history are concealment',
    group: 'hide',
  },
  {
    id: 'registry.remote_access_change',
    title: 'Remote access opened through the registry',
    signals: KEY,
    pattern: linear(
      String.raw`\\terminal server${V}(?:fdenytsconnections|fallowtogethelp|fsinglesessionperuser)\b|\\winstations\\rdp-tcp${V}(?:portnumber|userauthentication|securitylayer)\b|\\zonemap\\(?:domains|ranges)\\`,
    ),
    weight: 1.5,
    mitre: ['T1021.001', 'T1112'],
    why: 'enabling RDP or Remote Assistance, moving the RDP port or trusting a domain zone opens the host to remote use',
  },
];
