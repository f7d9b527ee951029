import type { AlertSignalsInput } from '@triage/contracts';
import { getAll, getPath, type JsonRecord, text, textList, toInt } from './fields.ts';
import { parseHash, techniqueIds } from './observables.ts';
import { severityFromScale } from './severity.ts';
import { type SignalPath, SignalsBuilder } from './signals.ts';

/**
 * Signals of an OCSF finding. `finding_info` (title, uid, analytic, types), `severity_id`,
 * `attacks`, `status`, `disposition`, `verdict` and `confidence` are the producer's metadata, as
 * are the endpoints' addresses, the actor's account and the process image and pid a sensor
 * reported. Command lines, URLs, host names asked for, file paths, the finding's description and
 * `message` (GuardDuty writes IPs and instance ids into them) are content.
 */
export function ocsfSignals(doc: JsonRecord, info: unknown, infoPath: string): AlertSignalsInput | undefined {
  const b = new SignalsBuilder();
  const i = (k: string) => `${infoPath}.${k}`;
  const meta = (sig: SignalPath, p: string) => b.meta(sig, getPath(doc, p), p);
  const content = (sig: SignalPath, p: string) => b.content(sig, getPath(doc, p), p);
  b.meta(
    'detection.vendor',
    text(getPath(doc, 'metadata.product.vendor_name'), 128)?.toLowerCase(),
    'metadata.product.vendor_name',
  );
  b.meta(
    'detection.engine',
    text(getPath(doc, 'metadata.product.name'), 128)?.toLowerCase(),
    'metadata.product.name',
  );
  b.meta('detection.rule_name', getPath(info, 'title'), i('title'));
  b.meta(
    'detection.rule_id',
    getPath(info, 'analytic.uid') ?? getPath(info, 'analytic.name'),
    i('analytic.uid'),
  );
  const severityId = toInt(getPath(doc, 'severity_id'));
  if (severityId !== undefined) {
    b.meta('detection.level', { scale: 'ocsf', value: severityId }, 'severity_id');
    b.meta('detection.severity', severityFromScale(severityId, 'ocsf'), 'severity_id');
  }
  b.meta(
    'detection.groups',
    textList(getPath(info, 'types')).map((t) => t.toLowerCase()),
    i('types'),
  );
  const attacks = [...getAll(doc, 'attacks'), ...getAll(info, 'attacks')];
  b.meta(
    'detection.mitre',
    techniqueIds(
      attacks.map((a) => getPath(a, 'technique.uid')),
      attacks.map((a) => getPath(a, 'sub_technique.uid')),
    ),
    'attacks',
  );
  b.meta(
    'detection.tactics',
    textList(attacks.map((a) => getPath(a, 'tactic.name'))).map((t) =>
      t.toLowerCase().replace(/[\s_]+/g, '-'),
    ),
    'attacks',
  );
  meta('source_verdict.status', 'status');
  meta('source_verdict.action', 'disposition');
  b.meta(
    'source_verdict.classification',
    getPath(doc, 'verdict') ?? getPath(doc, 'finding_info.verdict'),
    'verdict',
  );
  meta('source_verdict.confidence', 'confidence_score');
  b.meta('source_verdict.threat_name', textList(getAll(doc, 'malware.name'))[0], 'malware.name');
  meta('event.time', 'time_dt');
  meta('event.action', 'activity_name');
  meta('event.category', 'category_name');

  meta('network.src_ip', 'src_endpoint.ip');
  meta('network.src_port', 'src_endpoint.port');
  meta('network.dst_ip', 'dst_endpoint.ip');
  meta('network.dst_port', 'dst_endpoint.port');
  content('network.hostname', 'dst_endpoint.domain');
  content('network.hostname', 'query.hostname');
  content('network.url', 'url.url_string');
  content('network.user_agent', 'http_request.user_agent');
  meta('auth.user', 'actor.user.name');
  meta('auth.user', 'actor.user.email_addr');
  meta('auth.user', 'user.name');
  meta('host.name', 'device.hostname');
  meta('host.ip', 'device.ip');
  const os = text(getPath(doc, 'device.os.name'), 64)?.toLowerCase();
  if (os)
    b.meta(
      'host.os',
      /windows/.test(os) ? 'windows' : /linux/.test(os) ? 'linux' : /mac/.test(os) ? 'macos' : 'other',
      'device.os.name',
    );
  for (const [role, base] of [
    ['process', 'process'],
    ['process', 'actor.process'],
    ['parent', 'process.parent_process'],
    ['parent', 'actor.process.parent_process'],
  ] as const) {
    meta(`${role}.name`, `${base}.name`);
    meta(`${role}.image`, `${base}.file.path`);
    meta(`${role}.pid`, `${base}.pid`);
    content(`${role}.command_line`, `${base}.cmd_line`);
    meta(`${role}.user`, `${base}.user.name`);
  }
  content('file.path', 'file.path');
  b.hashes(
    'file.hashes',
    getAll(doc, 'file.hashes')
      .map((h) => parseHash(getPath(h, 'value')))
      .filter((h) => h !== undefined),
    'metadata',
    'file.hashes',
  );
  meta('cloud.provider', 'cloud.provider');
  b.meta(
    'cloud.account',
    getPath(doc, 'cloud.account.uid') ?? getPath(doc, 'cloud.account_uid'),
    'cloud.account.uid',
  );
  meta('cloud.region', 'cloud.region');
  b.meta('cloud.operation', textList(getAll(doc, 'api.operation'))[0], 'api.operation');
  b.content('cloud.resource', textList(getAll(doc, 'resources.uid'))[0], 'resources.uid');
  b.text(getPath(info, 'desc'), i('desc'));
  b.text(getPath(doc, 'message'), 'message');
  b.maskValues(
    getPath(doc, 'observables'),
    getPath(doc, 'resources'),
    getPath(doc, 'src_endpoint'),
    getPath(doc, 'actor'),
  );
  return b.build();
}
