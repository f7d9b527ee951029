import type { Normalizer } from './draft.ts';
import {
  compact,
  entity,
  firstEntity,
  firstText,
  firstTime,
  firstValue,
  getPath,
  isRecord,
  own,
  text,
  textList,
  toInt,
} from './fields.ts';
import { domainsIn, hashesIn, parseIp, parsePort, techniqueIds, urlDomain, urlsIn } from './observables.ts';
import { severityFromWord } from './severity.ts';
import { splunkSignals } from './splunk-signals.ts';

/**
 * Splunk: the webhook alert action (`{sid, search_name, results_link, result: {…first row…}}`),
 * custom alert actions (same plus `configuration`, `results_file`), and Enterprise Security notable
 * events (top-level `rule_name`, `urgency`, `event_id`, …), possibly inside a webhook `result`.
 * Result fields follow the Common Information Model (CIM): src/src_ip, dest/dest_ip, user,
 * dest_port, signature, process, file_hash, url. All values arrive as strings.
 */
export const normalizeSplunk: Normalizer = (doc, ctx) => {
  const result = own(doc, 'result');
  const f = isRecord(result) ? result : doc;
  const sid = firstText(doc, 'sid');
  if (
    sid === undefined &&
    !isRecord(result) &&
    firstText(doc, 'search_name', 'rule_name', 'rule_title', 'event_id', 'orig_sid') === undefined
  ) {
    return undefined;
  }

  // CIM src/dest hold an address or a host name; only addresses go to src_ip/dst_ip.
  const src = firstValue(f, 'src_ip', 'src');
  const dest = firstValue(f, 'dest_ip', 'dest');
  const destName = [
    getPath(f, 'dest_nt_host'),
    getPath(f, 'dest_host'),
    getPath(f, 'dest_dns'),
    getPath(f, 'dest'),
  ]
    .map((v) => (parseIp(v) ? undefined : entity(v)))
    .find((v) => v !== undefined);
  const serial = firstText(f, '_serial');
  const urls = urlsIn(getPath(f, 'url'));
  const searchName = firstText(doc, 'search_name') ?? firstText(f, 'search_name', 'savedsearch_name');
  const sourcetype = firstText(f, 'sourcetype');

  return {
    // A notable's title is what Incident Review shows; a plain alert is named by its saved search.
    name:
      firstText(f, 'rule_title', 'rule_name') ??
      searchName ??
      firstText(f, 'signature') ??
      (sourcetype ? `Splunk alert (sourcetype ${sourcetype})` : 'Splunk alert'),
    rule_id: searchName ?? firstText(f, 'signature_id'),
    // A search's sid is shared by every result it alerts on; `_serial` tells results apart.
    source_id:
      firstText(f, 'event_id') ?? (sid !== undefined && serial !== undefined ? `${sid}:${serial}` : sid),
    severity: severityFromWord(firstValue(f, 'urgency', 'severity', 'priority')),
    first_seen: firstTime(f, 'orig_time', '_time', 'timestamp'),
    src_ip: parseIp(src),
    src_port: parsePort(getPath(f, 'src_port')),
    dst_ip: parseIp(dest),
    dst_port: parsePort(getPath(f, 'dest_port')),
    user: firstEntity(f, 'user', 'src_user', 'user_name'),
    host: destName ?? firstEntity(f, 'orig_host', 'dvc_host', 'host'),
    process: {
      name: firstText(f, 'process_name') ?? text(getPath(f, 'process_path'), 1024)?.split(/[\\/]/).pop(),
      pid: toInt(getPath(f, 'process_id')),
      command_line: firstText(f, 'process'),
      parent_name: firstText(f, 'parent_process_name'),
      parent_command_line: firstText(f, 'parent_process'),
    },
    hashes: ['file_hash', 'process_hash', 'md5', 'sha1', 'sha256', 'hash'].flatMap((k) =>
      hashesIn(getPath(f, k)),
    ),
    urls,
    domains: [
      ...domainsIn(getPath(f, 'url_domain'), getPath(f, 'query')),
      ...urls.map(urlDomain).filter((d) => d !== undefined),
    ],
    mitre: techniqueIds(
      getPath(f, 'annotations.mitre_attack'),
      getPath(f, 'annotations.mitre_attack.mitre_technique_id'),
      getPath(f, 'mitre_technique_id'),
    ),
    description: firstText(f, 'description', 'rule_description', '_raw'),
    facts: compact({
      search_name: searchName,
      app: firstText(doc, 'app'),
      security_domain: firstText(f, 'security_domain'),
      urgency: firstText(f, 'urgency'),
      status_label: firstText(f, 'status_label'),
      disposition_label: firstText(f, 'disposition_label'),
      owner: firstText(f, 'owner') ?? firstText(doc, 'owner'),
      action: firstText(f, 'action'),
      signature: firstText(f, 'signature'),
      src_host: parseIp(src) ? undefined : entity(src),
      src_user: firstText(f, 'src_user'),
      dest_host: destName,
      sourcetype,
      orig_sourcetype: firstText(f, 'orig_sourcetype'),
      index: firstText(f, 'index'),
      count: toInt(getPath(f, 'count')),
      risk_score: toInt(getPath(f, 'risk_score')),
      tags: textList(getPath(f, 'tag')),
      server_host: firstText(doc, 'server_host'),
    }),
    signals: ctx.signals ? splunkSignals(doc, f, isRecord(result)) : undefined,
  };
};
