import { linear } from '../linear.ts';
import { DECODED, type KnowledgeRow } from './row.ts';

/**
 * LOLBins and LOLBAS abuse: signed Windows binaries used to download, decode, proxy-execute or
 * bypass application control, each row with the flags that make a use malicious (certutil is an
 * admin tool; `certutil -addstore root` of a file from Temp is not administration). The uses
 * already in command-patterns.ts (certutil -urlcache/-decode, bitsadmin /transfer, mshta http:,
 * regsvr32 /i:http scrobj, rundll32 javascript:, wmic process call create, pcalua/forfiles/
 * cmstp/installutil /u) are not repeated here.
 *
 * Command lines, scripts and service/task commands are content: these rows only ever raise.
 */

/**
 * Where a command can be written: the process's command line, a script block, decoded scripts,
 * what a service or task runs.
 */
export const COMMAND = ['process.command_line', 'script.text', DECODED, 'persistence.command'] as const;

const row = (r: Omit<KnowledgeRow, 'signals'> & { signals?: KnowledgeRow['signals'] }): KnowledgeRow => ({
  signals: COMMAND,
  ...r,
});

export const LOLBINS: readonly KnowledgeRow[] = [
  // Download and transfer.
  row({
    id: 'lolbin.certutil_trust',
    title: 'certutil planting a root certificate, exporting keys or authenticating to a share',
    pattern: linear(
      String.raw`certutil(?:\.exe)?["']?\s.*[-/](?:addstore\s+(?:-f\s+)?(?:-user\s+)?(?:-f\s+)?root\b|exportpfx\b|syncwithwu\s+\\\\|verifyctl\s+.*\\\\)`,
    ),
    weight: 3,
    mitre: ['T1553.004', 'T1552.004', 'T1187'],
    why: 'a root CA added from the command line lets an attacker sign code or intercept TLS; exporting PFX files takes private keys; a UNC argument forces NTLM authentication',
    group: 'cmd.certutil_download',
  }),
  row({
    id: 'lolbin.certutil_encode',
    title: 'certutil encoding a file',
    pattern: linear(String.raw`certutil(?:\.exe)?["']?\s.*[-/]encode(?:hex)?\b`),
    weight: 1.5,
    mitre: ['T1027', 'T1132.001'],
    why: 'base64-encoding files with certutil prepares them for exfiltration or for smuggling past filters',
    group: 'cmd.certutil_download',
  }),
  row({
    id: 'lolbin.curl_download',
    title: 'File downloaded with curl/wget',
    pattern: linear(
      String.raw`\b(?:curl|wget)(?:\.exe)?["']?\s(?:.*\s)?(?:-o\s*\S|--output\b|--remote-name\b|-[a-z]*o\s)|\b(?:curl|wget)(?:\.exe)?["']?\s.*>\s*\S`,
    ),
    also: [{ in: COMMAND, re: linear('(?:https?|ftp)://') }],
    weight: 1.5,
    mitre: ['T1105'],
    why: 'curl writing a remote file to disk is ingress tool transfer; admins rarely script it on endpoints',
    group: 'lolbin.download',
  }),
  row({
    id: 'lolbin.download_bare_ip',
    title: 'Download from a bare IP address',
    pattern: linear(
      String.raw`(?:https?|ftp)://\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d+)?/\S*\.(?:exe|dll|ps1|bat|cmd|vbs|js|hta|sct|msi|scr|zip|7z|rar|iso|img|lnk|txt|bin|dat|png)\b`,
    ),
    weight: 1.5,
    mitre: ['T1105'],
    why: 'software is distributed from named hosts; a payload fetched from a bare IP address is staging infrastructure',
    group: 'lolbin.download_source',
  }),
  row({
    id: 'lolbin.download_file_share',
    title: 'Download from a paste, file-sharing or tunnelling site',
    pattern: linear(
      String.raw`(?:raw\.githubusercontent\.com|gist\.githubusercontent\.com|github\.com/[^/\s]+/[^/\s]+/raw/|pastebin\.com|paste\.ee|hastebin|transfer\.sh|temp\.sh|file\.io|anonfiles|mega\.nz|ngrok(?:-free)?\.(?:io|app)|trycloudflare\.com|mockbin\.org|webhook\.site|requestbin|pipedream\.net|cdn\.discordapp\.com|discord(?:app)?\.com/attachments|dropboxusercontent\.com|filebin\.net|ufile\.io|gofile\.io|catbox\.moe|\.onion\b)`,
    ),
    also: [
      {
        in: COMMAND,
        re: linear(
          String.raw`\b(?:curl|wget|certutil|bitsadmin|mshta|msiexec|regsvr32|rundll32|iwr|irm|invoke-webrequest|invoke-restmethod|downloadstring|downloadfile|start-bitstransfer|msedge|chrome|hh|finger)\b`,
        ),
      },
    ],
    weight: 1.5,
    mitre: ['T1105', 'T1102'],
    why: 'paste and file-sharing sites host payloads without an owner to take down; a LOLBin fetching from one is a stager',
    group: 'lolbin.download_source',
  }),
  row({
    id: 'lolbin.headless_browser',
    title: 'Headless browser fetching a URL',
    pattern: linear(
      String.raw`\b(?:chrome|msedge|brave|opera)(?:\.exe)?["']?\s.*--headless\b.*(?:https?://|--dump-dom)`,
    ),
    weight: 2.5,
    mitre: ['T1105', 'T1564.003'],
    why: 'a browser started headless to fetch a page writes what a server sends without anyone seeing it: a download channel that passes proxies as a browser',
  }),
  row({
    id: 'lolbin.browser_extension_sideload',
    title: 'Browser started with an unpacked extension from a temp or user folder',
    pattern: linear(
      String.raw`\b(?:chrome|msedge|brave|opera)(?:\.exe)?["']?\s.*--load-extension\s*=?\s*["']?[^"'\s]*(?:\\appdata\\|\\temp\\|\\users\\public\\|\\downloads\\|\\programdata\\)`,
    ),
    weight: 3,
    mitre: ['T1176'],
    why: 'extensions come from the store or policy; one loaded unpacked from a temp folder is how browser infostealers and adware (ChromeLoader-style) install',
  }),
  row({
    id: 'lolbin.ntlm_leak',
    title: 'Forced NTLM authentication to a remote host',
    pattern: linear(
      String.raw`\bcurl(?:\.exe)?["']?\s.*--ntlm\b|\b(?:rundll32|regsvr32|mshta|msiexec)(?:\.exe)?["']?\s+["']?\\\\\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\\`,
    ),
    weight: 3,
    mitre: ['T1187', 'T1218'],
    why: 'pointing a LOLBin at a UNC path on an IP address (or curl --ntlm at an outside host) runs remote code or leaks the NTLM hash',
  }),
  // Proxy execution and application-control bypass.
  row({
    id: 'lolbin.rundll32_unusual',
    title: 'rundll32 loading from a UNC path, a staging folder or a non-DLL file',
    pattern: linear(
      String.raw`rundll32(?:\.exe)?["']?\s+["']?(?:\\\\|[^,\s]*(?:\\users\\public\\|\\appdata\\local\\temp\\|\\windows\\temp\\|\\programdata\\[^\\,]+,|\\perflogs\\)|[^,\s]*\.(?:txt|dat|tmp|lock|png|jpe?g|gif|log|bin|cfg|ini|xml|zip)["']?\s*,)`,
    ),
    weight: 3,
    mitre: ['T1218.011'],
    why: 'genuine rundll32 calls load DLLs from System32 or program folders by export name; staged or disguised payloads do not',
    group: 'lolbin.rundll32',
  }),
  row({
    id: 'lolbin.rundll32_ordinal',
    title: 'rundll32 calling a DLL export by ordinal',
    pattern: linear(String.raw`rundll32(?:\.exe)?["']?\s+["']?[^,"']+\.(?:dll|ocx|cpl)?["']?\s*,\s*#\d+`),
    unless: [
      {
        in: ['process.command_line'],
        re: linear(
          String.raw`rundll32(?:\.exe)?["']?\s+["']?(?:[a-z]:\\windows\\(?:system32|syswow64)\\)?(?:shell32|url|ieframe|advpack|setupapi|syssetup|zipfldr|inetcpl|shdocvw|ntdll)\.dll`,
        ),
      },
    ],
    weight: 2.5,
    mitre: ['T1218.011'],
    why: 'calling an unnamed export by number hides what the DLL does; payload DLLs from red-team kits are run this way',
    group: 'lolbin.rundll32',
  }),
  row({
    id: 'lolbin.registry_payload',
    title: 'Encoded payload stored in the registry',
    signals: ['process.command_line', 'registry.data'],
    pattern: linear(
      String.raw`\breg(?:\.exe)?["']?\s+add\b.*\s/d\s+["']?[a-z0-9+/]{40,}={0,2}["']?(?:\s|$)|^[a-z0-9+/]{60,}={0,2}$|set-itemproperty\b.*-value\s+["']?[a-z0-9+/]{60,}={0,2}`,
    ),
    weight: 2,
    mitre: ['T1027', 'T1112'],
    why: 'a long base64 value written to the registry is how fileless malware keeps its payload between runs',
  }),
  row({
    id: 'lolbin.auto_elevate',
    title: 'Auto-elevating Windows binary started from a shell',
    signals: ['process.image'],
    pattern: linear(
      String.raw`\\(?:fodhelper|computerdefaults|sdclt|eventvwr|slui|wsreset|changepk|systempropertiesadvanced|systempropertiesprotection|systempropertiesremote|systempropertiescomputername|systempropertiesperformance|mmc)\.exe$`,
    ),
    also: [
      {
        in: ['parent.image'],
        re: linear(String.raw`\\(?:cmd|powershell|pwsh|wscript|cscript|mshta|rundll32)\.exe$`),
      },
    ],
    unless: [{ in: ['process.image'], re: linear(String.raw`\\system32\\mmc\.exe$`) }],
    weight: 2,
    mitre: ['T1548.002'],
    why: 'these binaries elevate without a prompt and read user-controlled keys or DLLs; starting them from a shell is the usual UAC bypass',
    group: 'cmd.uac_bypass',
  }),
  row({
    id: 'lolbin.rundll32_bare',
    title: 'rundll32 with no DLL argument',
    pattern: linear(String.raw`(?:^|\\|["'\s])rundll32(?:\.exe)?["']?\s*$`),
    signals: ['process.command_line'],
    weight: 2.5,
    mitre: ['T1218.011', 'T1055'],
    why: 'rundll32 started without arguments does nothing by itself: it is the default sacrificial process of Cobalt Strike and similar implants',
    group: 'lolbin.rundll32',
  }),
  row({
    id: 'lolbin.regsvr32_staged',
    title: 'regsvr32 registering a file from a staging folder or UNC path',
    pattern: linear(
      String.raw`regsvr32(?:\.exe)?["']?\s.*(?:\\\\[^\\\s]+\\|\\users\\public\\|\\appdata\\local\\temp\\|\\windows\\temp\\|\\perflogs\\|\.(?:txt|dat|tmp|png|jpe?g|log|sct)\b)`,
    ),
    weight: 2.5,
    mitre: ['T1218.010'],
    why: 'regsvr32 runs the DLL (or scriptlet) it registers: a payload from Temp, Public or a share is proxy execution',
  }),
  row({
    id: 'lolbin.msbuild_inline',
    title: 'MSBuild building a project from a staging folder',
    pattern: linear(
      String.raw`msbuild(?:\.exe)?["']?\s.*(?:\\users\\public\\|\\appdata\\local\\temp\\|\\windows\\temp\\|\\programdata\\|\\perflogs\\|\.(?:xml|txt|tmp|log|dat)\b)`,
    ),
    weight: 3,
    mitre: ['T1127.001'],
    why: 'MSBuild compiles and runs inline C# tasks: an application-control bypass when the project sits in Temp or is not a .*proj file',
  }),
  row({
    id: 'lolbin.dotnet_awl_bypass',
    title: 'InstallUtil / RegAsm / RegSvcs running a staged assembly',
    pattern: linear(
      String.raw`\b(?:installutil|regasm|regsvcs)(?:\.exe)?["']?\s.*(?:/logfile=\s|/logtoconsole=false|\\users\\|\\appdata\\|\\temp\\|\\programdata\\|\\perflogs\\|\s/u\b)`,
    ),
    weight: 3,
    mitre: ['T1218.004', 'T1218.009'],
    why: 'these .NET installers run code inside the assembly they are given; with a user-folder assembly they bypass application control',
    group: 'cmd.proxy_exec',
  }),
  row({
    id: 'lolbin.msiexec_remote',
    title: 'msiexec installing a package from the network',
    pattern: linear(String.raw`msiexec(?:\.exe)?["']?\s.*[/-](?:i|package|y|z)\s*["']?(?:https?://|\\\\)`),
    weight: 3,
    mitre: ['T1218.007'],
    why: 'software deployment installs packages from a managed share or cache, not straight from a URL',
  }),
  row({
    id: 'lolbin.odbcconf',
    title: 'odbcconf loading a DLL',
    pattern: linear(String.raw`odbcconf(?:\.exe)?["']?\s.*(?:regsvr|-f\s+\S+\.rsp|/a\s*\{)`),
    weight: 3,
    mitre: ['T1218.008'],
    why: 'odbcconf REGSVR / response files load arbitrary DLLs under a signed binary',
  }),
  row({
    id: 'lolbin.xsl_script',
    title: 'XSL script processing (wmic /format, msxsl)',
    pattern: linear(
      String.raw`wmic(?:\.exe)?["']?\s.*/format:\s*["']?(?:https?://|\\\\|[^\s"']*\.xsl)|\bmsxsl(?:\.exe)?["']?\s`,
    ),
    weight: 3.5,
    mitre: ['T1220'],
    why: 'an XSL stylesheet can carry script that wmic or msxsl runs: Squiblytwo',
  }),
  row({
    id: 'lolbin.hh_remote',
    title: 'Compiled HTML Help opened from the network or a staging folder',
    pattern: linear(
      String.raw`\bhh(?:\.exe)?["']?\s.*(?:https?://|\\\\|\\users\\public\\|\\appdata\\local\\temp\\|\\downloads\\)`,
    ),
    weight: 2,
    mitre: ['T1218.001'],
    why: 'a .chm runs script when opened; help files do not come from URLs or temp folders',
  }),
  row({
    id: 'lolbin.finger',
    title: 'finger.exe used',
    signals: ['process.image', 'process.command_line'],
    pattern: linear(String.raw`\\finger\.exe$|(?:^|[\\\s"'])finger(?:\.exe)?["']?\s+\S+@`),
    weight: 2,
    mitre: ['T1105'],
    why: 'finger has no modern legitimate use on Windows; it is a known way to pull a payload as text (ClickFix and similar lures)',
  }),
  row({
    id: 'lolbin.ci_runner_backdoor',
    title: 'Self-hosted CI runner registered from a user profile',
    pattern: linear(
      String.raw`runner\.listener(?:\.exe)?["']?\s+configure\b.*--(?:url|token)\b|\bconfig\.(?:cmd|sh)\s.*--url\s+https://github\.com/.*--token\b`,
    ),
    also: [{ in: ['process.image', 'process.command_line'], re: linear(String.raw`\\users\\|/home/`) }],
    weight: 2,
    mitre: ['T1219', 'T1105'],
    why: 'a GitHub Actions runner registered on a workstation takes commands from whoever controls the repository: a backdoor pattern of supply-chain worms',
  }),
  row({
    id: 'lolbin.hidden_script_start',
    title: 'Script started hidden from a user folder',
    pattern: linear(
      String.raw`\bstart\s+(?:/b\s+)?(?:/min|/b)\b.*(?:\\users\\|\\programdata\\|\\temp\\)[^"'\s]*\.(?:vbs|vbe|js|jse|hta|bat|cmd|ps1|wsf)\b`,
    ),
    weight: 2,
    mitre: ['T1564.003', 'T1059.005'],
    why: 'launching a script from a user folder minimised or in the background is how droppers keep the victim from noticing',
  }),
  row({
    id: 'lolbin.cmdkey_add',
    title: 'Credentials stored with cmdkey',
    pattern: linear(String.raw`\bcmdkey(?:\.exe)?["']?\s.*/(?:generic|add):\S+.*/pass(?:word)?:`),
    weight: 1.5,
    mitre: ['T1078', 'T1021.001'],
    why: 'storing a password for a remote host from the command line sets up RDP or SMB access with someone else’s account',
  }),
  row({
    id: 'lolbin.kernel_dump',
    title: 'Kernel memory dumped with a debugging tool',
    pattern: linear(
      String.raw`\bdtrace(?:\.exe)?["']?\s.*\blkd\s*\(|\blivekd(?:64)?(?:\.exe)?["']?\s|\bkd(?:\.exe)?["']?\s+-kl\b`,
    ),
    weight: 3,
    mitre: ['T1003', 'T1005'],
    why: 'a live kernel dump holds every process’s memory, credentials included',
    group: 'cred',
  }),
  row({
    id: 'lolbin.curl_evasive',
    title: 'curl with TLS checks off, a forged user agent or a local file',
    pattern: linear(
      String.raw`\bcurl(?:\.exe)?["']?\s(?:.*\s)?(?:-k\b|--insecure\b|--proxy-insecure\b|-a\s|--user-agent\b|-h\s+["']?user-agent:|file:///|--cookie-jar\b)`,
    ),
    weight: 1,
    mitre: ['T1105', 'T1071.001'],
    why: 'ignoring certificate errors, impersonating a browser and reading local files through curl are stager habits',
    group: 'lolbin.download',
  }),
  row({
    id: 'lolbin.wmic_remote',
    title: 'WMIC run against another host with explicit credentials',
    pattern: linear(
      String.raw`\bwmic(?:\.exe)?["']?\s.*/node:\s*["']?[^\s"']+.*/(?:user|password):|\bwmic(?:\.exe)?["']?\s.*/(?:user|password):.*/node:`,
    ),
    weight: 1.5,
    mitre: ['T1047', 'T1021'],
    why: 'WMIC with /node and a typed password executes or queries on a remote machine as another account',
    group: 'lineage.remote',
  }),
  row({
    id: 'lolbin.indirect_exec',
    title: 'Indirect command execution',
    pattern: linear(
      String.raw`\b(?:sftp|ssh|scp)(?:\.exe)?["']?\s.*-o\s*["']?proxycommand\s*=|\bconhost(?:\.exe)?["']?\s.*--headless\b|\bexplorer(?:\.exe)?["']?\s+["']?[a-z]:\\[^"'\s]+\.(?:exe|bat|cmd|vbs|js|hta)\b|\bscriptrunner(?:\.exe)?["']?\s.*-appvscript|\bsyncappvpublishingserver(?:\.exe|\.vbs)?["']?\s.*;|\bpcwrun(?:\.exe)?["']?\s|\bmsdt(?:\.exe)?["']?\s.*(?:it_browseforfile|pcwdiagnostic|/af\s)`,
    ),
    weight: 3,
    mitre: ['T1202', 'T1218'],
    why: 'starting a program through ssh ProxyCommand, headless conhost, explorer, AppV or msdt hides the real parent from process-tree detections',
    group: 'cmd.proxy_exec',
  }),
  row({
    id: 'lolbin.esentutl_copy',
    title: 'esentutl copying locked files',
    pattern: linear(
      String.raw`esentutl(?:\.exe)?["']?\s.*/y\s.*(?:/vss\b|ntds|\\config\\(?:sam|system|security)\b|webcache|\\cookies)`,
    ),
    weight: 4,
    mitre: ['T1003.003', 'T1003.002', 'T1539'],
    why: 'esentutl /y /vss copies files Windows keeps locked: the AD database, registry hives, browser stores',
    group: 'cred',
  }),
  row({
    id: 'lolbin.file_copy_abuse',
    title: 'Printing or expanding a file to another path',
    pattern: linear(
      String.raw`\bprint(?:\.exe)?["']?\s+/d:\S+\s+\S|\b(?:expand|extrac32)(?:\.exe)?["']?\s.*(?:https?://|\\\\[^\\\s]+\\[^\\\s]+\\)|\besentutl(?:\.exe)?["']?\s.*/y\s.*/d\s`,
    ),
    weight: 2,
    mitre: ['T1105', 'T1564.004'],
    why: 'print /D:, expand and esentutl /y copy files (to or from shares and alternate streams) without a copy command in the log',
  }),
  row({
    id: 'lolbin.accessibility_hijack',
    title: 'Accessibility binary replaced or redirected',
    pattern: linear(
      String.raw`(?:mklink|copy|move|xcopy|takeown|icacls)(?:\.exe)?["']?\s.*\\(?:sethc|utilman|osk|magnify|narrator|displayswitch|atbroker)\.exe`,
    ),
    weight: 4,
    mitre: ['T1546.008'],
    why: 'replacing an accessibility tool with a shell gives a SYSTEM prompt at the logon screen',
    floor: 'High',
  }),
  // Defense evasion through system tools.
  row({
    id: 'lolbin.security_service_stop',
    title: 'Security, logging or backup service stopped or disabled',
    pattern: linear(
      String.raw`\b(?:sc|net1?)(?:\.exe)?["']?\s+(?:\\\\\S+\s+)?(?:stop|config|delete|pause)\s+["']?(?:windefend|wdnissvc|wdfilter|wdboot|sense|wscsvc|securityhealthservice|mpssvc|eventlog|sysmon\w*|wuauserv|vss|wbengine|sdrsvc|swprv|bits|sophos[^\s"']*|mcafee[^\s"']*|sentinel\w*|csfalcon\w*|cylance\w*|carbonblack|cbdefense|ekrn|avp|msmpsvc|mbamservice)\b`,
    ),
    weight: 2.5,
    mitre: ['T1562.001', 'T1489'],
    why: 'stopping antivirus, the firewall, event logging or backups is what intrusions do before acting',
    group: 'tamper',
  }),
  row({
    id: 'lolbin.defender_disable_tool',
    title: 'Defender disabled or excluded through a system tool',
    pattern: linear(
      String.raw`dism(?:\.exe)?["']?\s.*/disable-feature\s.*defender|msft_mppreference\b.*\b(?:add|set)\b.*(?:exclusion|disable)|systemsettingsadminflows(?:\.exe)?["']?\s+defender\b|\bmpcmdrun(?:\.exe)?["']?\s.*-removedefinitions\b`,
    ),
    weight: 4,
    mitre: ['T1562.001'],
    why: 'removing Defender, adding exclusions through WMI or wiping its signatures leaves the host unprotected',
    group: 'tamper',
    floor: 'High',
  }),
  row({
    id: 'lolbin.security_product_uninstall',
    title: 'Security product uninstalled through WMI',
    pattern: linear(
      String.raw`wmic(?:\.exe)?["']?\s.*product\s+where\s.*(?:avg|avast|eset|kaspersky|sophos|mcafee|symantec|norton|trend|bitdefender|malwarebytes|crowdstrike|sentinel|carbon|cylance|defender|f-secure|panda|webroot).*call\s+uninstall`,
    ),
    weight: 3,
    mitre: ['T1562.001'],
    why: 'uninstalling the antivirus from the command line is a ransomware operator step',
    group: 'tamper',
  }),
  row({
    id: 'lolbin.system_task_disabled',
    title: 'Windows maintenance or protection task deleted or disabled',
    pattern: linear(
      String.raw`schtasks(?:\.exe)?["']?\s.*/(?:delete|change)\b.*\\microsoft\\windows\\(?:systemrestore|windows defender|windowsbackup|updateorchestrator|windowsupdate|exploitguard|bitlocker)`,
    ),
    weight: 2.5,
    mitre: ['T1562.001', 'T1490'],
    why: 'system restore, Defender and backup tasks are not deleted by administrators in normal work',
    group: 'tamper',
  }),
  row({
    id: 'lolbin.safeboot_or_recovery',
    title: 'Safe-mode boot configured or recovery disabled',
    pattern: linear(
      String.raw`bcdedit(?:\.exe)?["']?\s.*safeboot|reg(?:\.exe)?["']?\s+(?:add|copy)\s.*\\control\\safeboot\\|\breagentc(?:\.exe)?["']?\s.*/disable|\bwbadmin(?:\.exe)?["']?\s.*delete`,
    ),
    weight: 3,
    mitre: ['T1562.009', 'T1490'],
    why: 'booting into safe mode (with a service registered to run there) disables security tools; ransomware does it',
    group: 'impact',
  }),
  row({
    id: 'lolbin.anti_forensics',
    title: 'Evidence destruction',
    pattern: linear(
      String.raw`\bcipher(?:\.exe)?["']?\s.*/w:|\bfsutil(?:\.exe)?["']?\s.*usn\s+deletejournal|\bwevtutil(?:\.exe)?["']?\s.*\bsl\b.*/e:false|\bsdelete(?:64)?(?:\.exe)?["']?\s|\bauditpol(?:\.exe)?["']?\s.*/(?:clear|remove)|\bauditpol(?:\.exe)?["']?\s.*/set\b.*/(?:success|failure):disable`,
    ),
    weight: 2.5,
    mitre: ['T1070', 'T1485', 'T1562.002'],
    why: 'wiping free space, the USN journal or audit settings destroys the evidence an investigation needs',
  }),
  // Credential material.
  row({
    id: 'lolbin.gpp_password',
    title: 'Search for Group Policy Preference passwords',
    pattern: linear(
      String.raw`\bfindstr(?:\.exe)?["']?\s.*cpassword|get-gpppassword|\\sysvol\\.*(?:groups|services|scheduledtasks|datasources|drives)\.xml`,
    ),
    weight: 4,
    mitre: ['T1552.006'],
    why: 'cpassword values in SYSVOL decrypt with a published key: the search is credential theft',
    group: 'cred',
  }),
  row({
    id: 'lolbin.password_search',
    title: 'Search for stored credentials',
    pattern: linear(
      String.raw`\bfindstr(?:\.exe)?["']?\s.*(?:/s|/si|/i)\b.*\b(?:password|passwd|pwd|credential|secret)\b|reg(?:\.exe)?["']?\s+query\s.*(?:\\simontatham\\putty\\sessions|\\realvnc\\|\\tightvnc\\|\\winlogon\b.*defaultpassword|/f\s+password\b)|\bvaultcmd(?:\.exe)?["']?\s.*/list|keymgr\.dll\s*,\s*krshowkeymgr|\bcmdkey(?:\.exe)?["']?\s+/list`,
    ),
    weight: 2,
    mitre: ['T1552.001', 'T1552.002', 'T1555.004'],
    why: 'hunting files, the registry and the credential vault for saved passwords is credential access',
    group: 'cred.search',
  }),
  row({
    id: 'lolbin.lsass_pid_lookup',
    title: 'Looking up the LSASS process',
    pattern: linear(
      String.raw`\b(?:findstr|find|select-string|tasklist)\b[^|&]*\blsass\b|get-process\s+lsass\b`,
    ),
    weight: 2,
    mitre: ['T1057', 'T1003.001'],
    why: 'the LSASS process id is what a memory dumper needs next',
    group: 'cred.search',
  }),
  row({
    id: 'lolbin.shadow_copy_access',
    title: 'Shadow copy created or read for locked files',
    pattern: linear(
      String.raw`vssadmin(?:\.exe)?["']?\s.*create\s+shadow|\\\\\?\\globalroot\\device\\harddiskvolumeshadowcopy|\bntdsutil(?:\.exe)?["']?\s.*(?:\bifm\b|ac\s+i\s+ntds)|\bdiskshadow(?:\.exe)?["']?\s+/s|@gmt-\d{4}\.\d{2}\.\d{2}-\d{2}\.\d{2}\.\d{2}\\windows\\system32\\config\\`,
    ),
    weight: 4,
    mitre: ['T1003.003', 'T1006'],
    why: 'copying NTDS.dit or registry hives out of a shadow copy is the offline route to every password hash',
    group: 'cred',
    floor: 'High',
  }),
  row({
    id: 'lolbin.lsass_dump_tool',
    title: 'Process dump of LSASS',
    pattern: linear(
      String.raw`\b(?:procdump(?:64)?|sqldumper|rdrleakdiag|dumpert|createdump|dump64|tttracer|werfault|werfaultsecure)(?:\.exe)?["']?\s.*(?:lsass|\s-ma\s+\d{2,5}\b|/pid\s+\d+.*\s/(?:h|type)\b)`,
    ),
    weight: 3,
    mitre: ['T1003.001'],
    why: 'full memory dumps of LSASS (by name or process id) hold the logged-on users’ credentials',
    group: 'cred',
  }),
  // Execution and obfuscation in other interpreters.
  row({
    id: 'lolbin.interpreter_encoded',
    title: 'Interpreter running base64-decoded code',
    pattern: linear(
      String.raw`\bpython[\d.]*(?:\.exe)?["']?\s.*-c\s.*(?:b64decode|base64|exec\(|eval\(|socket|pty\.spawn|subprocess)|\bperl(?:\.exe)?["']?\s+-e\s.*(?:decode_base64|socket|exec)|\bnode(?:\.exe)?["']?\s+-e\s.*(?:child_process|eval\(|buffer\.from)`,
    ),
    weight: 3,
    mitre: ['T1059.006', 'T1027', 'T1140'],
    why: 'one-liners that decode and execute code hide the payload from the command-line log',
  }),
  row({
    id: 'lolbin.archive_with_password',
    title: 'Password-protected archive created',
    pattern: linear(
      String.raw`\b(?:7za?|7zr|7zg|rar|winrar)(?:\.exe)?["']?\s+a\b.*\s-(?:p\S+|hp\S*)|compress-archive\s.*\\(?:users\\public|temp|programdata)\\|compress-7zip\b.*-password\b|\[system\.io\.compression\.zipfile\]::createfromdirectory`,
    ),
    weight: 1.5,
    mitre: ['T1560.001'],
    why: 'staging data into an encrypted archive is how exfiltration is prepared',
  }),
  row({
    id: 'lolbin.exfil_tool',
    title: 'Cloud sync or transfer tool used from the command line',
    pattern: linear(
      String.raw`\brclone(?:\.exe)?["']?\s+(?:copy|sync|move)\b|\bmegacmd|\bmega-put\b|\bwinscp(?:\.com|\.exe)?["']?\s.*/command\b.*\bput\b|\bcurl(?:\.exe)?["']?\s.*(?:-t\s|--upload-file\b|-f\s*["']?\w+=@)`,
    ),
    weight: 2.5,
    mitre: ['T1567.002', 'T1048'],
    why: 'rclone, MEGA and scripted uploads move data to storage the organisation does not control',
  }),
  row({
    id: 'lolbin.script_from_user_folder',
    title: 'Windows Script Host running a script from a user folder',
    signals: ['process.command_line'],
    pattern: linear(
      String.raw`\b(?:wscript|cscript)(?:\.exe)?["']?\s.*(?:\\users\\[^\\"']+\\(?:appdata|downloads|desktop|documents|music|pictures|videos)\\|\\users\\public\\|\\temp\\|\\programdata\\)[^"']*\.(?:vbs|vbe|js|jse|wsf|wsh)\b`,
    ),
    weight: 3,
    mitre: ['T1059.005', 'T1059.007', 'T1204.002'],
    why: 'a .js or .vbs run by the Windows Script Host from Downloads, AppData, Public or Temp is how mail and download lures (Gootloader, SocGholish and the like) start; IT deploys scripts from shares and program folders',
    group: 'lineage.script',
  }),
  row({
    id: 'lolbin.ps_script_from_user_folder',
    title: 'PowerShell running a script file from a user folder',
    signals: ['process.command_line'],
    pattern: linear(
      String.raw`\b(?:powershell|pwsh)(?:\.exe)?["']?\s.*(?:-f(?:ile)?\s+|-c(?:ommand)?\s+["']?)["']?[a-z]:\\(?:users\\[^\\"']+\\(?:appdata|downloads|desktop|music|pictures|videos)|users\\public|programdata|windows\\temp)\\[^"'\s]*\.ps1\b`,
    ),
    weight: 2,
    mitre: ['T1059.001', 'T1204.002'],
    why: 'a .ps1 run from AppData, Downloads, Public or Temp came from a mail, a browser or a dropper, not from IT',
    group: 'lineage.script',
  }),
  row({
    id: 'lolbin.tor',
    title: 'Tor client',
    signals: ['process.image', 'process.command_line'],
    pattern: linear(
      String.raw`\\tor\.exe\b|\\tor browser\\|\btor(?:\.exe)?["']?\s+.*--(?:socksport|controlport)\b`,
    ),
    weight: 2,
    mitre: ['T1090.003'],
    why: 'Tor on a corporate endpoint hides where traffic goes; intrusions use it for C2 and exfiltration',
  }),
];
