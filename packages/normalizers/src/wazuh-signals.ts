import type { AlertSignalsInput } from '@triage/contracts';
import { firstText, getPath, isRecord, type JsonRecord, text, textList, toInt } from './fields.ts';
import { readLogLine } from './log-lines.ts';
import { hashesIn, parseHash, techniqueIds } from './observables.ts';
import { severityFromScale } from './severity.ts';
import { SignalsBuilder } from './signals.ts';
import { anomalyCount } from './suricata-signals.ts';
import {
  addFields,
  eventValues,
  looksEscaped,
  readWindowsEvent,
  type WindowsEvent,
} from './windows-event.ts';

/**
 * Signals of a Wazuh alert. `rule.*` is Wazuh's own detection metadata. What `data.*` is depends
 * on the decoder: JSON decoders (Windows eventchannel, Suricata EVE, cloud audit logs) keep the
 * producer's structured fields, whose provenance follows the producer; syslog decoders cut fields
 * out of a log line with regexes, and a user name like `x from 10.0.0.1` moves them, so those are
 * content. `full_log` is text.
 */

const IPV4_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/;

/** Wazuh decoders whose whole line is an IDS's own output (fast.log via syslog). */
const IDS_DECODERS = new Set(['snort', 'suricata', 'snort-full', 'snort-fast']);

/** MITRE tactic names as Wazuh writes them ("Credential Access") → `credential-access`. */
export function tacticIds(v: unknown): string[] {
  return textList(v).map((t) =>
    t
      .trim()
      .toLowerCase()
      .replace(/[\s_]+/g, '-'),
  );
}

export function wazuhSignals(doc: JsonRecord): AlertSignalsInput | undefined {
  const b = new SignalsBuilder();
  const level = toInt(getPath(doc, 'rule.level'));
  b.meta('detection.vendor', 'wazuh', 'rule');
  b.meta('detection.rule_id', getPath(doc, 'rule.id'), 'rule.id');
  b.meta('detection.rule_name', getPath(doc, 'rule.description'), 'rule.description');
  if (level !== undefined) b.meta('detection.level', { scale: 'wazuh', value: level }, 'rule.level');
  b.meta('detection.severity', severityFromScale(level, 'wazuh'), 'rule.level');
  b.meta(
    'detection.groups',
    textList(getPath(doc, 'rule.groups')).map((g) => g.toLowerCase()),
    'rule.groups',
  );
  b.meta('detection.mitre', techniqueIds(getPath(doc, 'rule.mitre.id')), 'rule.mitre.id');
  b.meta('detection.tactics', tacticIds(getPath(doc, 'rule.mitre.tactic')), 'rule.mitre.tactic');
  b.meta('detection.fired_times', getPath(doc, 'rule.firedtimes'), 'rule.firedtimes');
  const decoder = firstText(doc, 'decoder.parent', 'decoder.name')?.toLowerCase();
  if (decoder) b.meta('event.program', decoder, 'decoder.name');
  b.meta('event.time', getPath(doc, 'timestamp'), 'timestamp');
  b.meta('event.time', getPath(doc, '@timestamp'), '@timestamp');

  const groups = textList(getPath(doc, 'rule.groups')).map((g) => g.toLowerCase());
  if (groups.some((g) => g === 'authentication_failed' || g === 'authentication_failures'))
    b.meta('auth.outcome', 'failure', 'rule.groups');
  else if (groups.includes('authentication_success')) b.meta('auth.outcome', 'success', 'rule.groups');
  // Composite rules (`frequency="8"`) state how many failures it took to fire.
  if (groups.includes('authentication_failures'))
    b.meta('auth.failure_count', getPath(doc, 'rule.frequency'), 'rule.frequency');

  const win = getPath(doc, 'data.win');
  if (isRecord(win)) readEventchannel(doc, b);
  readData(doc, b, decoder);
  readSyscheck(doc, b);

  const fullLog = text(getPath(doc, 'full_log'));
  if (fullLog !== undefined) {
    b.text(fullLog, 'full_log');
    readLogLine(fullLog, 'full_log', b, decoder !== undefined && IDS_DECODERS.has(decoder));
  }
  b.meta('host.name', getPath(doc, 'data.win.system.computer'), 'data.win.system.computer');
  // predecoder.hostname comes out of the syslog header (whoever sent the line); agent.name is Wazuh's.
  b.content('host.name', getPath(doc, 'predecoder.hostname'), 'predecoder.hostname');
  b.meta('host.name', getPath(doc, 'agent.name'), 'agent.name');
  b.meta('host.ip', getPath(doc, 'agent.ip'), 'agent.ip');
  if (groups.includes('windows') || groups.includes('sysmon')) b.meta('host.os', 'windows', 'rule.groups');
  return b.build();
}

function readEventchannel(doc: JsonRecord, b: SignalsBuilder): void {
  const ev: WindowsEvent = { system: new Map(), data: new Map() };
  addFields(getPath(doc, 'data.win.system'), 'data.win.system', ev.system, 1);
  addFields(getPath(doc, 'data.win.eventdata'), 'data.win.eventdata', ev.data, 1);
  ev.escaped = looksEscaped(ev.data);
  readWindowsEvent(ev, b);
  b.maskValues(eventValues(ev));
}

/** `data.*` of syslog decoders and JSON producers other than eventchannel. */
function readData(doc: JsonRecord, b: SignalsBuilder, decoder: string | undefined): void {
  const data = getPath(doc, 'data');
  if (!isRecord(data)) return;
  if (!isRecord(getPath(data, 'win'))) b.maskValues(data);
  const structured = decoder === 'json' || isRecord(getPath(data, 'alert'));
  const origin = structured ? 'metadata' : 'content';
  const at = (p: string) => `data.${p}`;
  const net = (path: Parameters<SignalsBuilder['set']>[0], ...keys: string[]): void => {
    for (const k of keys) b.set(path, getPath(data, k), origin, at(k));
  };
  // Snort/Suricata decoders write `dstip: 91.189.88.152:80`: the address and the port.
  for (const [ip, port, ...keys] of [
    ['network.src_ip', 'network.src_port', 'srcip', 'src_ip'],
    ['network.dst_ip', 'network.dst_port', 'dstip', 'dest_ip'],
  ] as const) {
    for (const k of keys) {
      const m = IPV4_PORT.exec(text(getPath(data, k), 64) ?? '');
      if (!m) continue;
      b.set(ip, m[1], origin, at(k));
      b.set(port, Number(m[2]), origin, at(k));
    }
  }
  net('network.src_ip', 'srcip', 'src_ip');
  net('network.src_port', 'srcport', 'src_port');
  net('network.dst_ip', 'dstip', 'dest_ip');
  net('network.dst_port', 'dstport', 'dest_port');
  net('network.transport', 'proto');
  net('network.protocol', 'app_proto');
  net('network.direction', 'direction');

  // Suricata EVE forwarded by Wazuh: the IDS's structured verdict.
  const alert = getPath(data, 'alert');
  if (isRecord(alert)) {
    b.meta('detection.signature', getPath(alert, 'signature'), at('alert.signature'));
    b.meta('detection.signature_id', getPath(alert, 'signature_id'), at('alert.signature_id'));
    b.meta('detection.category', getPath(alert, 'category'), at('alert.category'));
    b.meta('detection.action', getPath(alert, 'action'), at('alert.action'));
    b.meta('detection.priority', getPath(alert, 'severity'), at('alert.severity'));
    b.content('network.url', getPath(data, 'http.url'), at('http.url'));
    b.content('network.hostname', getPath(data, 'http.hostname'), at('http.hostname'));
    b.content('network.user_agent', getPath(data, 'http.http_user_agent'), at('http.http_user_agent'));
    b.content('network.http_method', getPath(data, 'http.http_method'), at('http.http_method'));
    b.meta('network.http_status', getPath(data, 'http.status'), at('http.status'));
    b.content('network.hostname', getPath(data, 'tls.sni'), at('tls.sni'));
    b.content('network.hostname', getPath(data, 'dns.rrname'), at('dns.rrname'));
    b.meta('file.hashes', hashesIn(getPath(data, 'fileinfo.sha256')), at('fileinfo.sha256'));
    b.meta('network.anomaly_count', anomalyCount(data), at('metadata.flowints'));
  }
  // Syslog decoders: every field below was cut out of a log line.
  b.content('auth.user', getPath(data, 'srcuser'), at('srcuser'));
  b.content('auth.user', getPath(data, 'user'), at('user'));
  b.content('auth.target_user', getPath(data, 'dstuser'), at('dstuser'));
  b.content('process.command_line', getPath(data, 'command'), at('command'));
  b.content('process.current_directory', getPath(data, 'pwd'), at('pwd'));
  b.content('network.url', getPath(data, 'url'), at('url'));
  b.content('network.http_method', getPath(data, 'protocol'), at('protocol'));
  const status = toInt(getPath(data, 'id'));
  if (status !== undefined && status >= 100 && status <= 599)
    b.content('network.http_status', status, at('id'));

  // Cloud audit logs (CloudTrail, Office 365) arrive as JSON written by the provider.
  b.meta(
    'cloud.provider',
    getPath(data, 'aws') ? 'aws' : getPath(data, 'office365') ? 'office365' : undefined,
    'data',
  );
  b.meta(
    'cloud.operation',
    getPath(data, 'aws.eventName') ?? getPath(data, 'office365.Operation'),
    at('aws.eventName'),
  );
  b.meta('cloud.account', getPath(data, 'aws.recipientAccountId'), at('aws.recipientAccountId'));
  b.meta('cloud.region', getPath(data, 'aws.awsRegion'), at('aws.awsRegion'));
  b.meta('network.src_ip', getPath(data, 'aws.sourceIPAddress'), at('aws.sourceIPAddress'));
  b.meta('network.src_ip', getPath(data, 'office365.ClientIP'), at('office365.ClientIP'));
  b.meta('auth.user', getPath(data, 'aws.userIdentity.userName'), at('aws.userIdentity.userName'));
  b.meta('auth.user', getPath(data, 'office365.UserId'), at('office365.UserId'));
  b.content('network.user_agent', getPath(data, 'aws.userAgent'), at('aws.userAgent'));

  // Wazuh's VirusTotal integration: the scan result of a file integrity event.
  const vt = getPath(data, 'virustotal');
  if (isRecord(vt)) {
    b.meta('source_verdict.av_detections', getPath(vt, 'positives'), at('virustotal.positives'));
    b.meta('source_verdict.av_engines', getPath(vt, 'total'), at('virustotal.total'));
    b.meta('file.hashes', hashesIn(getPath(vt, 'source.sha1')), at('virustotal.source.sha1'));
    b.content('file.path', getPath(vt, 'source.file'), at('virustotal.source.file'));
  }
}

/** File integrity monitoring: the path is the file's name (content), hashes and the change are measured. */
function readSyscheck(doc: JsonRecord, b: SignalsBuilder): void {
  const sc = getPath(doc, 'syscheck');
  if (!isRecord(sc)) return;
  b.content('file.path', getPath(sc, 'path'), 'syscheck.path');
  b.meta('file.action', getPath(sc, 'event'), 'syscheck.event');
  const hashes = ['sha256_after', 'sha1_after', 'md5_after']
    .map((k) => parseHash(getPath(sc, k)))
    .filter((h) => h !== undefined);
  b.meta('file.hashes', hashes, 'syscheck');
  if (text(getPath(sc, 'value_name')) !== undefined) {
    b.content('registry.key', getPath(sc, 'path'), 'syscheck.path');
    b.content('registry.value_name', getPath(sc, 'value_name'), 'syscheck.value_name');
  }
}
