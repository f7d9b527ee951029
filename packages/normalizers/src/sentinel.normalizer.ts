import { readCommonSecurityLog } from './cef.ts';
import type { AlertDraft, Normalizer } from './draft.ts';
import {
  compact,
  entity,
  firstText,
  firstTime,
  firstValue,
  getAll,
  getPath,
  isRecord,
  type JsonRecord,
  own,
  parseEmbeddedJson,
  sanitize,
  text,
  textList,
  toInt,
} from './fields.ts';
import { extractGeneric, leftoverFacts } from './generic-extract.ts';
import { genericSignals } from './generic-signals.ts';
import { firstIp, firstPort, techniqueIds } from './observables.ts';
import { readEntities, type SentinelEntities } from './sentinel-entities.ts';
import { sentinelSignals } from './sentinel-signals.ts';
import { confidenceOf, severityFromWord } from './severity.ts';

/**
 * Microsoft Sentinel, in every shape it leaves the product:
 * - SecurityAlert rows (Log Analytics export, Event Hub): current columns (AlertName, AlertSeverity,
 *   StartTime) and older ones (AlertDisplayName, Severity, StartTimeUtc), Entities/ExtendedProperties
 *   as JSON strings;
 * - REST alert entities (`kind: SecurityAlert`, `properties.alertDisplayName`);
 * - incidents: REST (`properties.title`), automation rule / Logic App payloads (`object.properties`
 *   with `relatedEntities` and `alerts`) and SecurityIncident rows: one alert per incident;
 * - other Log Analytics rows (CommonSecurityLog, connector `*_CL` tables): CEF columns or generic.
 */
export const normalizeSentinel: Normalizer = (doc, ctx) => {
  const on = ctx.signals;
  const object = own(doc, 'object');
  if (isRecord(object) && isRecord(own(object, 'properties'))) return restIncident(object, on);
  const props = own(doc, 'properties');
  if (isRecord(props)) {
    if (
      firstText(props, 'alertDisplayName', 'systemAlertId') !== undefined ||
      own(doc, 'kind') === 'SecurityAlert'
    ) {
      return restAlert(doc, props, on);
    }
    if (firstText(props, 'title') !== undefined || own(props, 'incidentNumber') !== undefined)
      return restIncident(doc, on);
  }
  const table = text(own(doc, 'Type'), 256);
  if (
    table === 'SecurityIncident' ||
    (own(doc, 'IncidentNumber') !== undefined && own(doc, 'Title') !== undefined)
  ) {
    return incidentRow(doc, on);
  }
  if (firstText(doc, 'AlertName', 'DisplayName', 'AlertDisplayName', 'SystemAlertId') !== undefined)
    return alertRow(doc, on);
  if (table === 'CommonSecurityLog') return readCommonSecurityLog(doc, on);
  if (table !== undefined && own(doc, 'TenantId') !== undefined) return customLogRow(doc, table, on);
  return undefined;
};

/** ExtendedProperties: an object (REST) or a JSON string of one (table); values are strings. */
function extendedProperties(v: unknown): JsonRecord {
  const parsed = parseEmbeddedJson(v);
  return isRecord(parsed) ? parsed : {};
}

/**
 * Fields Defender for Cloud / MDE write into ExtendedProperties with fixed English names; they
 * say which IP attacked, which host was hit and which process ran, which entities alone do not.
 */
function withEntities(
  draft: AlertDraft,
  ents: SentinelEntities,
  ext: JsonRecord,
  compromised?: string,
): AlertDraft {
  const e = (k: string): unknown => own(ext, k);
  const suspicious = text(e('Suspicious Process'), 1024);
  return {
    ...draft,
    src_ip: firstIp(e('Attacker IP'), e('Source IP'), e('Client IP Address'), ents.ips),
    src_port: firstPort(e('Attacker Port'), e('Source Port')),
    dst_ip: firstIp(e('Victim IP'), e('Destination IP')),
    dst_port: firstPort(e('Victim Port'), e('Destination Port')),
    user: ents.users[0] ?? entity(e('User Name')) ?? entity(e('Account')),
    host: ents.hosts[0] ?? compromised ?? entity(e('Compromised Host')),
    process: ents.process ?? {
      name: suspicious?.split(/[\\/]/).pop(),
      pid: toInt(e('Suspicious Process Id')),
      command_line: text(e('Suspicious Command Line')),
      parent_name: text(e('Parent Process'), 1024)?.split(/[\\/]/).pop(),
    },
    hashes: ents.hashes,
    urls: ents.urls,
    domains: ents.domains,
    facts: {
      ...draft.facts,
      // All entity IPs/accounts/hosts, not just the first: intel looks each one up.
      entity_ips: ents.ips,
      entity_accounts: ents.users,
      entity_hosts: ents.hosts,
      extended_properties: Object.keys(ext).length > 0 ? sanitize(ext, 2, 2048) : undefined,
    },
  };
}

/** "InitialAccess, Persistence" (table) or ["InitialAccess"] (REST); "Unknown" is no tactic. */
function tactics(v: unknown): string[] {
  const list = Array.isArray(v) ? textList(v) : (text(v, 4096)?.split(',') ?? []);
  return list.map((t) => t.trim()).filter((t) => t !== '' && t.toLowerCase() !== 'unknown');
}

function alertRow(doc: JsonRecord, on: boolean): AlertDraft {
  const ext = extendedProperties(own(doc, 'ExtendedProperties'));
  const compromised = entity(own(doc, 'CompromisedEntity'));
  const signals = on
    ? sentinelSignals(doc, {
        name: ['AlertName', 'DisplayName', 'AlertDisplayName'],
        ruleId: ['AlertType'],
        severity: ['AlertSeverity', 'Severity'],
        tactics: ['Tactics'],
        techniques: ['Techniques'],
        status: ['Status'],
        classification: [],
        confidence: ['ConfidenceScore', 'ConfidenceLevel'],
        product: ['ProductName', 'ProviderName'],
        description: ['Description'],
        entities: 'Entities',
        extended: 'ExtendedProperties',
      })
    : undefined;
  const draft = withEntities(
    {
      name: firstText(doc, 'AlertName', 'DisplayName', 'AlertDisplayName'),
      rule_id: firstText(doc, 'AlertType'),
      source_id: firstText(doc, 'SystemAlertId', 'VendorOriginalId', 'ProviderAlertId'),
      severity: severityFromWord(firstValue(doc, 'AlertSeverity', 'Severity')),
      source_confidence: confidenceOf(firstValue(doc, 'ConfidenceScore', 'ConfidenceLevel')),
      first_seen: firstTime(doc, 'StartTime', 'StartTimeUtc', 'TimeGenerated'),
      last_seen: firstTime(doc, 'EndTime', 'EndTimeUtc'),
      description: firstText(doc, 'Description'),
      mitre: techniqueIds(
        parseEmbeddedJson(own(doc, 'Techniques')),
        own(doc, 'Techniques'),
        own(doc, 'SubTechniques'),
      ),
      facts: compact({
        table: 'SecurityAlert',
        provider_name: firstText(doc, 'ProviderName'),
        product_name: firstText(doc, 'ProductName'),
        product_component: firstText(doc, 'ProductComponentName'),
        vendor_name: firstText(doc, 'VendorName'),
        alert_type: firstText(doc, 'AlertType'),
        tactics: tactics(own(doc, 'Tactics')),
        status: firstText(doc, 'Status'),
        is_incident: firstText(doc, 'IsIncident'),
        compromised_entity: compromised,
        resource_id: firstText(doc, 'ResourceId'),
      }),
    },
    readEntities(own(doc, 'Entities')),
    ext,
    compromised,
  );
  return { ...draft, signals };
}

function restAlert(doc: JsonRecord, p: JsonRecord, on: boolean): AlertDraft {
  const compromised = entity(own(p, 'compromisedEntity'));
  const at = (...ks: string[]) => ks.map((k) => `properties.${k}`);
  const signals = on
    ? sentinelSignals(doc, {
        name: at('alertDisplayName', 'friendlyName'),
        ruleId: at('alertType'),
        severity: at('severity'),
        tactics: at('tactics'),
        techniques: at('techniques'),
        status: at('status'),
        classification: [],
        confidence: at('confidenceScore', 'confidenceLevel'),
        product: at('productName'),
        description: at('description'),
        entities: 'properties.entities',
        extended: 'properties.extendedProperties',
      })
    : undefined;
  const draft = withEntities(
    {
      name: firstText(p, 'alertDisplayName', 'friendlyName'),
      rule_id: firstText(p, 'alertType'),
      source_id: firstText(p, 'systemAlertId', 'providerAlertId') ?? firstText(doc, 'name'),
      severity: severityFromWord(own(p, 'severity')),
      source_confidence: confidenceOf(firstValue(p, 'confidenceScore', 'confidenceLevel')),
      first_seen: firstTime(p, 'startTimeUtc', 'timeGenerated'),
      last_seen: firstTime(p, 'endTimeUtc'),
      description: firstText(p, 'description'),
      mitre: techniqueIds(own(p, 'techniques'), own(p, 'subTechniques')),
      facts: compact({
        product_name: firstText(p, 'productName'),
        vendor_name: firstText(p, 'vendorName'),
        alert_type: firstText(p, 'alertType'),
        tactics: tactics(own(p, 'tactics')),
        status: firstText(p, 'status'),
        intent: firstText(p, 'intent'),
        compromised_entity: compromised,
      }),
    },
    readEntities(own(p, 'entities')),
    extendedProperties(own(p, 'extendedProperties')),
    compromised,
  );
  return { ...draft, signals };
}

/** A REST incident or the `object` of an automation payload: one alert carrying all entities. */
function restIncident(obj: JsonRecord, on: boolean): AlertDraft {
  const p = own(obj, 'properties') as JsonRecord;
  const at = (...ks: string[]) => ks.map((k) => `properties.${k}`);
  const signals = on
    ? sentinelSignals(obj, {
        name: at('title'),
        ruleId: [],
        severity: at('severity'),
        tactics: at('additionalData.tactics'),
        techniques: at('additionalData.techniques'),
        status: at('status'),
        classification: at('classification'),
        confidence: [],
        product: at('additionalData.alertProductNames.0', 'providerName'),
        description: at('description'),
        entities: 'properties.relatedEntities',
      })
    : undefined;
  const alerts = getAll(p, 'alerts.properties');
  const ruleIds = textList(own(p, 'relatedAnalyticRuleIds'), 2048);
  const draft = withEntities(
    {
      name: firstText(p, 'title'),
      // An analytics rule's resource id ends with its GUID, which survives renames.
      rule_id: ruleIds[0]?.split('/').pop(),
      source_id: firstText(obj, 'name') ?? firstText(p, 'providerIncidentId'),
      severity: severityFromWord(own(p, 'severity')),
      first_seen: firstTime(p, 'firstActivityTimeUtc', 'createdTimeUtc'),
      last_seen: firstTime(p, 'lastActivityTimeUtc'),
      description: firstText(p, 'description'),
      mitre: techniqueIds(
        getPath(p, 'additionalData.techniques'),
        alerts.map((a) => own(a, 'techniques')),
      ),
      facts: compact({
        kind: 'incident',
        incident_number: toInt(own(p, 'incidentNumber')),
        status: firstText(p, 'status'),
        classification: firstText(p, 'classification'),
        classification_reason: firstText(p, 'classificationReason'),
        classification_comment: firstText(p, 'classificationComment'),
        owner: firstText(p, 'owner.assignedTo', 'owner.email', 'owner.userPrincipalName'),
        tactics: tactics(getPath(p, 'additionalData.tactics')),
        alert_count: toInt(getPath(p, 'additionalData.alertsCount')) ?? (alerts.length || undefined),
        alert_names: alerts.map((a) => text(own(a, 'alertDisplayName'), 1024)).filter((n) => n !== undefined),
        alert_products: textList(getPath(p, 'additionalData.alertProductNames')),
        provider_name: firstText(p, 'providerName'),
        labels: getAll(p, 'labels.labelName').map((l) => text(l, 256)),
        related_rule_ids: ruleIds.map((r) => r.split('/').pop()),
      }),
    },
    readEntities(own(p, 'relatedEntities')),
    {},
  );
  return { ...draft, signals };
}

/** SecurityIncident table row (Log Analytics): the table's columns for the same incident fields. */
function incidentRow(doc: JsonRecord, on: boolean): AlertDraft {
  const additional = parseEmbeddedJson(own(doc, 'AdditionalData'));
  const owner = parseEmbeddedJson(own(doc, 'Owner'));
  return {
    name: firstText(doc, 'Title'),
    source_id: firstText(doc, 'IncidentName', 'ProviderIncidentId'),
    rule_id: textList(parseEmbeddedJson(own(doc, 'RelatedAnalyticRuleIds')), 2048)[0]
      ?.split('/')
      .pop(),
    severity: severityFromWord(own(doc, 'Severity')),
    first_seen: firstTime(doc, 'FirstActivityTime', 'CreatedTime'),
    last_seen: firstTime(doc, 'LastActivityTime'),
    description: firstText(doc, 'Description'),
    mitre: techniqueIds(getPath(additional, 'techniques')),
    signals: on
      ? sentinelSignals(doc, {
          name: ['Title'],
          ruleId: [],
          severity: ['Severity'],
          tactics: [],
          techniques: [],
          status: ['Status'],
          classification: ['Classification'],
          confidence: [],
          product: ['ProviderName'],
          description: ['Description'],
          entities: '',
        })
      : undefined,
    facts: compact({
      table: 'SecurityIncident',
      kind: 'incident',
      incident_number: toInt(own(doc, 'IncidentNumber')),
      status: firstText(doc, 'Status'),
      classification: firstText(doc, 'Classification'),
      classification_reason: firstText(doc, 'ClassificationReason'),
      owner: firstText(owner, 'assignedTo', 'email'),
      tactics: tactics(getPath(additional, 'tactics')),
      alert_count: toInt(getPath(additional, 'alertsCount')),
    }),
  };
}

/** Connector tables (`*_CL`) have no common schema: generic extraction, table name kept. */
function customLogRow(doc: JsonRecord, table: string, on: boolean): AlertDraft {
  const generic = extractGeneric(doc);
  const { used, found: _, ...draft } = generic;
  return {
    ...draft,
    name: draft.name ?? `${table} record`,
    facts: { ...leftoverFacts(doc, new Set([...used, 'TenantId', 'Type', 'SourceSystem'])), table },
    signals: on ? genericSignals(doc, generic) : undefined,
  };
}
