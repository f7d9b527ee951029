import { linear } from '../linear.ts';
import {
  DEFENDER_DIR,
  PROGRAM_FILES,
  STAGING_DIR,
  SYSTEM_DIR,
  SYSTEM_PROCESS_NAME,
  USER_WRITABLE,
  WINDOWS_DIR,
} from './paths.ts';
import type { KnowledgeRow } from './row.ts';

/**
 * Where files and processes are: user-writable and staging folders, Windows binary names outside
 * their home folders (masquerading), system DLL names dropped or loaded elsewhere (side-loading),
 * deceptive file names, known attack tools on disk. The image path of a running process and of a
 * loaded module are measured by the sensor (metadata); created file paths are content.
 */

const RTLO = '\u202e';

/** Offensive tools by file name: on disk or running, never an administrator's everyday kit. */
const HACKTOOL_NAMES = String.raw`mimikatz|mimidrv|mimilib|pypykatz|nanodump|handlekatz|safetykatz|sharpkatz|lazagne|rubeus|kekeo|kerbrute|sharphound|bloodhound|azurehound|adfind|certify|certipy|whisker|seatbelt|sharpup|winpeas\w*|powerup|privesccheck|sharpview|powerview|sharpdpapi|sharpchrome|sharpsecdump|secretsdump|wce|pwdump\d*|gsecdump|fgdump|dumpert|edrfreeze[\w-]*|edrsandblast|wsass|kdu|ppldump|pplkiller|backstab|killav|inveigh|responder|nxc|netexec|crackmapexec|impacket|psexec_?py|smbexec|wmiexec|atexec|dcomexec|chisel|ligolo\w*|frpc|cobaltstrike|meterpreter|sliver-client|poshc2`;

/** Dual-use tools: legitimate in IT, routinely found in intrusions (scanners, remote access, run-as, dumpers). */
const DUAL_USE_NAMES = String.raw`nssm|advanced_ip_scanner|advanced_port_scanner|netscan|angryip\w*|ipscan\w*|nmap|masscan|advancedrun|nircmd\w*|nsudo\w*|psexec(?:64)?|paexec|procdump(?:64)?|processhacker|systeminformer|pchunter\w*|gmer|memprocfs|trufflehog|dirlister|lastactivityview|browserpassview|mailpassview|netpass|webbrowserpassview|anydesk|atera\w*|screenconnect\w*|splashtop\w*|ngrok|rustdesk|ammyy\w*|radmin\w*|winvnc\w*|plink|rclone|megasync|adexplorer\d*`;

/** The tool as an image or file path, or named in a command line. */
const tool = (names: string) =>
  linear(`\\\\(?:${names})\\.(?:exe|dll|ps1|py)$|(?:^|[\\\\/\\s"'])(?:${names})(?:\\.exe)?(?:["'\\s]|$)`);

export const LOCATIONS: readonly KnowledgeRow[] = [
  {
    id: 'location.masquerade',
    title: 'Windows binary name running outside its folder',
    signals: ['process.image'],
    pattern: linear(SYSTEM_PROCESS_NAME),
    unless: [
      {
        in: ['process.image'],
        re: linear(
          // Not the \\Windows root: none of these names lives there (C:\\Windows\\svchost.exe is a fake).
          `${SYSTEM_DIR}|${DEFENDER_DIR}|\\\\windows\\\\(?:microsoft\\.net|softwaredistribution)\\\\`,
        ),
      },
    ],
    weight: 3.5,
    mitre: ['T1036.005'],
    why: 'Windows ships these names in System32/SysWOW64 only; the same name elsewhere is masquerading',
    group: 'cmd.masquerade',
  },
  {
    id: 'location.staging_exec',
    title: 'Program running from a staging folder',
    signals: ['process.image'],
    pattern: linear(STAGING_DIR),
    unless: [
      { in: ['event.action'], re: linear('^(?:process_terminated|file_time_change)$') },
      // Defender and servicing unpack their updaters into \\Windows\\Temp\\{GUID}\\ and run them there.
      {
        in: ['process.image'],
        re: linear(
          `\\\\windows\\\\temp\\\\\\{?[0-9a-f-]{36}\\}?\\\\(?:mpsigstub|dismhost|am_delta(?:_patch)?[^\\\\]*|am_base[^\\\\]*|am_engine[^\\\\]*|mpam-\\w+|updateplatform[^\\\\]*)\\.exe$`,
        ),
      },
    ],
    weight: 1.5,
    mitre: ['T1204.002', 'T1036'],
    why: 'software is not installed in Public, temp roots, PerfLogs, ProgramData or drive roots; droppers stage there',
    group: 'location.staging',
  },
  {
    id: 'location.user_writable_exec',
    title: 'Program running from a user-writable folder',
    signals: ['process.image'],
    pattern: linear(USER_WRITABLE),
    also: [{ in: ['event.action'], re: linear('^process_creation$') }],
    unless: [{ in: ['process.image'], re: linear(STAGING_DIR) }],
    weight: 0.5,
    mitre: ['T1204.002'],
    why: 'code any user could have written (AppData, Downloads, Desktop) is where unvetted programs run from',
    group: 'location.staging',
  },
  {
    id: 'location.hacktool',
    title: 'Known attack tool',
    signals: [
      'process.image',
      'parent.image',
      'file.path',
      'process.original_file_name',
      'process.command_line',
    ],
    pattern: tool(HACKTOOL_NAMES),
    weight: 3.5,
    mitre: ['T1588.002'],
    why: 'these are offensive tools (credential dumping, AD enumeration, EDR tampering, C2); an administrator has no use for them',
    group: 'tool',
  },
  {
    id: 'location.dual_use_tool',
    title: 'Dual-use admin tool',
    signals: ['process.image', 'parent.image', 'file.path', 'process.command_line'],
    pattern: tool(DUAL_USE_NAMES),
    weight: 1.5,
    mitre: ['T1219', 'T1046'],
    why: 'scanners, remote-access and run-as utilities are legitimate in IT and a staple of hands-on-keyboard intrusions',
    group: 'tool',
  },
  {
    id: 'location.portable_remote_access',
    title: 'Remote-access tool running from a user folder',
    signals: ['process.image'],
    pattern: linear(
      `(?:${USER_WRITABLE}).*\\\\(?:anydesk|rustdesk|screenconnect\\.\\w+|connectwisecontrol\\.\\w+|atera\\w*|splashtop\\w*|teamviewer(?:_setup)?|ammyy\\w*|supremo|aeroadmin|litemanager\\w*|remoteutilities\\w*|rutserv|rfusclient|netsupport\\w*|client32)\\.exe$|(?:${USER_WRITABLE})(?:anydesk|rustdesk|teamviewer|supremo|aeroadmin|client32)\\.exe$`,
    ),
    weight: 1.5,
    mitre: ['T1219'],
    why: 'remote-access tools run portable from Desktop, Downloads or AppData (not installed by IT) are how support scams and intruders keep hands-on access',
    group: 'rmm.portable',
  },
  {
    id: 'location.deceptive_name',
    title: 'Deceptive file name',
    signals: ['process.image', 'file.path', 'process.command_line'],
    pattern: linear(
      `${RTLO}|\\.(?:pdf|docx?|xlsx?|pptx?|txt|jpe?g|png|gif|zip|rtf|msc)\\.(?:exe|scr|com|pif|bat|cmd|js|jse|vbs|vbe|hta|lnk|cpl)$|\\\\\\$?recycle[rs]?\\.bin\\\\|\\\\recyclers?\\\\`,
    ),
    weight: 3,
    mitre: ['T1036.002', 'T1036.007', 'T1564.001'],
    why: 'right-to-left override characters, double extensions and fake recycle-bin folders exist to fool the user or the analyst',
    group: 'cmd.double_extension',
  },
  {
    id: 'location.system_binary_dropped',
    title: 'Windows binary or DLL name written outside its folder',
    signals: ['file.path'],
    pattern: linear(
      `${SYSTEM_PROCESS_NAME}|\\\\(?:tieringengineservice|bitsadmin|sethc|utilman|osk|winlogon|ntoskrnl)\\.exe$|\\\\(?:version|dbghelp|dbgcore|wlbsctrl|tdh|cryptbase|winmm|uxtheme|dwmapi|wtsapi32|secur32|userenv|profapi|mswsock|wbemcomn|wer|faultrep|ntdll|kernel32|amsi|dpapi|cryptsp|rasapi32|iphlpapi|edputil|propsys|xmllite|winhttp|wininet|dnsapi|netapi32|samlib|srvcli|sspicli|vaultcli|wow64log|ualapi|tsmsisrv|tsvipsrv|fveapi|oci|cdpsgshims|windowscoredeviceinfo|wptsextensions|ntwdblib|iertutil|mscoree|clr|sxs|apphelp)\\.dll$`,
    ),
    unless: [
      {
        in: ['file.path'],
        re: linear(
          `${SYSTEM_DIR}|${PROGRAM_FILES}|${WINDOWS_DIR}(?:microsoft\\.net|softwaredistribution|installer|assembly)\\\\`,
        ),
      },
      // A module load is judged by the side-loading row.
      { in: ['file.action'], re: linear('^loaded$') },
    ],
    weight: 2.5,
    mitre: ['T1036.005', 'T1574.001'],
    why: 'a copy of a Windows binary or DLL name outside System32 is masquerading or a DLL planted for search-order hijacking',
    group: 'cmd.masquerade',
  },
  {
    id: 'location.system_dll_planted',
    title: 'DLL that Windows does not ship planted in System32',
    signals: ['file.path'],
    pattern: linear(
      `${SYSTEM_DIR}(?:wlbsctrl|tsmsisrv|tsvipsrv|wow64log|oci|cdpsgshims|windowscoredeviceinfo|wptsextensions|edgegdi)\\.dll$|\\\\syswow64\\\\srrstr\\.dll$`,
    ),
    weight: 3.5,
    mitre: ['T1574.001'],
    why: 'services look for these DLL names that no Windows install has: a file with one of them is a planted hijack',
    group: 'cmd.masquerade',
  },
  {
    id: 'location.sideload',
    title: 'Module loaded from a user-writable folder by a copied binary',
    signals: ['file.path'],
    pattern: linear(
      `(?:${USER_WRITABLE})(?:.*\\\\)?(?:version|dbghelp|dbgcore|vcruntime140|msvcp140|libcurl|winmm|uxtheme|dwmapi|wtsapi32|secur32|userenv|cryptbase|mscoree|wininet|winhttp|dnsapi|iphlpapi|bthprops|[^\\\\]+\\.cpl)(?:\\.dll)?$`,
    ),
    also: [{ in: ['file.action'], re: linear('^loaded$') }],
    weight: 2.5,
    mitre: ['T1574.002'],
    why: 'a signed program copied next to a DLL named like a system library loads the attacker’s DLL: side-loading',
  },
  {
    id: 'location.debug_dll_uncommon',
    title: 'Debugging DLL loaded by a binary outside its folder',
    signals: ['file.path'],
    pattern: linear(`\\\\(?:dbgcore|dbghelp)\\.dll$`),
    also: [{ in: ['process.image'], re: linear(`${USER_WRITABLE}|${STAGING_DIR}`) }],
    weight: 2,
    mitre: ['T1003.001'],
    why: 'dbgcore/dbghelp write minidumps; a program from a user folder loading them is usually about to dump a process',
    group: 'cred',
  },
  {
    id: 'location.hive_copy',
    title: 'Registry hive or AD database copied out',
    signals: ['file.path'],
    pattern: linear(
      `\\\\(?:sam|system|security|ntds\\.dit|ntuser\\.dat|usrclass\\.dat)(?:\\.(?:save|sav|bak|hiv|hive|dmp|tmp))?$`,
    ),
    unless: [
      {
        in: ['file.path'],
        re: linear(
          `${SYSTEM_DIR}config\\\\|\\\\windows\\\\ntds\\\\|^[a-z]:\\\\users\\\\[^\\\\]+\\\\(?:ntuser\\.dat|appdata\\\\local\\\\microsoft\\\\windows\\\\usrclass\\.dat)$|\\\\windows\\\\(?:system32\\\\config\\\\(?:regback|systemprofile)|serviceprofiles)\\\\`,
        ),
      },
      { in: ['file.action'], re: linear('^loaded$') },
    ],
    weight: 3,
    mitre: ['T1003.002', 'T1003.003'],
    why: 'SAM, SYSTEM, SECURITY and NTDS.dit copies outside their folders are offline credential extraction',
    group: 'cred',
  },
  {
    id: 'location.shim_database',
    title: 'Custom application-compatibility shim database',
    signals: ['file.path', 'process.command_line'],
    pattern: linear(`\\\\apppatch\\\\custom|\\bsdbinst(?:\\.exe)?["']?\\s`),
    weight: 3,
    mitre: ['T1546.011'],
    why: 'custom shim databases make Windows inject a DLL or patch a program at launch; software almost never ships one',
    group: 'persistence.hijack',
  },
  {
    id: 'location.remote_drop',
    title: 'Program written into the Windows folder over the network',
    signals: ['file.path'],
    pattern: linear(
      `^[a-z]:\\\\windows\\\\(?:system32\\\\|syswow64\\\\)?[^\\\\]+\\.(?:exe|dll|bat|cmd|ps1|vbs|sys)$`,
    ),
    also: [
      {
        in: ['process.image'],
        re: linear(`^system$|\\\\(?:wsmprovhost|wmiprvse|winrshost|psexesvc|paexec[^\\\\]*|services)\\.exe$`),
      },
    ],
    unless: [{ in: ['file.action'], re: linear('^(?:loaded|deleted)$') }],
    weight: 3,
    mitre: ['T1570', 'T1021.002'],
    why: 'a program dropped into \\Windows by the kernel (an SMB write to ADMIN$) or by a remote-management host is lateral tool transfer',
    group: 'lineage.remote',
  },
  {
    id: 'location.key_export',
    title: 'Certificate with private key written by a script or tool',
    signals: ['file.path'],
    pattern: linear('\\.(?:pfx|p12)$'),
    also: [
      {
        in: ['process.image'],
        re: linear(`\\\\(?:powershell|pwsh|certutil|rundll32|cmd|mimikatz)\\.exe$|${USER_WRITABLE}`),
      },
    ],
    weight: 1.5,
    mitre: ['T1552.004', 'T1649'],
    why: 'exporting certificates with their private keys from a script is how keys are stolen for impersonation',
  },
  {
    id: 'location.sysinternals_first_run',
    title: 'Sysinternals remote-admin or dumping tool run for the first time',
    signals: ['registry.key'],
    pattern: linear(
      `\\\\software\\\\sysinternals\\\\(?:psexec|procdump|psservice|pskill|pslist|psloggedon|psfile|psgetsid|psinfo|pspasswd|pssuspend|sdelete|accesschk|logonsessions|autoruns)\\\\eulaaccepted$`,
    ),
    weight: 1.5,
    mitre: ['T1569.002', 'T1003.001', 'T1007'],
    why: 'a Sysinternals EULA accepted on a host means the tool just ran there for the first time; PsExec, ProcDump and PsService are intrusion favourites',
    group: 'tool',
  },
  {
    id: 'location.startup_folder',
    title: 'File written to a Startup folder',
    signals: ['file.path'],
    pattern: linear(
      `\\\\start menu\\\\programs\\\\startup\\\\[^\\\\]+\\.(?:exe|dll|bat|cmd|ps1|vbs|vbe|js|jse|hta|lnk|url|scr|wsf)$`,
    ),
    weight: 2.5,
    mitre: ['T1547.001'],
    why: 'anything in a Startup folder runs at every logon',
    group: 'persistence',
  },
  {
    id: 'location.dump_file',
    title: 'Memory dump of LSASS written',
    signals: ['file.path', 'process.command_line'],
    pattern: linear(`\\blsass[^\\\\/\\s]*\\.(?:dmp|dump|zip|bin|raw)\\b|\\\\lsass\\.(?:dmp|zip)$`),
    weight: 5,
    mitre: ['T1003.001'],
    why: 'a dump of LSASS holds the credentials of every logged-on user',
    group: 'cred',
    floor: 'Critical',
  },
  {
    id: 'location.dump_file_staged',
    title: 'Memory dump written to an unusual folder',
    signals: ['file.path'],
    pattern: linear(
      `(?:${STAGING_DIR}|\\\\users\\\\[^\\\\]+\\\\(?:desktop|documents|downloads)\\\\).*\\.(?:dmp|hdmp|mdmp)$`,
    ),
    unless: [{ in: ['process.image'], re: linear(`${SYSTEM_DIR}(?:werfault|wermgr|werfaultsecure)\\.exe$`) }],
    weight: 2,
    mitre: ['T1003'],
    why: 'crash dumps go to the WER and CrashDumps folders; a dump elsewhere is a process dumped on purpose',
    group: 'cred',
  },
  {
    id: 'location.script_dropped_staging',
    title: 'Executable or script written to a staging folder by a LOLBin or script host',
    signals: ['file.path'],
    pattern: linear('\\.(?:exe|dll|scr|ps1|bat|cmd|vbs|vbe|js|jse|hta|wsf|sct|lnk|reg)$'),
    also: [
      { in: ['file.path'], re: linear(`${STAGING_DIR}|${USER_WRITABLE}|^[a-z]:\\\\windows\\\\[^\\\\]+$`) },
      {
        in: ['process.image'],
        re: linear(
          `\\\\(?:certutil|bitsadmin|esentutl|expand|extrac32|mshta|wscript|cscript|powershell|pwsh|rundll32|regsvr32|msiexec|curl|hh|cmd|wmic|msbuild|excel|winword|powerpnt|outlook)\\.exe$`,
        ),
      },
    ],
    weight: 2,
    mitre: ['T1105'],
    why: 'a system tool or document writing a program or script into Public, Temp or a drive root is a dropper at work',
    group: 'lolbin.download',
  },
  {
    id: 'location.ads_zone_executable',
    title: 'Downloaded tool marked by its Zone.Identifier',
    signals: ['file.path'],
    pattern: linear(`\\\\(?:${HACKTOOL_NAMES}|${DUAL_USE_NAMES})\\.exe:zone\\.identifier$`),
    weight: 1,
    mitre: ['T1105'],
    why: 'the Mark-of-the-Web stream shows the tool came from the internet',
    group: 'tool',
  },
];
