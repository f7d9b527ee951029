import type { AlertSignals } from '@triage/contracts';
import { CREDENTIAL } from '../knowledge/credential.ts';
import { DISCOVERY } from '../knowledge/discovery.ts';
import { LINEAGE } from '../knowledge/lineage.ts';
import { LOCATIONS } from '../knowledge/locations.ts';
import { LOLBINS } from '../knowledge/lolbins.ts';
import { AV_RESULTS, MAINTENANCE_ROWS } from '../knowledge/maintenance.ts';
import { PERSISTENCE } from '../knowledge/persistence.ts';
import { POWERSHELL } from '../knowledge/powershell.ts';
import { DECODED, KnowledgeTable, SignalView } from '../knowledge/row.ts';
import { PatternSet } from '../linear.ts';
import { COMMAND_PATTERNS, commandEvidence } from './command-patterns.ts';
import { type Evidence, quote, type Rule } from './evidence.ts';
import { decodeScript, hasEncodedSwitch } from './powershell.ts';

/**
 * Endpoint knowledge (src/knowledge/*) applied to the alert's typed signals: one table, one
 * matcher (knowledge/row.ts). The few judgements a pattern row cannot express are the functions
 * below, each saying why.
 */
export const ENDPOINT_KNOWLEDGE = new KnowledgeTable([
  ...LINEAGE,
  ...LOLBINS,
  ...POWERSHELL,
  ...LOCATIONS,
  ...PERSISTENCE,
  ...CREDENTIAL,
  ...DISCOVERY,
  ...MAINTENANCE_ROWS,
  ...AV_RESULTS,
]);

/** Texts scripts hide in: decoded and de-obfuscated before the tables read them. */
const SCRIPT_SOURCES = [
  'process.command_line',
  'script.text',
  'persistence.command',
  'registry.data',
] as const;

function stringAt(signals: AlertSignals | undefined, path: string): string | undefined {
  const [section, field] = path.split('.') as [string, string];
  const v = (signals as Record<string, Record<string, unknown> | undefined> | undefined)?.[section]?.[field];
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

export const endpointRules: Rule = ({ alert }) => {
  const signals = alert.signals;
  if (!signals) return [];
  const scripts = SCRIPT_SOURCES.map((p) => {
    const text = stringAt(signals, p);
    return text === undefined ? undefined : decodeScript(text);
  });
  const decoded = [...new Set(scripts.flatMap((d) => d?.forms ?? []))];
  // command.rules.ts decodes the command line's own -enc payloads: not judged twice below.
  const seen = new Set(scripts[0]?.direct ?? []);
  const view = new SignalView(signals, new Map([[DECODED, decoded]]));
  const out = ENDPOINT_KNOWLEDGE.match(view);
  out.push(...discoveryChain(out), ...renamedBinary(view), ...hiddenCommands(signals, decoded, seen));
  return out;
};

/**
 * Several distinct discovery commands in one alert (a chained command line, one script).
 * Counting distinct rows across the table's output is not something one row can say.
 */
function discoveryChain(found: readonly Evidence[]): Evidence[] {
  const kinds = found.filter((e) => e.id.startsWith('discovery.'));
  if (kinds.length < 3) return [];
  return [
    {
      id: 'discovery.chain',
      weight: 2.5,
      title: 'Chain of discovery commands',
      group: 'discovery.chain',
      recon: true,
      mitre: ['T1087', 'T1082', 'T1016'],
      reason: `${kinds.length} kinds of discovery in one command or script (${kinds
        .map((e) => e.title?.toLowerCase())
        .join(', ')}): an intruder surveying a host runs them together, an administrator rarely does.`,
      basis: [...new Set(kinds.flatMap((e) => e.basis ?? []))],
    },
  ];
}

/** LOLBins and tools whose PE original file name is worth comparing with the name they run as. */
const RENAME_WATCH = new Set([
  'cmd.exe',
  'powershell.exe',
  'pwsh.dll',
  'certutil.exe',
  'wscript.exe',
  'cscript.exe',
  'mshta.exe',
  'rundll32.exe',
  'regsvr32.exe',
  'msbuild.exe',
  'installutil.exe',
  'regasm.exe',
  'bitsadmin.exe',
  'wmic.exe',
  'curl.exe',
  'ftp.exe',
  'msdt.exe',
  'netsh.exe',
  'net.exe',
  'net1.exe',
  'reg.exe',
  'sc.exe',
  'schtasks.exe',
  'psexec.c',
  'psexec.exe',
  'psexesvc.exe',
  'procdump',
  'procdump.exe',
  'adfind.exe',
  'mimikatz.exe',
  'rclone.exe',
  'plink.exe',
  '7z.exe',
  'rar.exe',
  'winrar.exe',
  'nircmd.exe',
  'anydesk.exe',
  'vssadmin.exe',
  'wevtutil.exe',
  'bcdedit.exe',
  'whoami.exe',
  'nltest.exe',
]);

/**
 * A LOLBin or tool running under another name (renamed to slip past name-based detections).
 * Comparing two signals with each other is not a pattern row. The PE original file name is
 * content (the binary's author chose it), so this only ever raises.
 */
function renamedBinary(view: SignalView): Evidence[] {
  const original = view.values('process.original_file_name')[0];
  const image = view.values('process.image')[0];
  if (!original || !image || !RENAME_WATCH.has(original)) return [];
  const name = image.slice(Math.max(image.lastIndexOf('\\'), image.lastIndexOf('/')) + 1);
  const base = (s: string) => s.replace(/\.(?:exe|dll|c)$/, '');
  if (base(name) === base(original) || name.startsWith(`${base(original)}64`)) return [];
  return [
    {
      id: 'location.renamed_binary',
      weight: 3,
      title: 'Renamed system tool or utility',
      group: 'cmd.masquerade',
      mitre: ['T1036.003'],
      reason: `The binary ${quote(name, 60)} is ${original} by its PE header: a LOLBin or tool renamed to evade name-based detection.`,
      basis: ['process.original_file_name', 'process.image'],
    },
  ];
}

const COMMAND_SET = new PatternSet(COMMAND_PATTERNS.map((p) => p.re));

/**
 * The command-pattern table (command-patterns.ts) over the places commands hide that
 * command.rules.ts does not read: script blocks, what services/tasks/autoruns run, and decoded
 * or de-obfuscated payloads beyond the `-enc` ones it decodes itself. Same ids and groups as
 * command.rules.ts, so one fact seen twice is damped, not doubled.
 */
function hiddenCommands(
  signals: AlertSignals,
  decoded: readonly string[],
  seen: ReadonlySet<string>,
): Evidence[] {
  const commandLine = stringAt(signals, 'process.command_line');
  const texts: Array<[string, string]> = [
    ...(['script.text', 'persistence.command', 'registry.data'] as const)
      .map((p): [string, string | undefined] => [p, stringAt(signals, p)])
      .filter((x): x is [string, string] => x[1] !== undefined),
    ...decoded.filter((d) => !seen.has(d)).map((d): [string, string] => ['decoded script', d]),
  ];
  const out: Evidence[] = [];
  const done = new Set<string>();
  for (const [where, raw] of texts) {
    const text = raw.toLowerCase();
    for (const i of COMMAND_SET.matching(text)) {
      const p = COMMAND_PATTERNS[i]!;
      if (done.has(p.id)) continue;
      done.add(p.id);
      const m = p.re.exec(text);
      out.push(commandEvidence(p, where, m?.[0] ?? text, [where === 'decoded script' ? DECODED : where]));
    }
  }
  const encoded = (['persistence.command', 'registry.data'] as const).find((p) => {
    const v = stringAt(signals, p);
    return v !== undefined && hasEncodedSwitch(v);
  });
  if (encoded && !(commandLine && hasEncodedSwitch(commandLine))) {
    out.push({
      id: 'ps.encoded_command',
      weight: 2.5,
      group: 'ps-flags',
      title: 'Encoded PowerShell command',
      reason: `${encoded} runs PowerShell with -EncodedCommand: a common way to hide commands from logging.`,
      mitre: ['T1059.001', 'T1027'],
      basis: [encoded],
    });
  }
  return out;
}
