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
    pattern: linear(String.raw`\.(?:creationtime|lastwritetime|lastaccesstime)(?:utc)?\s*=`),
    weight: 1.5,
    mitre: ['T1070.006'],
    why: 'setting a file’s creation or write time by hand hides when it was planted',
  }),
];
