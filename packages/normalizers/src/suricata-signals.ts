import type { AlertSignalsInput } from '@triage/contracts';
import { getAll, getPath, isRecord, type JsonRecord, text, textList, toNumber } from './fields.ts';
import { hashesIn, techniqueIds } from './observables.ts';
import { severityFromScale } from './severity.ts';
import { SignalsBuilder } from './signals.ts';

/**
 * Signals of a Suricata alert (EVE, or ECS with the EVE record under `suricata[.eve]`). The
 * `alert` object is the engine's verdict (signature, category, priority, action) and the flow's
 * addresses, ports and counters are what the sensor measured: metadata. What the packets carried
 * (URL, Host header, user agent, method, DNS names, SNI, file names, the server's status line,
 * the printable payload) is content: either end of the connection writes it.
 */
export function suricataSignals(
  doc: JsonRecord,
  eve: unknown,
  evePath: string,
): AlertSignalsInput | undefined {
  const b = new SignalsBuilder();
  const at = (p: string) => (evePath === '' ? p : `${evePath}.${p}`);
  const alert = getPath(eve, 'alert');
  b.meta('detection.vendor', 'suricata', at('alert'));
  b.meta('detection.rule_name', getPath(alert, 'signature'), at('alert.signature'));
  b.meta('detection.rule_name', getPath(doc, 'rule.name'), 'rule.name');
  b.meta('detection.signature', getPath(alert, 'signature'), at('alert.signature'));
  b.meta('detection.signature', getPath(doc, 'rule.name'), 'rule.name');
  b.meta('detection.rule_id', getPath(alert, 'signature_id'), at('alert.signature_id'));
  b.meta('detection.rule_id', getPath(doc, 'rule.id'), 'rule.id');
  b.meta('detection.signature_id', getPath(alert, 'signature_id'), at('alert.signature_id'));
  b.meta('detection.signature_id', getPath(doc, 'rule.id'), 'rule.id');
  b.meta('detection.category', getPath(alert, 'category'), at('alert.category'));
  b.meta('detection.category', textList(getPath(doc, 'rule.category'))[0], 'rule.category');
  b.meta('detection.action', getPath(alert, 'action'), at('alert.action'));
  const priority = toNumber(getPath(alert, 'severity'));
  if (priority !== undefined) {
    b.meta('detection.priority', priority, at('alert.severity'));
    b.meta('detection.level', { scale: 'ids_priority', value: priority }, at('alert.severity'));
    b.meta('detection.severity', severityFromScale(priority, 'suricata'), at('alert.severity'));
  }
  b.meta('detection.rule_description', getPath(alert, 'rule'), at('alert.rule'));
  const meta = getPath(alert, 'metadata');
  b.meta(
    'detection.mitre',
    techniqueIds(getPath(meta, 'mitre_technique_id'), getPath(doc, 'threat.technique.id')),
    at('alert.metadata.mitre_technique_id'),
  );
  b.meta(
    'detection.tactics',
    textList(getPath(meta, 'mitre_tactic_name')).map((t) => t.toLowerCase().replace(/[\s_]+/g, '-')),
    at('alert.metadata.mitre_tactic_name'),
  );
  if (isRecord(meta)) {
    // ET metadata (`signature_severity: [Major]`, `attack_target`, `deployment`, `tag`) as `key:value` groups.
    const groups = Object.entries(meta)
      .slice(0, 30)
      .flatMap(([k, v]) => textList(v, 128).map((x) => `${k}:${x}`.toLowerCase()));
    b.meta('detection.groups', groups, at('alert.metadata'));
  }

  b.meta('network.src_ip', getPath(doc, 'src_ip') ?? getPath(doc, 'source.ip'), 'src_ip');
  b.meta('network.src_port', getPath(doc, 'src_port') ?? getPath(doc, 'source.port'), 'src_port');
  b.meta('network.dst_ip', getPath(doc, 'dest_ip') ?? getPath(doc, 'destination.ip'), 'dest_ip');
  b.meta('network.dst_port', getPath(doc, 'dest_port') ?? getPath(doc, 'destination.port'), 'dest_port');
  b.meta('network.transport', getPath(doc, 'proto') ?? getPath(doc, 'network.transport'), 'proto');
  b.meta(
    'network.protocol',
    getPath(eve, 'app_proto') ?? getPath(doc, 'network.application'),
    at('app_proto'),
  );
  b.meta(
    'network.direction',
    getPath(eve, 'direction') ?? getPath(doc, 'network.direction'),
    at('direction'),
  );
  b.meta('network.bytes_out', getPath(eve, 'flow.bytes_toserver'), at('flow.bytes_toserver'));
  b.meta('network.bytes_in', getPath(eve, 'flow.bytes_toclient'), at('flow.bytes_toclient'));
  b.meta('network.anomaly_count', anomalyCount(eve), at('metadata.flowints'));
  b.content('network.url', getPath(doc, 'url.full') ?? getPath(eve, 'http.url'), at('http.url'));
  b.content('network.url', getPath(doc, 'url.original'), 'url.original');
  b.content('network.hostname', getPath(eve, 'http.hostname'), at('http.hostname'));
  b.content('network.hostname', getPath(eve, 'tls.sni'), at('tls.sni'));
  b.content('network.hostname', getPath(eve, 'dns.rrname'), at('dns.rrname'));
  b.content('network.hostname', getAll(eve, 'dns.query.rrname')[0], at('dns.query.rrname'));
  b.content('network.hostname', getPath(doc, 'dns.question.name'), 'dns.question.name');
  b.content('network.hostname', getPath(doc, 'url.domain'), 'url.domain');
  b.content('network.hostname', getPath(doc, 'destination.domain'), 'destination.domain');
  b.content('network.user_agent', getPath(eve, 'http.http_user_agent'), at('http.http_user_agent'));
  b.content('network.user_agent', getPath(doc, 'user_agent.original'), 'user_agent.original');
  b.content('network.http_method', getPath(eve, 'http.http_method'), at('http.http_method'));
  b.content('network.http_method', getPath(doc, 'http.request.method'), 'http.request.method');
  b.content('network.http_status', getPath(eve, 'http.status'), at('http.status'));
  b.content('network.http_status', getPath(doc, 'http.response.status_code'), 'http.response.status_code');
  b.content('file.path', getPath(eve, 'fileinfo.filename'), at('fileinfo.filename'));
  b.meta(
    'file.hashes',
    [
      ...hashesIn(getPath(eve, 'fileinfo.sha256')),
      ...hashesIn(getPath(eve, 'fileinfo.sha1')),
      ...hashesIn(getPath(eve, 'fileinfo.md5')),
      ...hashesIn(getPath(doc, 'file.hash.sha256')),
    ],
    at('fileinfo'),
  );
  b.meta(
    'host.name',
    getPath(doc, 'host.name') ?? getPath(doc, 'observer.hostname') ?? getPath(doc, 'host'),
    'host',
  );
  b.meta('event.time', getPath(doc, 'timestamp') ?? getPath(doc, '@timestamp'), 'timestamp');
  b.meta('event.action', getPath(doc, 'event.action'), 'event.action');
  b.text(getPath(eve, 'payload_printable'), at('payload_printable'));
  b.text(getPath(doc, 'event.original'), 'event.original');
  b.text(getPath(doc, 'message'), 'message');
  b.maskValues(
    getPath(eve, 'http'),
    getPath(eve, 'dns'),
    getPath(eve, 'tls'),
    text(getPath(doc, 'url.original')),
  );
  return b.build();
}

/**
 * Largest `…anomaly.count` under Suricata `metadata.flowints` (nested or dotted keys). Each
 * decoder event fires at most once per flow, so 2+ means distinct violations in one connection.
 */
export function anomalyCount(eve: unknown): number | undefined {
  const flowints = getPath(eve, 'metadata.flowints');
  let best: number | undefined;
  const walk = (v: unknown, path: string, depth: number): void => {
    if (depth > 4) return;
    if (isRecord(v)) {
      for (const [k, x] of Object.entries(v).slice(0, 100)) walk(x, path ? `${path}.${k}` : k, depth + 1);
      return;
    }
    const n = toNumber(Array.isArray(v) ? v[0] : v);
    if (n !== undefined && /(?:^|\.)anomaly\.count$/.test(path)) best = Math.max(best ?? 0, n);
  };
  walk(flowints, '', 0);
  return best;
}
