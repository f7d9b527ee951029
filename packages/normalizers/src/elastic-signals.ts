import type { AlertSignalsInput } from '@triage/contracts';
import { firstText, getAll, getPath, isRecord, type JsonRecord, text, textList } from './fields.ts';
import { hashesIn, techniqueIds } from './observables.ts';
import { severityFromWord } from './severity.ts';
import { type SignalPath, SignalsBuilder } from './signals.ts';
import { tacticIds } from './wazuh-signals.ts';
import { addFields, eventValues, readWindowsEvent, type WindowsEvent } from './windows-event.ts';

/**
 * Signals of Elastic Security alerts and ECS alert documents. The rule (`kibana.alert.rule.*`,
 * `signal.rule.*`) is Kibana's metadata. ECS fields follow the endpoint sensor: what Elastic
 * Defend / Winlogbeat measured (executable paths, pids, hashes, code signatures, token
 * integrity, the account, socket addresses, event.action/category/outcome) is metadata; command
 * lines, working directories, PE version info, file and registry paths, URLs, user agents, DNS
 * names and messages are content. `kibana.alert.reason` is built from event fields: text.
 * Windows event data (`winlog.event_data`) is read by the shared Windows reader.
 */

type Role = 'process' | 'parent' | 'grandparent';

function readEcsProcess(doc: JsonRecord, base: string, role: Role, b: SignalsBuilder): void {
  const p = (k: string) => `${base}.${k}`;
  const set = (field: string, origin: 'metadata' | 'content', ...keys: string[]) => {
    for (const k of keys) b.set(`${role}.${field}` as SignalPath, getPath(doc, p(k)), origin, p(k));
  };
  set('image', 'metadata', 'executable');
  set('name', 'metadata', 'name');
  set('pid', 'metadata', 'pid');
  set('command_line', 'content', 'command_line');
  set('current_directory', 'content', 'working_directory');
  set('original_file_name', 'content', 'pe.original_file_name');
  set('company', 'content', 'pe.company');
  set('product', 'content', 'pe.product');
  set('description', 'content', 'pe.description');
  set('integrity_level', 'metadata', 'Ext.token.integrity_level_name');
  set('signed', 'metadata', 'code_signature.exists');
  set('signer', 'metadata', 'code_signature.subject_name');
  set('signature_status', 'metadata', 'code_signature.status');
  set('user', 'metadata', 'user.name');
  const hashes = ['sha256', 'sha1', 'md5'].flatMap((alg) => hashesIn(getPath(doc, p(`hash.${alg}`))));
  b.hashes(`${role}.hashes` as 'process.hashes', hashes, 'metadata', p('hash'));
}

const OS: Record<string, string> = { windows: 'windows', linux: 'linux', macos: 'macos', darwin: 'macos' };

export function elasticSignals(doc: JsonRecord): AlertSignalsInput | undefined {
  const b = new SignalsBuilder();
  const path = (...ps: string[]) => ps.find((x) => getPath(doc, x) !== undefined) ?? ps[0]!;
  const meta = (sig: SignalPath, ...ps: string[]) => b.meta(sig, getPath(doc, path(...ps)), path(...ps));
  const content = (sig: SignalPath, ...ps: string[]) =>
    b.content(sig, getPath(doc, path(...ps)), path(...ps));

  b.meta(
    'detection.vendor',
    firstText(doc, 'observer.product')?.toLowerCase() ?? 'elastic',
    'observer.product',
  );
  meta('detection.rule_name', 'kibana.alert.rule.name', 'signal.rule.name', 'rule.name');
  meta(
    'detection.rule_id',
    'kibana.alert.rule.rule_id',
    'kibana.alert.rule.parameters.rule_id',
    'signal.rule.rule_id',
    'rule.id',
  );
  meta(
    'detection.rule_description',
    'kibana.alert.rule.description',
    'signal.rule.description',
    'rule.description',
  );
  const sevPath = path(
    'kibana.alert.severity',
    'kibana.alert.rule.severity',
    'signal.rule.severity',
    'event.severity',
  );
  const sev = getPath(doc, sevPath);
  if (text(sev, 64) !== undefined)
    b.meta('detection.level', { scale: 'vendor', value: text(sev, 64)! }, sevPath);
  b.meta('detection.severity', severityFromWord(sev), sevPath);
  const risk = path('kibana.alert.risk_score', 'kibana.alert.rule.risk_score', 'signal.rule.risk_score');
  b.meta('detection.level', { scale: 'score', value: getPath(doc, risk) }, risk);
  meta('detection.groups', 'kibana.alert.rule.tags', 'signal.rule.tags');
  const threat = getPath(
    doc,
    path('kibana.alert.rule.threat', 'kibana.alert.rule.parameters.threat', 'signal.rule.threat'),
  );
  b.meta(
    'detection.mitre',
    techniqueIds(
      getAll(threat, 'technique.id'),
      getAll(threat, 'technique.subtechnique.id'),
      getPath(doc, 'threat.technique.id'),
    ),
    'kibana.alert.rule.threat',
  );
  b.meta(
    'detection.tactics',
    tacticIds([...getAll(threat, 'tactic.name'), ...getAll(doc, 'threat.tactic.name')]),
    'kibana.alert.rule.threat',
  );
  meta('detection.rule_status', 'kibana.alert.building_block_type');
  meta('source_verdict.status', 'kibana.alert.workflow_status', 'signal.status');

  meta('event.id', 'event.code');
  meta('event.action', 'event.action');
  meta('event.category', 'event.category');
  meta('event.outcome', 'event.outcome');
  meta('event.provider', 'event.provider');
  meta('event.time', 'kibana.alert.original_time', 'signal.original_time', '@timestamp');
  meta('host.name', 'host.name', 'host.hostname');
  b.meta('host.ip', textList(getPath(doc, 'host.ip'))[0], 'host.ip');
  const os = firstText(doc, 'host.os.type', 'host.os.family', 'host.os.platform')?.toLowerCase();
  if (os) b.meta('host.os', OS[os] ?? 'other', 'host.os');

  readEcsProcess(doc, 'process', 'process', b);
  readEcsProcess(doc, 'process.parent', 'parent', b);
  readEcsProcess(doc, 'process.parent.parent', 'grandparent', b);
  if (b.has('process.image') || b.has('process.name')) meta('process.user', 'user.name');

  content('file.path', 'file.path');
  content('file.name', 'file.name');
  b.hashes(
    'file.hashes',
    ['sha256', 'sha1', 'md5'].flatMap((a) => hashesIn(getPath(doc, `file.hash.${a}`))),
    'metadata',
    'file.hash',
  );
  meta('file.signed', 'file.code_signature.exists');
  meta('file.signer', 'file.code_signature.subject_name');
  meta('file.signature_status', 'file.code_signature.status');
  content('registry.key', 'registry.path', 'registry.key');
  content('registry.value_name', 'registry.value');
  b.content(
    'registry.data',
    textList(getPath(doc, 'registry.data.strings')).join(' ') || undefined,
    'registry.data.strings',
  );
  content('script.text', 'powershell.file.script_block_text');
  content('script.path', 'file.path');

  meta('network.src_ip', 'source.ip', 'client.ip');
  meta('network.src_port', 'source.port', 'client.port');
  meta('network.dst_ip', 'destination.ip', 'server.ip');
  meta('network.dst_port', 'destination.port', 'server.port');
  meta('network.transport', 'network.transport');
  meta('network.protocol', 'network.protocol');
  meta('network.direction', 'network.direction');
  meta('network.bytes_out', 'source.bytes');
  meta('network.bytes_in', 'destination.bytes');
  content('network.url', 'url.full', 'url.original');
  content('network.user_agent', 'user_agent.original');
  content('network.http_method', 'http.request.method');
  content('network.http_status', 'http.response.status_code');
  content(
    'network.hostname',
    'dns.question.name',
    'tls.client.server_name',
    'url.domain',
    'destination.domain',
  );

  const categories = textList(getPath(doc, 'event.category')).map((c) => c.toLowerCase());
  if (categories.includes('authentication')) {
    const outcome = firstText(doc, 'event.outcome')?.toLowerCase();
    // A failed authentication names whatever account the client typed.
    b.set(
      'auth.user',
      getPath(doc, 'user.name'),
      outcome === 'success' ? 'metadata' : 'content',
      'user.name',
    );
    meta('auth.domain', 'user.domain');
    if (outcome === 'success' || outcome === 'failure') b.meta('auth.outcome', outcome, 'event.outcome');
    content('auth.source_host', 'source.domain');
  }
  content('auth.target_user', 'user.target.name');

  const winlog = getPath(doc, 'winlog');
  if (isRecord(winlog)) {
    const ev: WindowsEvent = { system: new Map(), data: new Map() };
    addFields(winlog, 'winlog', ev.system, 0);
    addFields(getPath(winlog, 'event_data'), 'winlog.event_data', ev.data, 1);
    readWindowsEvent(ev, b);
    b.maskValues(eventValues(ev));
  }
  b.text(getPath(doc, 'kibana.alert.reason') ?? getPath(doc, 'signal.reason'), 'kibana.alert.reason');
  b.text(getPath(doc, 'message'), 'message');
  b.text(getPath(doc, 'event.original'), 'event.original');
  b.maskValues(
    getPath(doc, 'process'),
    getPath(doc, 'file'),
    getPath(doc, 'registry'),
    getPath(doc, 'url'),
    getPath(doc, 'dns'),
    getPath(doc, 'user'),
    getPath(doc, 'host.name'),
  );
  return b.build();
}
