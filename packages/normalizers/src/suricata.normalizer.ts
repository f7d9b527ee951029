import type { Normalizer } from './draft.ts';
import {
  compact,
  firstEntity,
  firstText,
  firstTime,
  firstValue,
  getAll,
  getPath,
  isRecord,
  text,
  textList,
} from './fields.ts';
import { domainsIn, firstIp, firstPort, hashesIn, techniqueIds, urlDomain, urlsIn } from './observables.ts';
import { confidenceOf, severityFromScale, severityFromWord } from './severity.ts';
import { suricataSignals } from './suricata-signals.ts';

/**
 * Suricata alerts, either as EVE JSON (`event_type: "alert"`, `alert.signature`, `src_ip`…) or
 * mapped to ECS (Malcolm, Filebeat: `event.module: suricata`, `rule.name`, `source.ip`, with the EVE
 * record under `suricata` or `suricata.eve`).
 *
 * No `source_id`: EVE has no alert id, and `flow_id` (ECS `event.id` in Malcolm) is shared by every
 * alert on a flow, so using it would make ingest drop the second signature as a re-delivery.
 */
export const normalizeSuricata: Normalizer = (doc, ctx) => {
  const isEve = isRecord(getPath(doc, 'alert')) && text(getPath(doc, 'event_type')) !== undefined;
  // Where the EVE fields live: the document itself, or the `suricata[.eve]` object of an ECS doc.
  const eve = isEve ? doc : (firstValue(doc, 'suricata.eve', 'suricata') as unknown);
  const name = isEve
    ? firstText(doc, 'alert.signature')
    : firstText(doc, 'rule.name', 'suricata.eve.alert.signature', 'suricata.alert.signature');
  if (name === undefined && !isRecord(getPath(eve, 'alert'))) return undefined;

  const alert = getPath(eve, 'alert');
  const urlFull = firstValue(doc, 'url.full', 'url.original');
  const httpUrl = getPath(eve, 'http.url');
  const urls = urlsIn(urlFull, httpUrl);
  const sid = firstText(alert, 'signature_id') ?? firstText(doc, 'rule.id');
  const categories = textList(firstValue(alert, 'category') ?? getPath(doc, 'rule.category'));
  return {
    name: name ?? (sid ? `Suricata signature ${sid}` : 'Suricata alert'),
    rule_id: sid,
    // The engine's own priority first; ECS event.severity is a 0-100 re-scoring by the shipper.
    severity:
      severityFromScale(getPath(alert, 'severity'), 'suricata') ??
      severityFromScale(getPath(doc, 'event.severity'), 'risk100') ??
      severityFromWord(getPath(alert, 'metadata.signature_severity.0')),
    source_confidence: confidenceOf(firstValue(alert, 'metadata.confidence.0', 'metadata.confidence')),
    first_seen: firstTime(doc, 'timestamp', '@timestamp', 'event.start'),
    src_ip: firstIp(getPath(doc, 'src_ip'), getPath(doc, 'source.ip')),
    src_port: firstPort(getPath(doc, 'src_port'), getPath(doc, 'source.port')),
    dst_ip: firstIp(getPath(doc, 'dest_ip'), getPath(doc, 'destination.ip')),
    dst_port: firstPort(getPath(doc, 'dest_port'), getPath(doc, 'destination.port')),
    user: firstEntity(doc, 'user.name', 'source.user.name'),
    // EVE `host` is the sensor name; ECS host.name is the machine the sensor runs on.
    host: firstEntity(doc, 'host.name', 'host.hostname', 'observer.hostname', 'host'),
    hashes: [
      ...hashesIn(getPath(eve, 'fileinfo.sha256')),
      ...hashesIn(getPath(eve, 'fileinfo.sha1')),
      ...hashesIn(getPath(eve, 'fileinfo.md5')),
      ...hashesIn(getPath(doc, 'file.hash.sha256')),
      ...hashesIn(getPath(doc, 'file.hash.md5')),
    ],
    urls,
    domains: [
      ...domainsIn(
        getPath(eve, 'http.hostname'),
        getPath(eve, 'tls.sni'),
        getPath(eve, 'dns.rrname'),
        getAll(eve, 'dns.query.rrname'),
        getPath(doc, 'url.domain'),
        getPath(doc, 'destination.domain'),
        getPath(doc, 'dns.question.name'),
        getPath(doc, 'tls.client.server_name'),
      ),
      ...urls.map(urlDomain).filter((d) => d !== undefined),
    ],
    // Emerging Threats rules carry ATT&CK ids in metadata (mitre_technique_id).
    mitre: techniqueIds(getPath(alert, 'metadata.mitre_technique_id'), getPath(doc, 'threat.technique.id')),
    facts: compact({
      // One category is the norm (EVE string, ECS one-element list); keep a list only when there are more.
      category: categories.length === 1 ? categories[0] : categories,
      action: firstText(alert, 'action') ?? firstText(doc, 'event.action'),
      protocol: firstText(doc, 'proto', 'network.transport'),
      app_proto: firstText(doc, 'app_proto', 'network.application'),
      signature_severity: textList(getPath(alert, 'metadata.signature_severity')),
      gid: firstText(alert, 'gid'),
      rev: firstText(alert, 'rev'),
      http_url: urls.length === 0 ? text(httpUrl, 2048) : undefined,
      http_method: firstText(eve, 'http.http_method'),
      user_agent: firstText(eve, 'http.http_user_agent'),
      http_status: firstText(eve, 'http.status'),
      direction: firstText(eve, 'direction') ?? firstText(doc, 'network.direction'),
      in_iface: firstText(eve, 'in_iface'),
      flow_id: firstText(eve, 'flow_id') ?? firstText(doc, 'event.id'),
      risk_score: getPath(doc, 'event.risk_score'),
      severity_tags: textList(getPath(doc, 'event.severity_tags')),
    }),
    signals: ctx.signals
      ? suricataSignals(
          doc,
          eve,
          isEve ? '' : getPath(doc, 'suricata.eve') !== undefined ? 'suricata.eve' : 'suricata',
        )
      : undefined,
  };
};
