import type { AlertFormat } from '@triage/contracts';
import { firstText, getPath, isRecord, type JsonRecord, own, text, toInt } from './fields.ts';
import { isTimelineRow } from './hayabusa.normalizer.ts';
import { locateWindowsEvent } from './windows.normalizer.ts';

/**
 * Format detection: deterministic, by structural markers each format's documentation guarantees,
 * most specific first. Order matters where formats nest: Wazuh forwards Suricata EVE under
 * `data`, Elastic integrations carry other vendors' alerts in `event.original`, and the original
 * service's `{alert: {...}}` would match almost anything, so it comes last before `generic`.
 */

/** Keys that only the original service's alerts carry; one of them marks a bare alert. */
export const ORIGINAL_MARKERS = [
  'failed_logins',
  'ports_scanned',
  'rate_per_min',
  'interval_seconds',
] as const;

const has = (doc: JsonRecord, path: string): boolean => {
  const v = getPath(doc, path);
  return v !== undefined && v !== null && v !== '';
};

function isOcsf(doc: JsonRecord): boolean {
  const classUid = toInt(getPath(doc, 'class_uid'));
  if (classUid === undefined) return false;
  return has(doc, 'finding_info') || has(doc, 'finding') || has(doc, 'category_uid') || has(doc, 'type_uid');
}

function isSuricata(doc: JsonRecord): boolean {
  // EVE: event_type "alert" with the alert object at the top.
  if (text(own(doc, 'event_type'), 64) === 'alert' && isRecord(own(doc, 'alert'))) return true;
  // ECS (Malcolm, Filebeat module): event.module names the producer.
  const module = firstText(doc, 'event.module', 'event.dataset');
  return module === 'suricata' || module === 'suricata.eve' || has(doc, 'suricata.eve.alert');
}

function isWazuh(doc: JsonRecord): boolean {
  if (toInt(getPath(doc, 'rule.level')) === undefined) return false;
  return (
    has(doc, 'agent') ||
    has(doc, 'manager') ||
    has(doc, 'decoder') ||
    has(doc, 'location') ||
    has(doc, 'full_log')
  );
}

function isElastic(doc: JsonRecord): boolean {
  if (has(doc, 'kibana.alert.rule.name') || has(doc, 'kibana.alert.uuid') || has(doc, 'signal.rule'))
    return true;
  // Any ECS document that says it is an alert (an integration's mapping of a vendor alert).
  const kind = firstText(doc, 'event.kind');
  return (kind === 'alert' || kind === 'signal') && (has(doc, 'ecs.version') || has(doc, '@timestamp'));
}

const SENTINEL_ROW_COLUMNS = [
  'SystemAlertId',
  'AlertDisplayName',
  'ProviderAlertId',
  'AlertSeverity',
  'VendorOriginalId',
];

function isSentinel(doc: JsonRecord): boolean {
  const props = own(doc, 'properties');
  if (isRecord(props)) {
    if (own(doc, 'kind') === 'SecurityAlert' || has(props, 'alertDisplayName') || has(props, 'systemAlertId'))
      return true;
    const type = text(own(doc, 'type'), 256) ?? '';
    if (type.startsWith('Microsoft.SecurityInsights/') || has(props, 'incidentNumber')) return true;
  }
  // Automation rule / Logic App trigger payload for incidents.
  const object = own(doc, 'object');
  if (
    isRecord(object) &&
    (has(object, 'properties.incidentNumber') || has(object, 'properties.relatedEntities'))
  ) {
    return true;
  }
  if (SENTINEL_ROW_COLUMNS.some((c) => has(doc, c))) return true;
  // Log Analytics rows: every table has TenantId and Type; *_CL are connector tables.
  const table = text(own(doc, 'Type'), 256);
  return (
    table !== undefined &&
    has(doc, 'TenantId') &&
    /^(SecurityAlert|SecurityIncident|CommonSecurityLog|\w+_CL)$/.test(table)
  );
}

function isSplunk(doc: JsonRecord): boolean {
  if (
    has(doc, 'sid') &&
    (isRecord(own(doc, 'result')) || has(doc, 'results_link') || has(doc, 'search_name'))
  )
    return true;
  // Enterprise Security notable events (index=notable, sourcetype=stash).
  if (own(doc, 'index') === 'notable' || own(doc, 'sourcetype') === 'stash') return true;
  return (
    has(doc, 'event_id') && has(doc, 'rule_name') && (has(doc, 'urgency') || has(doc, 'security_domain'))
  );
}

function isOriginal(doc: JsonRecord): boolean {
  const alert = own(doc, 'alert');
  if (isRecord(alert)) {
    // {"name", "alert"} request bodies; a couple of annotation keys are tolerated.
    const extra = Object.keys(doc).filter((k) => !['name', 'alert', 'expected', 'notes', 'id'].includes(k));
    return extra.length === 0 && (own(doc, 'name') === undefined || typeof own(doc, 'name') === 'string');
  }
  return ORIGINAL_MARKERS.some((k) => Object.hasOwn(doc, k)) && (has(doc, 'source_ip') || has(doc, 'user'));
}

const DETECTORS: ReadonlyArray<[AlertFormat, (doc: JsonRecord) => boolean]> = [
  ['ocsf', isOcsf],
  ['wazuh', isWazuh],
  ['suricata', isSuricata],
  ['elastic', isElastic],
  ['sentinel', isSentinel],
  ['splunk', isSplunk],
  // Timeline rows name a rule and an event id; a Windows event carries its System header.
  ['hayabusa', isTimelineRow],
  ['windows', (doc) => locateWindowsEvent(doc) !== undefined],
  ['original', isOriginal],
];

/**
 * Search-hit and archive envelopes around the real document: `{_index, _id, _source}` (Elasticsearch
 * / OpenSearch, incl. the Wazuh indexer), `{type: "doc", value: {id, index, source}}` (Kibana
 * es_archiver) and its inner `{id, index, source}`. Returns the document and the envelope's id.
 */
export function unwrapEnvelope(input: JsonRecord): { doc: JsonRecord; id?: string } {
  let doc = input;
  let id: string | undefined;
  for (let i = 0; i < 3; i++) {
    const source = own(doc, '_source');
    if (isRecord(source)) {
      id = text(own(doc, '_id'), 1024) ?? id;
      doc = source;
      continue;
    }
    const value = own(doc, 'value');
    if (own(doc, 'type') === 'doc' && isRecord(value)) {
      doc = value;
      continue;
    }
    const inner = own(doc, 'source');
    const envelopeKeys = ['id', 'index', 'source', '_score', 'score', 'type', 'version', 'routing'];
    if (
      isRecord(inner) &&
      typeof own(doc, 'index') === 'string' &&
      Object.keys(doc).every((k) => envelopeKeys.includes(k))
    ) {
      id = text(own(doc, 'id'), 1024) ?? id;
      doc = inner;
      continue;
    }
    break;
  }
  return id === undefined ? { doc } : { doc, id };
}

/**
 * The format whose markers the document carries (first detector that matches), else `generic`.
 * Markers only: index.ts's `detectFormat` also checks that the format can actually read it.
 */
export function detectByMarkers(doc: JsonRecord): AlertFormat {
  for (const [format, test] of DETECTORS) if (test(doc)) return format;
  return 'generic';
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'a non-plain object';
  return `a ${typeof v}`;
}
