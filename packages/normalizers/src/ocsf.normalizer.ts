import type { FileHash } from '@triage/contracts';
import type { Normalizer } from './draft.ts';
import {
  compact,
  firstEntity,
  firstText,
  firstTime,
  firstValue,
  getAll,
  getPath,
  text,
  textList,
  toInt,
} from './fields.ts';
import {
  domainsIn,
  firstIp,
  firstPort,
  hashesIn,
  parseDomain,
  parseHash,
  parseIp,
  parseUrl,
  techniqueIds,
  urlDomain,
} from './observables.ts';
import { ocsfSignals } from './ocsf-signals.ts';
import { confidenceOf, severityFromScale, severityFromWord } from './severity.ts';

/**
 * OCSF findings (category 2): Detection Finding 2004, Security Finding 2001 (deprecated; uses
 * `finding` instead of `finding_info`), Vulnerability 2002, Compliance 2003, and any other class
 * with the same common attributes. Entities may sit at the top (src_endpoint, actor, device,
 * process) or per evidence (`evidences[]`); observables repeat them as typed name/value pairs.
 */

/** OCSF observable type_id → what it is (1.0-1.3 dictionary). Names are matched when ids are absent. */
const OBSERVABLE_TYPES: Record<number, string> = {
  1: 'hostname',
  2: 'ip address',
  4: 'user name',
  5: 'email address',
  6: 'url string',
  8: 'hash',
  9: 'process name',
  13: 'command line',
};

function observables(doc: Record<string, unknown>, kind: string): unknown[] {
  return getAll(doc, 'observables')
    .filter((o) => {
      const id = toInt(getPath(o, 'type_id'));
      const name = text(getPath(o, 'type'), 64)?.toLowerCase();
      return (id !== undefined && OBSERVABLE_TYPES[id] === kind) || name === kind;
    })
    .map((o) => getPath(o, 'value'));
}

/** OCSF hash objects: `{algorithm_id: 1 MD5 | 2 SHA-1 | 3 SHA-256, value}`; length decides anyway. */
function hashObjects(values: unknown[]): FileHash[] {
  return values.map((h) => parseHash(getPath(h, 'value'))).filter((h) => h !== undefined);
}

export const normalizeOcsf: Normalizer = (doc, ctx) => {
  const info = firstValue(doc, 'finding_info', 'finding');
  const classUid = toInt(getPath(doc, 'class_uid'));
  if (classUid === undefined && info === undefined) return undefined;

  // Endpoints and actors at the top level first, then inside each evidence.
  const at = (path: string): unknown[] => [getPath(doc, path), ...getAll(doc, `evidences.${path}`)];
  const severityId = toInt(getPath(doc, 'severity_id'));
  const urls = [...observables(doc, 'url string'), ...at('url.url_string')]
    .map(parseUrl)
    .filter((u) => u !== undefined);
  const attacks = [...getAll(doc, 'attacks'), ...getAll(info, 'attacks')];
  return {
    source_id: firstText(info, 'uid') ?? firstText(doc, 'metadata.uid'),
    name: firstText(info, 'title') ?? firstText(doc, 'message', 'type_name', 'class_name'),
    rule_id:
      firstText(info, 'analytic.uid', 'analytic.name') ??
      firstText(doc, 'compliance.control') ??
      textList(getPath(info, 'types'))[0],
    // 0 Unknown and 99 Other carry no level; the caption may still name one.
    severity: severityFromScale(severityId, 'ocsf') ?? severityFromWord(getPath(doc, 'severity')),
    source_confidence:
      confidenceOf(firstValue(doc, 'confidence_score', 'confidence')) ??
      confidenceFromId(getPath(doc, 'confidence_id')),
    first_seen:
      firstTime(info, 'first_seen_time_dt', 'first_seen_time', 'created_time_dt', 'created_time') ??
      firstTime(doc, 'start_time_dt', 'start_time', 'time_dt', 'time'),
    last_seen:
      firstTime(info, 'last_seen_time_dt', 'last_seen_time') ?? firstTime(doc, 'end_time_dt', 'end_time'),
    src_ip: firstIp(...at('src_endpoint.ip'), ...observables(doc, 'ip address')),
    src_port: firstPort(...at('src_endpoint.port')),
    dst_ip: firstIp(...at('dst_endpoint.ip')),
    dst_port: firstPort(...at('dst_endpoint.port')),
    user:
      [
        ...at('actor.user.name'),
        ...at('user.name'),
        ...at('actor.user.email_addr'),
        ...observables(doc, 'user name'),
      ]
        .map((u) => text(u, 1024))
        .find((u) => u !== undefined) ?? firstEntity(doc, 'actor.user.uid'),
    host: [...at('device.hostname'), ...at('device.name'), ...observables(doc, 'hostname')]
      .map((h) => (parseIp(h) ? undefined : text(h, 1024)))
      .find((h) => h !== undefined),
    process: {
      name: [...at('process.name'), ...at('actor.process.name')].map((v) => text(v, 1024)).find((v) => v),
      pid: toInt(firstValue(doc, 'process.pid', 'actor.process.pid')),
      command_line: [...at('process.cmd_line'), ...at('actor.process.cmd_line')]
        .map((v) => text(v))
        .find((v) => v),
      parent_name: firstText(doc, 'process.parent_process.name', 'actor.process.parent_process.name'),
      parent_command_line: firstText(doc, 'process.parent_process.cmd_line'),
    },
    hashes: [
      ...hashObjects(at('file.hashes')),
      ...hashObjects(at('process.file.hashes')),
      ...observables(doc, 'hash').flatMap((v) => hashesIn(v)),
    ],
    urls,
    domains: [
      ...domainsIn(...at('dst_endpoint.domain'), ...at('query.hostname')),
      ...observables(doc, 'hostname')
        .map(parseDomain)
        .filter((d) => d !== undefined),
      ...urls.map(urlDomain).filter((d) => d !== undefined),
    ],
    mitre: techniqueIds(
      attacks.map((a) => getPath(a, 'technique.uid')),
      attacks.map((a) => getPath(a, 'sub_technique.uid')),
    ),
    description: firstText(info, 'desc') ?? firstText(doc, 'message'),
    facts: compact({
      class_uid: classUid,
      class_name: firstText(doc, 'class_name'),
      activity: firstText(doc, 'activity_name'),
      status: firstText(doc, 'status'),
      state: firstText(doc, 'state'),
      action: firstText(doc, 'action'),
      disposition: firstText(doc, 'disposition'),
      impact: firstText(doc, 'impact'),
      risk_level: firstText(doc, 'risk_level'),
      risk_score: toInt(getPath(doc, 'risk_score')),
      finding_types: textList(getPath(info, 'types')),
      product: firstText(doc, 'metadata.product.name'),
      vendor: firstText(doc, 'metadata.product.vendor_name'),
      event_code: firstText(doc, 'metadata.event_code'),
      cloud_provider: firstText(doc, 'cloud.provider'),
      cloud_account: firstText(doc, 'cloud.account.uid', 'cloud.account_uid'),
      cloud_region: firstText(doc, 'cloud.region'),
      // The uids as a scalar list: which resource failed is part of the finding's identity.
      resource_uids: textList([...getAll(doc, 'resources.uid'), ...getAll(doc, 'resource.uid')]),
      resources: [...getAll(doc, 'resources'), ...getAll(doc, 'resource')]
        .slice(0, 10)
        .map((r) =>
          compact({ type: firstText(r, 'type'), uid: firstText(r, 'uid'), name: firstText(r, 'name') }),
        ),
      // Named *_result, not *_status: a FAILED and a PASSED check must not share a fingerprint.
      compliance_result: firstText(doc, 'compliance.status'),
      compliance_requirements: textList(getPath(doc, 'compliance.requirements')),
      cves: textList(getAll(doc, 'vulnerabilities.cve.uid')),
      malware: textList(getAll(doc, 'malware.name')),
      api_operation: textList(at('api.operation')),
      tactics: textList(attacks.map((a) => getPath(a, 'tactic.name'))),
    }),
    signals: ctx.signals
      ? ocsfSignals(doc, info, getPath(doc, 'finding_info') !== undefined ? 'finding_info' : 'finding')
      : undefined,
  };
};

/** OCSF confidence_id: 1 Low, 2 Medium, 3 High (0 Unknown, 99 Other). */
function confidenceFromId(v: unknown): number | undefined {
  return ({ 1: 20, 2: 50, 3: 80 } as Record<number, number>)[toInt(v) ?? -1];
}
