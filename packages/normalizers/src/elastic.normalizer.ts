import type { AlertDraft, Normalizer } from './draft.ts';
import { fillFrom } from './draft.ts';
import { elasticSignals } from './elastic-signals.ts';
import {
  compact,
  firstEntity,
  firstText,
  firstTime,
  firstValue,
  getAll,
  getPath,
  parseEmbeddedJson,
  text,
  textList,
  toInt,
} from './fields.ts';
import { domainsIn, firstIp, firstPort, hashesIn, techniqueIds, urlDomain, urlsIn } from './observables.ts';
import { severityFromScale, severityFromWord } from './severity.ts';

/**
 * Elastic Security alerts (`kibana.alert.*`, 8.x; `signal.*`, 7.x) and other ECS documents with
 * `event.kind: alert`. Keys may be flattened (`"kibana.alert.rule.name"`), nested or mixed; getPath
 * reads all three. Integrations that keep `event.original` (e.g. the Microsoft Sentinel one) have
 * the vendor's own alert there; it fills what the ECS mapping left out.
 */
export const normalizeElastic: Normalizer = (doc, ctx) => {
  const kibana =
    getPath(doc, 'kibana.alert') !== undefined || firstText(doc, 'kibana.alert.rule.name') !== undefined;
  const signal = getPath(doc, 'signal.rule') !== undefined;
  const ecs = getPath(doc, 'event.kind') !== undefined || getPath(doc, 'ecs.version') !== undefined;
  if (!kibana && !signal && !ecs) return undefined;

  const urls = urlsIn(firstValue(doc, 'url.full', 'url.original'));
  const ruleThreat = firstValue(
    doc,
    'kibana.alert.rule.threat',
    'kibana.alert.rule.parameters.threat',
    'signal.rule.threat',
  );
  const draft: AlertDraft = {
    source_id: firstText(doc, 'kibana.alert.uuid', 'signal.id', 'event.id'),
    name: firstText(doc, 'kibana.alert.rule.name', 'signal.rule.name', 'rule.name'),
    // rule_id (the rule's stable id across spaces and copies) before the saved-object uuid.
    rule_id: firstText(
      doc,
      'kibana.alert.rule.rule_id',
      'kibana.alert.rule.parameters.rule_id',
      'kibana.alert.rule.uuid',
      'signal.rule.rule_id',
      'signal.rule.id',
      'rule.id',
      'rule.uuid',
    ),
    severity:
      severityFromWord(
        firstValue(doc, 'kibana.alert.severity', 'kibana.alert.rule.severity', 'signal.rule.severity'),
      ) ??
      severityFromScale(
        firstValue(doc, 'kibana.alert.risk_score', 'kibana.alert.rule.risk_score', 'signal.rule.risk_score'),
        'risk100',
      ) ??
      severityFromWord(getPath(doc, 'event.severity')) ??
      severityFromScale(getPath(doc, 'event.severity'), 'risk100'),
    first_seen: firstTime(
      doc,
      'kibana.alert.original_time',
      'signal.original_time',
      'event.start',
      '@timestamp',
    ),
    last_seen: firstTime(doc, 'kibana.alert.last_detected', 'event.end'),
    src_ip: firstIp(getPath(doc, 'source.ip'), getPath(doc, 'client.ip')),
    src_port: firstPort(getPath(doc, 'source.port'), getPath(doc, 'client.port')),
    dst_ip: firstIp(getPath(doc, 'destination.ip'), getPath(doc, 'server.ip')),
    dst_port: firstPort(getPath(doc, 'destination.port'), getPath(doc, 'server.port')),
    user: firstEntity(
      doc,
      'user.name',
      'user.target.name',
      'source.user.name',
      'winlog.event_data.TargetUserName',
    ),
    host: firstEntity(doc, 'host.name', 'host.hostname', 'observer.hostname'),
    process: {
      name: firstText(doc, 'process.name'),
      pid: toInt(getPath(doc, 'process.pid')),
      command_line: firstText(doc, 'process.command_line'),
      parent_name: firstText(doc, 'process.parent.name'),
      parent_command_line: firstText(doc, 'process.parent.command_line'),
    },
    hashes: ['file.hash', 'process.hash', 'process.parent.hash', 'dll.hash'].flatMap((p) =>
      ['md5', 'sha1', 'sha256'].flatMap((alg) => hashesIn(getPath(doc, `${p}.${alg}`))),
    ),
    urls,
    domains: [
      ...domainsIn(
        getPath(doc, 'url.domain'),
        getPath(doc, 'destination.domain'),
        getPath(doc, 'dns.question.name'),
        getPath(doc, 'tls.client.server_name'),
      ),
      ...urls.map(urlDomain).filter((d) => d !== undefined),
    ],
    mitre: techniqueIds(
      getAll(ruleThreat, 'technique.id'),
      getAll(ruleThreat, 'technique.subtechnique.id'),
      getPath(doc, 'threat.technique.id'),
      getPath(doc, 'threat.technique.subtechnique.id'),
    ),
    description: firstText(
      doc,
      'kibana.alert.reason',
      'signal.reason',
      'kibana.alert.rule.description',
      'message',
    ),
    facts: compact({
      workflow_status: firstText(doc, 'kibana.alert.workflow_status', 'signal.status'),
      alert_status: firstText(doc, 'kibana.alert.status'),
      rule_type: firstText(doc, 'kibana.alert.rule.type', 'signal.rule.type'),
      rule_category: firstText(doc, 'kibana.alert.rule.category'),
      risk_score: toInt(
        firstValue(doc, 'kibana.alert.risk_score', 'kibana.alert.rule.risk_score', 'signal.rule.risk_score'),
      ),
      building_block: firstText(doc, 'kibana.alert.building_block_type'),
      rule_tags: textList(firstValue(doc, 'kibana.alert.rule.tags', 'signal.rule.tags')),
      event_kind: firstText(doc, 'event.kind'),
      event_category: textList(getPath(doc, 'event.category')),
      event_action: firstText(doc, 'event.action'),
      event_outcome: firstText(doc, 'event.outcome'),
      event_dataset: firstText(doc, 'event.dataset'),
      tactics: textList([...getAll(ruleThreat, 'tactic.name'), ...getAll(doc, 'threat.tactic.name')]),
      // Indicator-match rules: which indicator hit which field is the heart of the alert.
      indicator_matches: getAll(doc, 'threat.enrichments.matched').map((m) =>
        compact({ atomic: firstText(m, 'atomic'), field: firstText(m, 'field'), type: firstText(m, 'type') }),
      ),
      observer_product: firstText(doc, 'observer.product'),
      agent_name: firstText(doc, 'agent.name'),
    }),
    signals: ctx.signals ? elasticSignals(doc) : undefined,
  };
  const original = parseEmbeddedJson(getPath(doc, 'event.original'));
  const embedded = text(getPath(doc, 'event.original')) !== undefined ? ctx.embedded(original) : undefined;
  return fillFrom(draft, embedded, true);
};
