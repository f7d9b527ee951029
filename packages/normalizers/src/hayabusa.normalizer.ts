import type { Normalizer } from './draft.ts';
import { compact, isRecord, type JsonRecord, own, parseEmbeddedJson, text } from './fields.ts';
import { techniqueIds } from './observables.ts';
import { severityFromWord } from './severity.ts';
import { draftFromSignals } from './signal-draft.ts';
import { SignalsBuilder } from './signals.ts';
import { addFields, readWindowsEvent, type WindowsEvent, type WinFields, winKey } from './windows-event.ts';

/**
 * Timeline rows of Sigma-over-EVTX tools, as CSV rows turned into objects (column → key) or as
 * their JSON output:
 * - Hayabusa: `Timestamp, Computer, Channel?, EventID, Level, RuleTitle, Details, RulePath |
 *   RuleFile, FilePath | EvtxFile, RecordID?, MitreTactics?, MitreTags?, ExtraFieldInfo?`.
 *   `Details` is `Key: value ¦ Key: value` (`  :  ` in early versions) in CSV, an object in JSON.
 * - Chainsaw CSV: `timestamp, detections, path, count, Event ID, Record ID, Computer, Event Data`.
 *
 * The columns other than Details are the tool's metadata. A Details *string* is the tool's
 * rendering of event fields, command lines included, with nothing to stop a command line from
 * containing ` ¦ User: SYSTEM`: every value parsed out of it is content. A Details *object*
 * (JSON output) keeps fields apart, so they get the provenance of the event field they are.
 * The EVTX file name is never read: it names the scenario (an answer key, not evidence).
 */

/** Hayabusa's abbreviated field names (rules/config/default_details.txt) → Windows event fields. */
const ALIASES: Record<string, string[]> = {
  cmdline: ['commandline'],
  cmd: ['commandline'],
  command: ['commandline', 'imagepath'],
  proc: ['image'],
  process: ['image', 'processname'],
  parentcmdline: ['parentcommandline'],
  parentcmd: ['parentcommandline'],
  parentproc: ['parentimage'],
  parentimage: ['parentimage'],
  srcproc: ['sourceimage'],
  tgtproc: ['targetimage'],
  access: ['grantedaccess'],
  user: ['user', 'targetusername'],
  tgtuser: ['targetusername'],
  targetuser: ['targetusername'],
  srcuser: ['subjectusername'],
  sourceuser: ['subjectusername'],
  srcip: ['ipaddress', 'sourceip'],
  ipaddress: ['ipaddress', 'sourceip'],
  srcport: ['ipport', 'sourceport'],
  port: ['ipport'],
  dstip: ['destinationip'],
  dstport: ['destinationport'],
  dsthost: ['destinationhostname'],
  srccomp: ['workstationname'],
  workstation: ['workstationname'],
  type: ['logontype'],
  logontype: ['logontype'],
  authpkg: ['authenticationpackagename'],
  svc: ['servicename'],
  service: ['servicename'],
  path: ['imagepath', 'targetfilename', 'path'],
  tgtfile: ['targetfilename'],
  threat: ['threatname'],
  tgtobj: ['targetobject'],
  details: ['details'],
  eventtype: ['eventtype'],
  scriptblock: ['scriptblocktext'],
  payload: ['payload'],
  hashes: ['hashes'],
  hash: ['hashes'],
  query: ['queryname'],
  result: ['queryresults'],
  memberadded: ['membername'],
  member: ['membername'],
  group: ['targetusername'],
  pid: ['processid'],
  lid: ['logonid'],
  logonid: ['logonid'],
  task: ['taskname'],
  taskname: ['taskname'],
  imgload: ['imageloaded'],
  signed: ['signed'],
  sig: ['signature'],
  sigstatus: ['signaturestatus'],
};

/** `Key: value ¦ Key: value` (or `  :  ` as separator); keys are short words, values anything. */
export function parseDetails(details: string): Array<[string, string]> {
  const sep = details.includes(' ¦ ') ? ' ¦ ' : '  :  ';
  const out: Array<[string, string]> = [];
  for (const part of details.split(sep).slice(0, 100)) {
    const colon = part.indexOf(': ');
    if (colon <= 0 || colon > 40) continue;
    out.push([part.slice(0, colon).trim(), part.slice(colon + 2).trim()]);
  }
  return out;
}

function addAliased(out: WinFields, key: string, value: unknown, from: string): void {
  const k = winKey(key);
  for (const target of ALIASES[k] ?? [k]) if (!out.has(target)) out.set(target, { value, from });
}

const col = (doc: JsonRecord, ...names: string[]): { value: unknown; from: string } | undefined => {
  for (const n of names) {
    const v = own(doc, n);
    const readable = Array.isArray(v) ? v.length > 0 : text(v) !== undefined;
    if (v !== undefined && v !== null && readable) return { value: v, from: n };
  }
  return undefined;
};

export function isTimelineRow(doc: JsonRecord): boolean {
  const title = col(doc, 'RuleTitle', 'Rule Title', 'detections');
  if (!title) return false;
  return col(doc, 'EventID', 'Event ID', 'EventId') !== undefined || col(doc, 'Computer') !== undefined;
}

/** Hayabusa's tactic abbreviations (MitreTactics column) → ATT&CK tactic ids. */
const TACTICS: Record<string, string> = {
  recon: 'reconnaissance',
  resdev: 'resource-development',
  initaccess: 'initial-access',
  exec: 'execution',
  persis: 'persistence',
  privesc: 'privilege-escalation',
  evas: 'defense-evasion',
  credaccess: 'credential-access',
  disc: 'discovery',
  latmov: 'lateral-movement',
  collect: 'collection',
  c2: 'command-and-control',
  exfil: 'exfiltration',
  impact: 'impact',
};

export const normalizeHayabusa: Normalizer = (doc) => {
  if (!isTimelineRow(doc)) return undefined;
  const b = new SignalsBuilder();
  const title = col(doc, 'RuleTitle', 'Rule Title', 'detections')!;
  const rulePath = text(col(doc, 'RulePath', 'RuleFile', 'Rule Path')?.value, 1024);
  const chainsaw = own(doc, 'detections') !== undefined;
  b.meta('detection.vendor', chainsaw ? 'chainsaw' : 'hayabusa', title.from);
  b.meta('detection.engine', rulePath?.includes('hayabusa') ? 'hayabusa' : 'sigma', title.from);
  b.meta('detection.rule_name', title.value, title.from);
  b.ruleNameTemplate(title.value);
  const ruleId = col(doc, 'RuleID', 'RuleId', 'Rule ID');
  if (ruleId) b.meta('detection.rule_id', ruleId.value, ruleId.from);
  else if (rulePath) b.meta('detection.rule_id', rulePath, 'RulePath');
  const levelCol = col(doc, 'Level', 'level');
  const level = normalizeLevel(text(levelCol?.value, 64));
  if (levelCol && level) {
    b.meta('detection.level', { scale: 'sigma', value: level }, levelCol.from);
    b.meta('detection.severity', severityFromWord(level), levelCol.from);
  }
  const tags = col(doc, 'MitreTags', 'MitreAttack');
  if (tags) b.meta('detection.mitre', techniqueIds(tags.value), tags.from);
  const tactics = col(doc, 'MitreTactics');
  if (tactics)
    b.meta(
      'detection.tactics',
      (Array.isArray(tactics.value)
        ? tactics.value.map(String)
        : // Split, then trim: `\s*[¦,]\s*` backtracks quadratically on long runs of spaces.
          String(tactics.value)
            .split(/[¦,]/)
            .map((t) => t.trim())
      ).map((t) => TACTICS[winKey(t)] ?? t.toLowerCase()),
      tactics.from,
    );

  const ev: WindowsEvent = { system: new Map(), data: new Map() };
  for (const [key, names] of [
    ['eventid', ['EventID', 'Event ID', 'EventId']],
    ['channel', ['Channel']],
    ['computer', ['Computer']],
    ['providername', ['Provider', 'Event.System.Provider']],
    ['systemtime', ['Timestamp', 'timestamp']],
    ['eventrecordid', ['RecordID', 'Record ID']],
  ] as const) {
    const c = col(doc, ...names);
    if (c) ev.system.set(key, c);
  }
  // The channel is not a column of every version; the event id alone says which log for the common ones.
  if (!ev.system.has('channel')) {
    const channel = channelOf(text(ev.system.get('eventid')?.value, 16), rulePath);
    if (channel) ev.system.set('channel', { value: channel, from: 'EventID' });
  }
  const details = own(doc, 'Details');
  const extra = parseEmbeddedJson(own(doc, 'ExtraFieldInfo') ?? own(doc, 'Event Data'));
  if (isRecord(details)) {
    for (const [k, v] of Object.entries(details)) addAliased(ev.data, k, v, `Details.${k}`);
    addFields(extra, own(doc, 'ExtraFieldInfo') !== undefined ? 'ExtraFieldInfo' : 'Event Data', ev.data, 1);
    readWindowsEvent(ev, b);
  } else {
    const detailsText = text(details);
    if (detailsText !== undefined) {
      b.text(detailsText, 'Details');
      readAggregation(detailsText, b);
      for (const [k, v] of parseDetails(detailsText)) addAliased(ev.data, k, v, 'Details');
    }
    // Chainsaw's Event Data column is the event data as JSON: field by field, like a Details object.
    if (isRecord(extra)) addFields(extra, 'Event Data', ev.data, 1);
    b.contentWhere(
      (from) => from === 'Details',
      () => readWindowsEvent(ev, b),
    );
  }
  const signals = b.build();
  return {
    ...draftFromSignals(signals),
    name: text(title.value),
    rule_id: text(b.get('detection.rule_id')),
    severity: severityFromWord(level),
    description: text(details),
    facts: compact({ windows_event: text(b.get('event.id')), rule_level: level, rule_path: rulePath }),
    signals,
  };
};

/**
 * Correlation rows (`EventID: -`): `[condition] count(TargetUserName) by IpAddress >= 5 in
 * timeframe [result] count:41 TargetUserName:a/b/c IpAddress:172.16.144.128 timeframe:5m`. The
 * count right after `[result] ` is the tool's; the values after it are event content.
 */
function readAggregation(details: string, b: SignalsBuilder): void {
  const m = /^\[condition\] [^[]{1,300}\[result\] count:(\d{1,9})(?= )/.exec(details);
  if (!m) return;
  b.meta('detection.fired_times', Number(m[1]), 'Details');
  const users = / TargetUserName:(\S{1,8192})/.exec(details)?.[1];
  if (users) b.content('auth.distinct_users', new Set(users.split('/')).size, 'Details');
  const ip = / IpAddress:(\S{1,64})/.exec(details)?.[1];
  if (ip) b.content('network.src_ip', ip, 'Details');
}

/** Hayabusa abbreviates levels in some outputs (`crit`, `med`, `info`). */
function normalizeLevel(level: string | undefined): string | undefined {
  if (level === undefined) return undefined;
  const l = level.toLowerCase();
  return (
    (
      { crit: 'critical', med: 'medium', info: 'informational', emerg: 'emergency' } as Record<string, string>
    )[l] ?? l
  );
}

function channelOf(id: string | undefined, rulePath: string | undefined): string | undefined {
  if (id !== undefined && /^4[67]\d\d$|^1102$|^514[05]$/.test(id)) return 'Security';
  if (id === '7045') return 'System';
  if (id === '4103' || id === '4104') return 'Microsoft-Windows-PowerShell/Operational';
  const path = rulePath?.toLowerCase() ?? '';
  if (path.includes('defender')) return 'Microsoft-Windows-Windows Defender/Operational';
  if (path.includes('powershell')) return 'Microsoft-Windows-PowerShell/Operational';
  if (path.includes('/security/')) return 'Security';
  if (path.includes('/system/')) return 'System';
  // Sigma's Sysmon-based categories (process_creation, registry_set, file_event…) and /sysmon/.
  if (
    /sysmon|process_creation|registry_|file_event|network_connection|image_load|dns_query|process_access/.test(
      path,
    )
  )
    return 'Microsoft-Windows-Sysmon/Operational';
  return undefined;
}
