import { linear } from '../linear.ts';
import { COMMAND } from './lolbins.ts';
import type { KnowledgeRow } from './row.ts';

/**
 * Discovery and Active Directory reconnaissance. One command alone is everyday administration
 * and weighs little (all rows share the `discovery` group, damped with command-patterns.ts's
 * whoami / nltest / net group rows); several in one command line or script are the first
 * minutes of an intrusion (the chain rule in endpoint.rules.ts counts them). AD collection
 * tools and security-product lookups weigh more on their own.
 */

const row = (
  id: string,
  title: string,
  pattern: string,
  weight: number,
  mitre: string[],
  why: string,
  group = 'discovery',
): KnowledgeRow => ({
  id,
  title,
  signals: COMMAND,
  pattern: linear(pattern),
  weight,
  mitre,
  why,
  group,
  recon: true,
});

export const DISCOVERY: readonly KnowledgeRow[] = [
  row(
    'discovery.account',
    'Account and group discovery',
    String.raw`\bnet1?(?:\.exe)?["']?\s+(?:user|group|localgroup|accounts)\b|\bwmic(?:\.exe)?["']?\s.*\b(?:useraccount|group|sysaccount)\b|\bget-(?:localuser|localgroup(?:member)?|aduser|adgroup(?:member)?)\b|\bquser\b|\bqwinsta\b|\bquery\s+(?:user|session)\b`,
    0.8,
    ['T1087', 'T1069'],
    'listing accounts, groups and sessions maps who to target next',
  ),
  row(
    'discovery.domain',
    'Domain and trust discovery',
    String.raw`\bdsquery(?:\.exe)?["']?\s|\bdsget\b|\bnet1?(?:\.exe)?["']?\s+view\b.*/domain|\bnltest(?:\.exe)?["']?\s|get-ad(?:domain|forest|trust|computer|domaincontroller)\b|\[system\.directoryservices|adsisearcher|\bsetspn(?:\.exe)?["']?\s+-[qtlf]\b|get-domain\w*|get-net(?:user|group|computer|domain|session|loggedon)\b|invoke-(?:sharefinder|userhunter|enumeratelocaladmin)|\(objectclass=trusteddomain\)|objectcategory=(?:person|computer|group)`,
    1.5,
    ['T1087.002', 'T1482', 'T1018'],
    'querying the directory for trusts, computers, SPNs and admins is how an intruder plans lateral movement',
  ),
  row(
    'discovery.ad_collector',
    'Active Directory collection tool',
    String.raw`\badfind(?:\.exe)?["']?\s|\bsharphound\b|\bbloodhound\b|\bazurehound\b|invoke-bloodhound|\bsoaphound\b|\bldapdomaindump\b|\bpingcastle\b.*--healthcheck|-collectionmethods?\b|\btrustdmp\b|\bdcmodes\b|\badexplorer`,
    3,
    ['T1087.002', 'T1482', 'T1069.002'],
    'AdFind, SharpHound and their kin dump the whole directory to map attack paths; ransomware crews run them first',
    'cmd.bloodhound',
  ),
  row(
    'discovery.system',
    'System and software discovery',
    String.raw`\bsysteminfo\b|\bhostname(?:\.exe)?\s*(?:$|[&|;])|\bver\s*(?:$|[&|;])|\bwmic(?:\.exe)?["']?\s.*\b(?:computersystem|csproduct|bios|os\s+get|qfe|product|logicaldisk|volume|nicconfig|startup|cpu|baseboard|memorychip)\b|\bdriverquery\b|\bgpresult\b|\breg(?:\.exe)?["']?\s+query\s.*\\(?:currentversion|control\\nls|uninstall|services)\b|\b(?:get-computerinfo|get-hotfix|gwmi|get-wmiobject|get-ciminstance|gcim)\b.*win32_(?:computersystem|bios|operatingsystem|product|quickfixengineering|pnpentity|logicaldisk|networkadapter\w*|videocontroller|diskdrive)|\bnet1?(?:\.exe)?["']?\s+config\b|\bchcp(?:\.com)?\b|\bfsutil\s+fsinfo\b`,
    0.6,
    ['T1082', 'T1518', 'T1614.001'],
    'inventorying the OS, patches, hardware and installed software tells an intruder where they landed',
  ),
  row(
    'discovery.process_service',
    'Process and service discovery',
    String.raw`\btasklist\b|\bwmic(?:\.exe)?["']?\s.*\b(?:process|service)\s+(?:get|list|where)\b|\bsc(?:\.exe)?["']?\s+(?:\\\\\S+\s+)?(?:query|qc)\b|get-(?:process|service)\b|\bnet1?\s+start\s*(?:$|[&|;])|win32_(?:process|service)\b|createtoolhelp32snapshot`,
    0.5,
    ['T1057', 'T1007'],
    'listing processes and services shows which defences run',
  ),
  row(
    'discovery.network',
    'Network discovery',
    String.raw`\bipconfig(?:\.exe)?["']?\s+/all\b|\barp(?:\.exe)?["']?\s+-a\b|\broute(?:\.exe)?["']?\s+print\b|\bnetstat(?:\.exe)?["']?\s+-\w*[an]|\bnbtstat\b|\bnet1?\s+(?:view|share|session|use)\b|\bnslookup\b.*(?:-type=|_ldap|_kerberos|srv)|get-net(?:ipconfiguration|tcpconnection|neighbor)\b|\bnetsh(?:\.exe)?["']?\s+(?:wlan\s+show|interface\s+show|advfirewall\s+show|firewall\s+show)|test-netconnection\b.*-port\b|\bping\s+-n\s+1\b`,
    0.5,
    ['T1016', 'T1049', 'T1135', 'T1018'],
    'mapping interfaces, connections, shares and neighbours precedes lateral movement',
  ),
  row(
    'discovery.file_permission',
    'File and permission discovery',
    String.raw`\bdir(?:\.exe)?["']?\s.*/s\b|\btree\s+/f\b|\bicacls(?:\.exe)?["']?\s+["']?[a-z]:\\(?:program files|windows)[^"']*\*|\baccesschk(?:64)?(?:\.exe)?["']?\s|\bfindstr(?:\.exe)?["']?\s+["']?\((?:m|f|w)\)|\bfindstr\b.*\beveryone\b|get-childitem\b.*-recurse\b.*-include\b|\bget-acl\b`,
    0.6,
    ['T1083', 'T1222'],
    'searching for writable program folders and files is privilege-escalation reconnaissance',
  ),
  row(
    'discovery.owner',
    'Current user and privileges',
    String.raw`\bwhoami(?:\.exe)?["']?(?:\s+/(?:user|fqdn|upn|logonid)\b|\s*(?:$|[&|;"']))|\[security\.principal\.windowsidentity\]::getcurrent|\$env:username\b|getusernameex|\becho\s+%username%`,
    0.5,
    ['T1033'],
    'checking who one runs as is the first thing an intruder does after landing',
  ),
  row(
    'discovery.security_software',
    'Security software discovery',
    String.raw`\bfindstr\b.*\b(?:virus|defender|sophos|mcafee|symantec|kaspersky|eset|crowdstrike|falcon|sentinel|cylance|carbon|cb|avp|avast|avg|bitdefender|malwarebytes|sysmon|msmpeng)\b|antivirusproduct\b|securitycenter2\b|get-mpcomputerstatus\b|get-mppreference\b|\bfltmc(?:\.exe)?["']?\s*(?:$|instances\b)|\bsc\s+query\s+(?:windefend|sense|sysmon)|\bwmic\b.*\bproduct\s+where\b.*\b(?:aurora|sysmon|crowdstrike|sophos|sentinel)`,
    1.5,
    ['T1518.001'],
    'looking up which antivirus or EDR runs is how an intruder picks what to disable',
  ),
  row(
    'discovery.log_query',
    'Security log queried from the command line',
    String.raw`\bwevtutil(?:\.exe)?["']?\s+(?:qe|query-events)\b|get-winevent\b.*(?:security|terminalservices|4624|4625|remoteconnectionmanager)|get-eventlog\b.*security`,
    1,
    ['T1654', 'T1087'],
    'reading logon and RDP events shows who uses the host and from where',
  ),
];
