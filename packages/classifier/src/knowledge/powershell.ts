import { linear } from '../linear.ts';
import { DECODED, type KnowledgeRow } from './row.ts';

/**
 * PowerShell content that command-patterns.ts does not cover: in-memory execution, AMSI bypass,
 * obfuscation, collection. Read from command lines, script blocks (4104), decoded and
 * de-obfuscated payloads (rules/powershell.ts) and what services/tasks run. Content: raise only.
 */

const SCRIPT = ['process.command_line', 'script.text', DECODED, 'persistence.command'] as const;

const row = (r: Omit<KnowledgeRow, 'signals'>): KnowledgeRow => ({ signals: SCRIPT, ...r });

export const POWERSHELL: readonly KnowledgeRow[] = [
  row({
    id: 'ps.pipe_to_iex',
    title: 'Web content piped into Invoke-Expression',
    pattern: linear(
      String.raw`\b(?:irm|iwr|invoke-restmethod|invoke-webrequest|curl|wget|downloadstring|net\.webclient)\b[^|;\n]{0,400}\|\s*(?:iex|invoke-expression)\b|\b(?:iex|invoke-expression)\s*\(?\s*\(?\s*(?:irm|iwr|invoke-restmethod|invoke-webrequest)\b`,
    ),
    weight: 4,
    mitre: ['T1059.001', 'T1105'],
    why: 'running whatever a URL returns, without writing it to disk, is a download cradle',
    group: 'ps',
  }),
  row({
    id: 'ps.amsi_bypass',
    title: 'AMSI bypass',
    pattern: linear(
      String.raw`system\.management\.automation\.amsi|amsiscanbuffer|amsicontext|amsisession|amsi\.dll|\[ref\]\.assembly\.gettype\(.{0,80}(?:amsi|utils)`,
    ),
    weight: 4.5,
    mitre: ['T1562.001'],
    why: 'patching or disabling AMSI blinds antivirus to the scripts that follow',
    group: 'cmd.defender_tamper',
    floor: 'High',
  }),
  row({
    id: 'ps.in_memory_code',
    title: 'Code loaded or injected from PowerShell memory',
    pattern: linear(
      String.raw`\[system\.reflection\.assembly\]::load(?:file)?\s*\(|\[reflection\.assembly\]::load\s*\(|getdelegateforfunctionpointer|virtualalloc(?:ex)?\b|createthread\b|createremotethread|writeprocessmemory|\bdefinedynamicassembly\b|add-type\b.{0,200}dllimport.{0,200}(?:kernel32|ntdll)|invoke-(?:shellcode|reflectivepeinjection|dllinjection)`,
    ),
    weight: 3.5,
    mitre: ['T1620', 'T1055', 'T1059.001'],
    why: 'allocating executable memory and starting threads from a script is how shellcode loaders run without a file',
    group: 'ps.memory',
  }),
  row({
    id: 'ps.obfuscation',
    title: 'Obfuscated PowerShell',
    pattern: linear(
      String.raw`(?:\[char\]\s*\d+\s*\+\s*){4}|-join\s*\(?\s*['"]?\s*\)?\s*\[char\[\]\]|\[char\[\]\]\s*\(\s*\d+\s*,\s*\d+\s*,\s*\d+|(?:['"]\s*\+\s*['"][^'"]{0,6}){5}|(?:\{\d\}){4}['"]\s*-f\b|\$env:comspec\[\d+,\d+,\d+\]|\$pshome\[\d+\]|\bsv\s+\S+\s+\(?\[|\.invoke\(\)\s*\|?\s*iex|(?:\w\x60){3}`,
    ),
    weight: 1.5,
    mitre: ['T1027', 'T1059.001'],
    why: 'character codes, split strings, format-operator shuffles and backtick salting exist to defeat signatures; administrators write plain scripts',
    group: 'ps-flags',
  }),
  row({
    id: 'ps.pinvoke_api',
    title: 'Windows API called from a script (P/Invoke)',
    pattern: linear(
      String.raw`dllimport\s*\(\s*["']?(?:kernel32|advapi32|netapi32|secur32|ntdll|user32|dbghelp|wtsapi32|iphlpapi)(?:\.dll)?["']?.{0,400}\b(?:getcomputernameex|netwkstagetinfo|netsessionenum|netshareenum|netuserenum|netlocalgroupgetmembers|dsgetdcname|getusernameex|createtoolhelp32snapshot|process32first|openprocesstoken|gettokeninformation|convertsidtostringsid|lookupaccountsid|minidumpwritedump|openprocess|wtsenumeratesessions|getasynckeystate|setwindowshookex|adjusttokenprivileges|duplicatetoken(?:ex)?|impersonateloggedonuser|lsaenumeratelogonsessions)\b|\$(?:kernel32|advapi32|netapi32|secur32|ntdll|user32|wtsapi32)::(?:getcomputernameex|netwkstagetinfo|netsessionenum|netshareenum|getusernameex|createtoolhelp32snapshot|openprocesstoken|gettokeninformation|convertsidtostringsid|lookupaccountsid|minidumpwritedump|openprocess|virtualalloc\w*|createremotethread|adjusttokenprivileges|duplicatetoken(?:ex)?|impersonateloggedonuser)\b`,
    ),
    weight: 2,
    mitre: ['T1106', 'T1082', 'T1057'],
    why: 'declaring Win32 APIs for host, user, process or token enumeration inside a script is offensive tooling (PowerSploit-style), not administration',
    group: 'ps.memory',
  }),
  row({
    id: 'ps.stream_execution',
    title: 'Script executed from an alternate data stream',
    pattern: linear(
      String.raw`get-content\b[^|\n]{0,200}-stream\b[^|\n]{0,200}\|\s*(?:iex|invoke-expression)\b|\b(?:wscript|cscript|mshta|rundll32|regsvr32|powershell)(?:\.exe)?["']?\s[^\n]{0,200}\.\w{1,5}:[^\\/\s:"']+\.(?:vbs|js|ps1|hta|dll|exe)\b`,
    ),
    weight: 3,
    mitre: ['T1564.004'],
    why: 'code kept in an NTFS alternate data stream is hidden from directory listings and most scanners',
  }),
  row({
    id: 'ps.document_sweep',
    title: 'Sweep for documents and mailboxes',
    pattern: linear(
      String.raw`(?:\*\.(?:docx?|xlsx?|pptx?|pdf|pst|ost|kdbx|odt|ods|rtf|csv|zip|rar|7z|txt)\s*["']?\s*,\s*["']?){4}`,
    ),
    weight: 2,
    mitre: ['T1005', 'T1119', 'T1083'],
    why: 'collecting many document and mailbox types at once from a profile is staging for exfiltration',
  }),
  row({
    id: 'ps.uac_cleanup',
    title: 'UAC-bypass registry key touched from a script',
    pattern: linear(
      String.raw`hkcu:?\\software\\classes\\(?:ms-settings|mscfile|folder|exefile|launcher\.systemsettings)\b`,
    ),
    weight: 2,
    mitre: ['T1548.002'],
    why: 'the per-user shell\\open\\command keys of ms-settings, mscfile or Folder are written (and removed afterwards) by UAC bypasses',
    group: 'cmd.uac_bypass',
  }),
  row({
    id: 'ps.compressed_payload',
    title: 'Compressed payload decoded at runtime',
    pattern: linear(
      String.raw`(?:deflatestream|gzipstream)\b.{0,300}frombase64string|frombase64string.{0,300}(?:deflatestream|gzipstream)`,
    ),
    weight: 2,
    mitre: ['T1027', 'T1140'],
    why: 'base64 wrapped around a compressed stream hides a script from logging; it is a staple of loaders',
    group: 'ps-flags',
  }),
  row({
    id: 'ps.exec_bypass',
    title: 'Execution policy bypassed',
    pattern: linear(String.raw`(?:^|\s)[-/]e(?:x(?:ecutionpolicy|ec|p)?|p)\s+(?:bypass|unrestricted)\b`),
    weight: 0.7,
    mitre: ['T1059.001'],
    why: 'skipping the execution policy is common in admin scripts but routine in malware launchers',
    group: 'ps-flags',
  }),
  row({
    id: 'ps.reverse_shell',
    title: 'PowerShell TCP reverse shell',
    pattern: linear(
      String.raw`net\.sockets\.tcpclient\s*\(.{0,400}getstream\(|invoke-powershelltcp|powercat\b.{0,80}-[ce]\b`,
    ),
    weight: 5,
    mitre: ['T1059.001', 'T1095'],
    why: 'a script that reads commands from a TCP stream and writes back the output is a reverse shell',
    floor: 'High',
  }),
  row({
    id: 'ps.collection',
    title: 'Data collection from the clipboard, mail or screen',
    pattern: linear(
      String.raw`\bget-clipboard\b|windows\.forms\.clipboard|outlook\.application|getnamespace\(\s*["']mapi|copyfromscreen|\bget-keystrokes\b|getasynckeystate`,
    ),
    weight: 2,
    mitre: ['T1115', 'T1114.001', 'T1113', 'T1056.001'],
    why: 'reading the clipboard, the mailbox or the screen from a script is collection',
  }),
  row({
    id: 'ps.defender_tamper',
    title: 'Defender preference changed from PowerShell',
    pattern: linear(
      String.raw`\bset-mppreference\b.{0,200}-(?:disable\w+\s+(?:\$true|1)|exclusion\w+|(?:submitsamplesconsent|mapsreporting)\s+(?:0|2|never))|\badd-mppreference\b.{0,80}-exclusion\w+|\bremove-mppreference\b`,
    ),
    weight: 3.5,
    mitre: ['T1562.001'],
    why: 'switching off Defender protections or adding exclusions makes room for the payload',
    group: 'cmd.defender_tamper',
  }),
  row({
    id: 'ps.log_tamper',
    title: 'Logging or history tampered with',
    pattern: linear(
      String.raw`set-psreadlineoption\s.{0,40}-historysavestyle\s+savenothing|remove-item\s.{0,80}consolehost_history|\blimit-eventlog\b|\bclear-history\b|wevtutil\s+cl\b|\[system\.diagnostics\.eventing\.eventprovider\].{0,100}m_enabled`,
    ),
    weight: 2.5,
    mitre: ['T1070.003', 'T1562.002'],
    why: 'turning off PowerShell history or event logging hides what was typed',
    group: 'cmd.log_clearing',
  }),
  row({
    id: 'ps.timestomp',
    title: 'File timestamps changed from PowerShell',
    pattern: linear(
      String.raw`\.(?:creationtime|lastwritetime|lastaccesstime)(?:utc)?\s*=|\bset(?:creation|lastwrite|lastaccess)time(?:utc)?\s*\(|-name\s+["']?(?:creationtime|lastwritetime|lastaccesstime)\b|\bfunction\s+timestomp\b`,
    ),
    weight: 1.5,
    mitre: ['T1070.006'],
    why: 'setting a file’s creation or write time by hand hides when it was planted',
  }),
];
