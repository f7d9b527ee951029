import type { Severity } from '@triage/contracts';
import { type LinearPattern, linear } from '../linear.ts';
import { type Evidence, quote } from './evidence.ts';

/**
 * Offensive tooling and living-off-the-land binaries in command lines. Each pattern is a behaviour
 * with few legitimate uses (dumping LSASS, deleting shadow copies, LOLBins fetching from the web);
 * admin tools with real legitimate use (PsExec, whoami) weigh less.
 */
export interface CommandPattern {
  id: string;
  re: LinearPattern;
  weight: number;
  title: string;
  mitre: string[];
  group?: string;
  floor?: Severity;
}

/** The evidence of a pattern found in `where` (`command line`, `script.text`…), quoting `shown`. */
export function commandEvidence(p: CommandPattern, where: string, shown: string, basis?: string[]): Evidence {
  return {
    id: p.id,
    weight: p.weight,
    title: p.title,
    group: p.group ?? p.id,
    mitre: p.mitre,
    reason: `${p.title}: ${where} contains \`${quote(shown)}\`.`,
    ...(basis ? { basis } : {}),
    ...(p.floor ? { severityFloor: p.floor } : {}),
  };
}

export const COMMAND_PATTERNS: CommandPattern[] = [
  // Credential access
  {
    id: 'cmd.mimikatz',
    re: linear(/\bmimikatz\b|sekurlsa::|lsadump::|kerberos::(?:golden|ptt)|invoke-mimikatz/),
    weight: 6,
    title: 'Mimikatz credential dumping',
    mitre: ['T1003.001'],
    group: 'cred',
    floor: 'Critical',
  },
  {
    id: 'cmd.lsass_dump',
    re: linear(
      /procdump(?:64)?(?:\.exe)?\b.*\blsass|comsvcs(?:\.dll)?[,\s]+#?(?:24|minidump)|lsass\.dmp|\bnanodump\b|\bpypykatz\b/,
    ),
    weight: 6,
    title: 'LSASS memory dump',
    mitre: ['T1003.001'],
    group: 'cred',
    floor: 'Critical',
  },
  {
    id: 'cmd.kerberos_attack',
    re: linear(/\brubeus\b|\basktgt\b|kerberoast|asreproast|getuserspns|getnpusers/),
    weight: 5,
    title: 'Kerberos ticket attack (Rubeus / Kerberoasting)',
    mitre: ['T1558.003'],
    group: 'cred',
    floor: 'High',
  },
  {
    id: 'cmd.ntds_sam',
    re: linear(/secretsdump|ntds\.dit|reg(?:\.exe)?\s+save\s+hklm\\(?:sam|system|security)\b/),
    weight: 5,
    title: 'SAM / NTDS credential extraction',
    mitre: ['T1003.002', 'T1003.003'],
    group: 'cred',
    floor: 'Critical',
  },
  {
    id: 'cmd.lazagne',
    re: linear(/\blazagne\b/),
    weight: 4.5,
    title: 'LaZagne password recovery',
    mitre: ['T1555'],
    group: 'cred',
  },
  {
    id: 'cmd.shadow_file',
    re: linear(
      /(?:cat|less|more|head|tail|cp|scp|base64|strings|grep)\s+[^|;]*\/etc\/(?:shadow|gshadow)\b|unshadow\b/,
    ),
    weight: 3,
    title: 'Read of /etc/shadow password hashes',
    mitre: ['T1003.008'],
    group: 'cred',
  },
  {
    id: 'cmd.password_cracking',
    re: linear(
      /\bhashcat\b|\bjohn\b.*--(?:wordlist|format)|\bhydra\b\s+-[lLpP]|\bmedusa\b\s+-[hHuU]|\bncrack\b/,
    ),
    weight: 3,
    title: 'Password cracking / guessing tool',
    mitre: ['T1110'],
  },
  // Impact
  {
    id: 'cmd.shadow_delete',
    re: linear(
      /vssadmin(?:\.exe)?\s+delete\s+shadows|wmic(?:\.exe)?\s+shadowcopy\s+delete|wbadmin(?:\.exe)?\s+delete\s+(?:catalog|systemstatebackup)|get-wmiobject\s+win32_shadowcopy.*delete/,
    ),
    weight: 5.5,
    title: 'Shadow copies deleted (ransomware precursor)',
    mitre: ['T1490'],
    group: 'impact',
    floor: 'Critical',
  },
  {
    id: 'cmd.bcdedit_recovery',
    re: linear(/bcdedit(?:\.exe)?.*(?:recoveryenabled\s+no|bootstatuspolicy\s+ignoreallfailures)/),
    weight: 4.5,
    title: 'Boot recovery disabled (ransomware precursor)',
    mitre: ['T1490'],
    group: 'impact',
    floor: 'Critical',
  },
  {
    id: 'cmd.coinminer',
    re: linear(/\bxmrig\b|stratum\+(?:tcp|ssl):\/\/|\bcryptonight\b|\bminerd\b/),
    weight: 4,
    title: 'Cryptocurrency miner',
    mitre: ['T1496'],
  },
  // LOLBins and defense evasion
  {
    id: 'cmd.certutil_download',
    re: linear(/certutil(?:\.exe)?\b.*(?:[-/]urlcache|[-/]decode\b|[-/]split\b.*https?:|[-/]verifyctl)/),
    weight: 3.5,
    title: 'certutil used to download or decode a payload',
    mitre: ['T1105', 'T1140'],
  },
  {
    id: 'cmd.bitsadmin',
    re: linear(/bitsadmin(?:\.exe)?\b.*\/(?:transfer|addfile|setnotifycmdline)/),
    weight: 3,
    title: 'bitsadmin download job',
    mitre: ['T1197'],
  },
  {
    id: 'cmd.regsvr32_squiblydoo',
    re: linear(/regsvr32(?:\.exe)?\b.*\/i:\s*["']?https?:|regsvr32(?:\.exe)?\b.*scrobj\.dll/),
    weight: 4,
    title: 'regsvr32 remote scriptlet (Squiblydoo)',
    mitre: ['T1218.010'],
  },
  {
    id: 'cmd.rundll32_script',
    re: linear(
      /rundll32(?:\.exe)?\b.*(?:javascript:|vbscript:|url\.dll.*(?:openurl|fileprotocolhandler)|shell32\.dll.*shellexec_rundll.*https?:)/,
    ),
    weight: 4,
    title: 'rundll32 running script or remote content',
    mitre: ['T1218.011'],
  },
  {
    id: 'cmd.mshta_remote',
    re: linear(/mshta(?:\.exe)?\b.*(?:https?:|javascript:|vbscript:)/),
    weight: 3.5,
    title: 'mshta executing remote or inline script',
    mitre: ['T1218.005'],
  },
  {
    id: 'cmd.wmic_create',
    re: linear(/wmic(?:\.exe)?\b.*process\s+call\s+create/),
    weight: 2.5,
    title: 'WMI process creation',
    mitre: ['T1047'],
  },
  {
    id: 'cmd.psexec',
    re: linear(/\b(?:psexec(?:64)?|paexec)(?:\.exe)?\b|psexesvc/),
    weight: 2,
    title: 'Remote execution with PsExec',
    mitre: ['T1569.002', 'T1021.002'],
  },
  {
    id: 'cmd.defender_tamper',
    re: linear(
      /set-mppreference.*-disable(?:realtimemonitoring|behaviormonitoring|ioavprotection|scriptscanning)|add-mppreference\s+-exclusion(?:path|process)|amsiutils|amsiinitfailed/,
    ),
    weight: 4,
    title: 'Antivirus / AMSI tampering',
    mitre: ['T1562.001'],
    floor: 'High',
  },
  {
    id: 'cmd.log_clearing',
    re: linear(
      /wevtutil(?:\.exe)?\s+(?:cl|clear-log)\b|clear-eventlog|\bhistory\s+-c\b|unset\s+histfile|rm\s+(?:-\w+\s+)*\S*\.bash_history/,
    ),
    weight: 3,
    title: 'Logs or shell history cleared',
    mitre: ['T1070'],
  },
  {
    id: 'cmd.schtasks_payload',
    re: linear(
      /schtasks(?:\.exe)?\s+\/create.*(?:https?:|powershell|\\appdata\\|\\temp\\|\\users\\public\\)/,
    ),
    weight: 2.5,
    title: 'Scheduled task launching a payload',
    mitre: ['T1053.005'],
  },
  {
    id: 'cmd.run_key',
    re: linear(/reg(?:\.exe)?\s+add\s+\S*\\currentversion\\run(?:once)?\b/),
    weight: 2.5,
    title: 'Registry Run-key persistence',
    mitre: ['T1547.001'],
  },
  {
    id: 'cmd.account_create',
    re: linear(
      /net1?(?:\.exe)?\s+user\s+\S+\s+\S+\s+\/add|net1?(?:\.exe)?\s+localgroup\s+administrators\s+\S+\s+\/add|\buseradd\b|\badduser\b/,
    ),
    weight: 2.5,
    title: 'Local account created or added to administrators',
    mitre: ['T1136.001'],
  },
  {
    id: 'cmd.firewall_tamper',
    re: linear(
      /netsh(?:\.exe)?\s+(?:advfirewall\s+set\s+\w+\s+state\s+off|firewall\s+set\s+opmode\s+(?:mode=)?disable)|netsh(?:\.exe)?\s+advfirewall\s+firewall\s+add\s+rule.*action=allow.*(?:\\appdata\\|\\temp\\|\\users\\public\\)/,
    ),
    weight: 3,
    title: 'Host firewall disabled or opened for a dropped binary',
    mitre: ['T1562.004'],
  },
  {
    id: 'cmd.acl_weaken',
    re: linear(/i?cacls(?:\.exe)?\s+.*\/g\s+everyone:f|icacls(?:\.exe)?\s+.*\/grant\s+everyone:\(?f/),
    weight: 2,
    title: 'File permissions opened to Everyone',
    mitre: ['T1222.001'],
  },
  {
    id: 'cmd.uac_bypass',
    re: linear(
      /(?:mscfile|ms-settings)\\+shell\\+open|\b(?:fodhelper|computerdefaults|sdclt)(?:\.exe)?\b.*(?:ms-settings|delegateexecute)|eventvwr(?:\.exe)?.*mscfile/,
    ),
    weight: 3,
    title: 'UAC bypass via registry hijack',
    mitre: ['T1548.002'],
  },
  {
    id: 'cmd.proxy_exec',
    re: linear(
      /pcalua(?:\.exe)?\s+-a\s|\bftp(?:\.exe)?\s+-s:|forfiles(?:\.exe)?\s+.*\/c\s|\bcmstp(?:\.exe)?\s+.*\/s\b|installutil(?:\.exe)?\s+.*\/u\b/,
    ),
    weight: 2.5,
    title: 'Indirect execution through a signed Windows binary',
    mitre: ['T1202', 'T1218'],
  },
  {
    id: 'cmd.double_extension',
    re: linear(
      /\.(?:pdf|docx?|xlsx?|pptx?|txt|jpe?g|png|gif|zip|rtf)\.(?:exe|scr|com|pif|bat|cmd|js|jse|vbs|vbe|hta|lnk)\b/,
    ),
    weight: 3,
    title: 'Executable disguised with a double extension',
    mitre: ['T1036.007'],
  },
  // Discovery (weak alone, common in admin work; strong in combination)
  {
    id: 'cmd.bloodhound',
    re: linear(/\b(?:bloodhound|sharphound|adfind|invoke-bloodhound)\b/),
    weight: 4,
    title: 'Active Directory enumeration tool',
    mitre: ['T1087.002', 'T1482'],
  },
  {
    id: 'cmd.nltest',
    re: linear(/nltest(?:\.exe)?\b.*\/(?:domain_trusts|dclist|dsgetdc)/),
    weight: 2,
    title: 'Domain trust discovery (nltest)',
    mitre: ['T1482'],
    group: 'discovery',
  },
  {
    id: 'cmd.domain_admins',
    re: linear(/net1?(?:\.exe)?\s+group\s+"?(?:domain|enterprise) admins"?/),
    weight: 2,
    title: 'Domain admin group enumeration',
    mitre: ['T1069.002'],
    group: 'discovery',
  },
  {
    id: 'cmd.net_domain',
    re: linear(/net1?(?:\.exe)?\s+(?:user|group|accounts)\b.*\/domain/),
    weight: 1.2,
    title: 'Domain account discovery',
    mitre: ['T1087.002'],
    group: 'discovery',
  },
  {
    id: 'cmd.whoami',
    re: linear(/whoami(?:\.exe)?\s+\/(?:all|priv|groups)/),
    weight: 1,
    title: 'Privilege discovery (whoami)',
    mitre: ['T1033'],
    group: 'discovery',
  },
  {
    id: 'cmd.linux_recon',
    re: linear(/\bls\s+-\w*r\w*\s+\/root\b|find\s+\/\s+.*-perm\s+-?[u4]=?s|\bsudo\s+-l\b|\bcommand=list\b/),
    weight: 1.5,
    title: 'Privilege-escalation reconnaissance',
    mitre: ['T1083', 'T1548.001'],
    group: 'discovery',
  },
  // Execution and command & control
  {
    id: 'cmd.reverse_shell',
    re: linear(
      /bash\s+-i\s*>&?\s*\/dev\/tcp\/|\/dev\/tcp\/\d{1,3}\.|\bnc(?:at)?(?:\.exe)?\s+.*-e\s+(?:\/bin\/(?:ba)?sh|cmd(?:\.exe)?)|socat\s+.*exec:|python[23]?\s+-c\s+["']?import\s+(?:socket|pty)|perl\s+-e\s+.*socket|mkfifo\s+\/tmp\/|php\s+-r\s+.*fsockopen/,
    ),
    weight: 5,
    title: 'Reverse shell',
    mitre: ['T1059.004'],
    floor: 'High',
  },
  {
    id: 'cmd.download_exec',
    re: linear(
      /(?:curl|wget)\s+[^|;]*\|\s*(?:ba|z|da)?sh\b|(?:curl|wget)\s+.*(?:-o|-O)\s*\/(?:tmp|dev\/shm)\/.*(?:&&|;)\s*(?:chmod|sh|bash|\.\/)|base64\s+-d[^|]*\|\s*(?:ba)?sh/,
    ),
    weight: 3.5,
    title: 'Download and execute',
    mitre: ['T1105', 'T1059.004'],
  },
  {
    id: 'cmd.tmp_exec',
    re: linear(/chmod\s+(?:\+x|[0-7]*[1357])\s+\/(?:tmp|dev\/shm|var\/tmp)\//),
    weight: 1.5,
    title: 'Executable dropped in a temp directory',
    mitre: ['T1105'],
  },
  {
    id: 'cmd.c2_framework',
    re: linear(
      /cobalt ?strike|\bmeterpreter\b|\bmsfvenom\b|\bmsfconsole\b|\bsliver\b.*(?:implant|beacon)|\bbrute ?ratel\b|\bempire\b.*(?:stager|launcher)/,
    ),
    weight: 5,
    title: 'Offensive C2 framework',
    mitre: ['T1071'],
    floor: 'Critical',
  },
  {
    id: 'cmd.impacket',
    re: linear(/\b(?:wmiexec|smbexec|atexec|dcomexec)(?:\.py)?\b|\bpsexec\.py\b/),
    weight: 4.5,
    title: 'Impacket remote execution',
    mitre: ['T1021.002', 'T1047'],
  },
  {
    id: 'cmd.crackmapexec',
    re: linear(/\b(?:crackmapexec|netexec)\b|\bnxc\s+(?:smb|winrm|ldap)/),
    weight: 4,
    title: 'CrackMapExec / NetExec',
    mitre: ['T1021.002', 'T1110.003'],
  },
  {
    id: 'cmd.responder',
    re: linear(/\bresponder(?:\.py)?\s+-i\b|\binveigh\b/),
    weight: 4,
    title: 'LLMNR/NBT-NS poisoning',
    mitre: ['T1557.001'],
  },
  {
    id: 'cmd.tunnel',
    re: linear(/\bchisel\b\s+(?:client|server)|\bngrok\b\s+(?:tcp|http)|plink(?:\.exe)?\s+.*-r\s|\bfrpc\b/),
    weight: 2.5,
    title: 'Tunnelling tool',
    mitre: ['T1572'],
  },
  {
    id: 'ps.download_cradle',
    re: linear(
      /(?:iex|invoke-expression)\b.*(?:downloadstring|downloadfile|net\.webclient|invoke-webrequest|\biwr\b|invoke-restmethod|\birm\b)|(?:downloadstring|downloadfile|net\.webclient|invoke-webrequest|\biwr\b)\b.*\|\s*(?:iex|invoke-expression)\b/,
    ),
    weight: 4,
    title: 'PowerShell download cradle',
    mitre: ['T1059.001', 'T1105'],
    group: 'ps',
  },
  {
    id: 'ps.downloadstring',
    re: linear(/\.downloadstring\(|\.downloadfile\(|start-bitstransfer/),
    weight: 2.5,
    title: 'PowerShell web download',
    mitre: ['T1105'],
    group: 'ps',
  },
  {
    id: 'ps.hidden',
    re: linear(
      /(?:-nop\b|-noprofile\b).*(?:-w(?:indowstyle)?\s+h(?:idden)?\b)|(?:-w(?:indowstyle)?\s+h(?:idden)?\b).*(?:-nop\b|-noprofile\b)|-executionpolicy\s+bypass.*-w(?:indowstyle)?\s+hidden/,
    ),
    weight: 1.5,
    title: 'Hidden, profile-less PowerShell',
    mitre: ['T1059.001', 'T1564.003'],
    group: 'ps-flags',
  },
  {
    id: 'ps.frombase64',
    re: linear(/frombase64string\(/),
    weight: 1.5,
    title: 'PowerShell decoding base64 at runtime',
    mitre: ['T1140'],
    group: 'ps-flags',
  },
];
