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
  toInt,
} from './fields.ts';
import { domainsIn, firstIp, firstPort, hashesIn, parseHash, techniqueIds, urlsIn } from './observables.ts';
import { severityFromScale } from './severity.ts';
import { wazuhSignals } from './wazuh-signals.ts';

/**
 * `data.win.eventdata.*` paths, as literals (greppable, typed without a cast): a template string per
 * read was a string to build and hash for every alert.
 */
const win = {
  ipAddress: 'data.win.eventdata.ipAddress',
  ipPort: 'data.win.eventdata.ipPort',
  targetUserName: 'data.win.eventdata.targetUserName',
  subjectUserName: 'data.win.eventdata.subjectUserName',
  image: 'data.win.eventdata.image',
  processId: 'data.win.eventdata.processId',
  commandLine: 'data.win.eventdata.commandLine',
  parentImage: 'data.win.eventdata.parentImage',
  parentCommandLine: 'data.win.eventdata.parentCommandLine',
  hashes: 'data.win.eventdata.hashes',
} as const;
const SYSCHECK_HASHES = ['syscheck.md5_after', 'syscheck.sha1_after', 'syscheck.sha256_after'];

/**
 * Wazuh `alerts.json` lines (also as stored by the Wazuh indexer, possibly with flattened keys).
 * `data.*` depends on the decoder: sshd/pam/sudo give srcip/srcuser/dstuser, web logs give
 * srcip/url, Windows gives `win.eventdata.*`, Suricata EVE forwarded through Wazuh keeps its own
 * names (`src_ip`, `alert.signature`). Severity comes from `rule.level` (0-15, see severity.ts).
 */
export const normalizeWazuh: Normalizer = (doc, ctx) => {
  const rule = getPath(doc, 'rule');
  const description = firstText(doc, 'rule.description');
  if (!isRecord(rule) && description === undefined) return undefined;

  const level = toInt(getPath(doc, 'rule.level'));
  const url = getPath(doc, 'data.url');
  return {
    source_id: firstText(doc, 'id', '_id'),
    name:
      description ?? (firstText(doc, 'rule.id') ? `Wazuh rule ${firstText(doc, 'rule.id')}` : 'Wazuh alert'),
    rule_id: firstText(doc, 'rule.id'),
    severity: severityFromScale(level, 'wazuh'),
    first_seen: firstTime(doc, '@timestamp', 'timestamp'),
    src_ip: firstIp(
      getPath(doc, 'data.srcip'),
      getPath(doc, 'data.src_ip'),
      getPath(doc, win.ipAddress),
      getPath(doc, 'data.aws.sourceIPAddress'),
      getPath(doc, 'data.office365.ClientIP'),
    ),
    src_port: firstPort(
      getPath(doc, 'data.srcport'),
      getPath(doc, 'data.src_port'),
      getPath(doc, win.ipPort),
    ),
    dst_ip: firstIp(getPath(doc, 'data.dstip'), getPath(doc, 'data.dest_ip')),
    dst_port: firstPort(getPath(doc, 'data.dstport'), getPath(doc, 'data.dest_port')),
    // The actor (srcuser: who ran sudo / su) before the target account (dstuser).
    user: firstEntity(
      doc,
      'data.srcuser',
      'data.dstuser',
      'data.user',
      win.targetUserName,
      win.subjectUserName,
      'syscheck.uname_after',
      'data.aws.userIdentity.userName',
      'data.office365.UserId',
    ),
    // predecoder.hostname is the host in the syslog header: the machine the event happened on.
    // agent.name is only the collector when one agent forwards many hosts' logs (AIT-ADS does).
    host: firstEntity(doc, 'predecoder.hostname', 'data.win.system.computer', 'agent.name'),
    process: {
      name: firstText(doc, win.image, 'data.process.name', 'data.program_name', 'predecoder.program_name'),
      pid: toInt(firstValue(doc, win.processId, 'data.pid')),
      command_line: firstText(doc, 'data.command', win.commandLine),
      parent_name: firstText(doc, win.parentImage),
      parent_command_line: firstText(doc, win.parentCommandLine),
    },
    hashes: [
      ...SYSCHECK_HASHES.map((p) => parseHash(getPath(doc, p))),
      ...hashesIn(getPath(doc, win.hashes)),
      ...hashesIn(getPath(doc, 'data.fileinfo.sha256')),
      ...hashesIn(getPath(doc, 'data.fileinfo.md5')),
    ].filter((h) => h !== undefined),
    urls: urlsIn(url, getPath(doc, 'data.http.url')),
    domains: domainsIn(
      getPath(doc, 'data.http.hostname'),
      getPath(doc, 'data.tls.sni'),
      getPath(doc, 'data.dns.rrname'),
      getAll(doc, 'data.dns.query.rrname'),
    ),
    mitre: techniqueIds(getPath(doc, 'rule.mitre.id')),
    description: firstText(doc, 'full_log'),
    facts: compact({
      rule_level: level,
      rule_groups: textList(getPath(doc, 'rule.groups')),
      rule_firedtimes: toInt(getPath(doc, 'rule.firedtimes')),
      mitre_tactics: textList(getPath(doc, 'rule.mitre.tactic')),
      decoder: firstText(doc, 'decoder.name'),
      decoder_parent: firstText(doc, 'decoder.parent'),
      location: firstText(doc, 'location'),
      agent_name: firstText(doc, 'agent.name'),
      agent_ip: firstText(doc, 'agent.ip'),
      src_user: firstText(doc, 'data.srcuser'),
      dst_user: firstText(doc, 'data.dstuser'),
      url_path: urlsIn(url).length === 0 ? text(url, 2048) : undefined,
      protocol: firstText(doc, 'data.protocol', 'data.proto'),
      windows_event: firstText(doc, 'data.win.system.eventID'),
      syscheck_path: firstText(doc, 'syscheck.path'),
      syscheck_event: firstText(doc, 'syscheck.event'),
      geo_country: firstText(doc, 'GeoLocation.country_name'),
      // Suricata EVE forwarded through Wazuh: the IDS's own view of the alert.
      signature: firstText(doc, 'data.alert.signature'),
      signature_id: firstText(doc, 'data.alert.signature_id'),
      ids_category: firstText(doc, 'data.alert.category'),
      ids_action: firstText(doc, 'data.alert.action'),
      ids_severity: toInt(getPath(doc, 'data.alert.severity')),
      app_proto: firstText(doc, 'data.app_proto'),
    }),
    signals: ctx.signals ? wazuhSignals(doc) : undefined,
  };
};
