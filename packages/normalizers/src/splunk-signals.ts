import type { AlertSignalsInput } from '@triage/contracts';
import { getPath, type JsonRecord, own, text, toInt } from './fields.ts';
import { hashesIn, techniqueIds } from './observables.ts';
import { severityFromWord } from './severity.ts';
import { SignalsBuilder } from './signals.ts';

/**
 * Signals of a Splunk alert. What the search itself states — the saved search / correlation
 * rule, the notable's title, urgency, security domain, MITRE annotations, workflow status and
 * disposition, the `count` of a stats search — is Splunk's metadata. The result row's CIM fields
 * were extracted from indexed events by field extractions over raw text, so they are content
 * (an attacker who writes `src=10.0.0.1` into a log line moves them); `_raw` is text. Titles with
 * `$result.field$` tokens are masked with every result value.
 */
const HEADER = new Set([
  'rule_title',
  'rule_name',
  'search_name',
  'savedsearch_name',
  'rule_description',
  'security_domain',
  'urgency',
  'severity',
  'priority',
  'status_label',
  'disposition_label',
]);

export function splunkSignals(
  doc: JsonRecord,
  f: JsonRecord,
  inResult: boolean,
): AlertSignalsInput | undefined {
  const b = new SignalsBuilder();
  const r = (k: string) => (inResult ? `result.${k}` : k);
  const fv = (k: string) => getPath(f, k);
  b.meta('detection.vendor', 'splunk', 'sid');
  for (const k of ['rule_title', 'rule_name']) b.meta('detection.rule_name', fv(k), r(k));
  b.meta('detection.rule_name', own(doc, 'search_name'), 'search_name');
  b.meta('detection.rule_name', fv('search_name') ?? fv('savedsearch_name'), r('search_name'));
  b.meta('detection.rule_id', own(doc, 'search_name') ?? fv('search_name'), 'search_name');
  b.meta('detection.rule_description', fv('rule_description'), r('rule_description'));
  const sevKey = ['urgency', 'severity', 'priority'].find((k) => text(fv(k), 64) !== undefined);
  if (sevKey) {
    b.meta('detection.level', { scale: 'vendor', value: text(fv(sevKey), 64)! }, r(sevKey));
    b.meta('detection.severity', severityFromWord(fv(sevKey)), r(sevKey));
  }
  b.meta(
    'detection.groups',
    [text(fv('security_domain'), 64)].filter((x) => x),
    r('security_domain'),
  );
  b.meta(
    'detection.mitre',
    techniqueIds(
      fv('annotations.mitre_attack'),
      fv('annotations.mitre_attack.mitre_technique_id'),
      fv('mitre_technique_id'),
    ),
    r('annotations.mitre_attack'),
  );
  b.meta('detection.fired_times', fv('count'), r('count'));
  b.meta('source_verdict.status', fv('status_label'), r('status_label'));
  b.meta('source_verdict.classification', fv('disposition_label'), r('disposition_label'));
  b.meta('event.time', fv('_time') ?? fv('orig_time'), r('_time'));

  b.content('network.src_ip', fv('src_ip') ?? fv('src'), r('src_ip'));
  b.content('network.dst_ip', fv('dest_ip') ?? fv('dest'), r('dest_ip'));
  b.content('network.src_port', fv('src_port'), r('src_port'));
  b.content('network.dst_port', fv('dest_port'), r('dest_port'));
  b.content('network.transport', fv('transport'), r('transport'));
  b.content('network.url', fv('url'), r('url'));
  b.content('network.user_agent', fv('http_user_agent'), r('http_user_agent'));
  b.content('network.http_method', fv('http_method'), r('http_method'));
  const status = toInt(fv('status'));
  // `status` is also a notable's workflow status code: only an HTTP status is one.
  if (status !== undefined && status >= 100 && status <= 599)
    b.content('network.http_status', status, r('status'));
  b.content('network.hostname', fv('query') ?? fv('url_domain'), r('query'));
  b.content('auth.user', fv('user') ?? fv('src_user'), r('user'));
  b.content(
    'auth.outcome',
    text(fv('action'), 32)?.toLowerCase() === 'success'
      ? 'success'
      : text(fv('action'), 32)?.toLowerCase() === 'failure'
        ? 'failure'
        : undefined,
    r('action'),
  );
  b.content(
    'host.name',
    fv('dest_nt_host') ?? fv('dest_host') ?? fv('orig_host') ?? fv('host'),
    r('dest_host'),
  );
  b.content('process.command_line', fv('process'), r('process'));
  b.content('process.name', fv('process_name'), r('process_name'));
  b.content('process.image', fv('process_path'), r('process_path'));
  b.content('parent.name', fv('parent_process_name'), r('parent_process_name'));
  b.content('parent.command_line', fv('parent_process'), r('parent_process'));
  b.content('file.path', fv('file_path') ?? fv('file_name'), r('file_path'));
  b.content(
    'file.hashes',
    ['file_hash', 'sha256', 'sha1', 'md5'].flatMap((k) => hashesIn(fv(k))).slice(0, 10),
    r('file_hash'),
  );
  b.content('registry.key', fv('registry_path'), r('registry_path'));
  b.content('registry.data', fv('registry_value_data'), r('registry_value_data'));
  b.text(fv('_raw'), r('_raw'));
  b.text(fv('description'), r('description'));
  // Every result value may stand in a `$result.x$` token, except the rule's own header fields.
  b.maskValues(
    Object.entries(f)
      .filter(([k]) => !HEADER.has(k))
      .map(([, v]) => v),
  );
  return b.build();
}
