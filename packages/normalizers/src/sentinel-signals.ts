import type { AlertSignalsInput } from '@triage/contracts';
import { getPath, isRecord, type JsonRecord, own, parseEmbeddedJson, text, textList } from './fields.ts';
import { hashesIn, parseHash, techniqueIds } from './observables.ts';
import { type Entity, entityList, pickProcess, prop, typeOf } from './sentinel-entities.ts';
import { confidenceOf, severityFromWord } from './severity.ts';
import { SignalsBuilder } from './signals.ts';

/**
 * Signals of a Sentinel alert or incident. The header (name, alert type, severity, tactics,
 * techniques, status, classification) is Sentinel's or the alerting product's metadata. Entities
 * come from the product that raised the alert (Defender for Endpoint, Defender for Cloud…): the
 * image paths, pids, accounts, hosts, addresses and hashes it measured are metadata; command
 * lines, file and registry paths, URLs and DNS names are content. ExtendedProperties mix both:
 * command lines there are content, addresses metadata. Alert names and descriptions interpolate
 * entity names, so every entity value is masked out of the rule name template; the description
 * is text.
 */

/** Where the header fields sit in this shape (first existing path wins). */
export interface SentinelPaths {
  name: string[];
  ruleId: string[];
  severity: string[];
  tactics: string[];
  techniques: string[];
  status: string[];
  classification: string[];
  confidence: string[];
  product: string[];
  description: string[];
  entities: string;
  extended?: string;
}

/** "InitialAccess, Persistence" / ["CredentialAccess"] → `initial-access`, `credential-access`. */
function tacticIds(v: unknown): string[] {
  const list = Array.isArray(v) ? textList(v) : (text(v, 4096)?.split(',') ?? []);
  return list
    .map((t) => t.trim())
    .filter((t) => t !== '' && t.toLowerCase() !== 'unknown')
    .map((t) =>
      t
        .replace(/([a-z])([A-Z])/g, '$1-$2')
        .replace(/[\s_]+/g, '-')
        .toLowerCase(),
    );
}

const OS: Record<string, 'windows' | 'linux' | 'macos'> = {
  windows: 'windows',
  linux: 'linux',
  macos: 'macos',
};

function fullPath(file: Entity | undefined): string | undefined {
  const name = text(prop(file, 'Name', 'FileName'), 1024);
  const dir = text(prop(file, 'Directory'), 4096);
  if (name === undefined) return undefined;
  if (!dir) return name;
  // Trailing separators trimmed by hand: `/[\\/]+$/` backtracks quadratically on a long run of them.
  let end = dir.length;
  while (end > 0 && (dir[end - 1] === '\\' || dir[end - 1] === '/')) end--;
  return `${dir.slice(0, end)}\\${name}`;
}

export function sentinelSignals(root: JsonRecord, paths: SentinelPaths): AlertSignalsInput | undefined {
  const b = new SignalsBuilder();
  const first = (ps: string[]) => {
    const p = ps.find((x) => getPath(root, x) !== undefined && getPath(root, x) !== null);
    return p === undefined ? undefined : { p, v: getPath(root, p) };
  };
  const product = first(paths.product);
  b.meta('detection.vendor', text(product?.v, 128)?.toLowerCase() ?? 'sentinel', product?.p ?? 'Type');
  const name = first(paths.name);
  if (name) b.meta('detection.rule_name', name.v, name.p);
  const ruleId = first(paths.ruleId);
  if (ruleId) b.meta('detection.rule_id', ruleId.v, ruleId.p);
  const sev = first(paths.severity);
  if (sev && text(sev.v, 64) !== undefined) {
    b.meta('detection.level', { scale: 'vendor', value: text(sev.v, 64)! }, sev.p);
    b.meta('detection.severity', severityFromWord(sev.v), sev.p);
  }
  const tactics = first(paths.tactics);
  if (tactics) b.meta('detection.tactics', tacticIds(parseEmbeddedJson(tactics.v) ?? tactics.v), tactics.p);
  const techniques = first(paths.techniques);
  if (techniques)
    b.meta('detection.mitre', techniqueIds(parseEmbeddedJson(techniques.v), techniques.v), techniques.p);
  const status = first(paths.status);
  if (status) b.meta('source_verdict.status', status.v, status.p);
  const cls = first(paths.classification);
  if (cls) b.meta('source_verdict.classification', cls.v, cls.p);
  const conf = first(paths.confidence);
  if (conf) b.meta('source_verdict.confidence', confidenceOf(conf.v), conf.p);
  const description = first(paths.description);
  if (description) b.text(description.v, description.p);

  // ExtendedProperties first: they say which address attacked; an IP entity does not.
  if (paths.extended) {
    const ext = parseEmbeddedJson(getPath(root, paths.extended));
    if (isRecord(ext)) readExtended(ext, paths.extended, b);
  }
  readEntitySignals(getPath(root, paths.entities), paths.entities, b);
  return b.build();
}

function readEntitySignals(input: unknown, from: string, b: SignalsBuilder): void {
  const { entities, resolve } = entityList(input);
  const processes: Entity[] = [];
  for (const e of entities) {
    switch (typeOf(e)) {
      case 'account': {
        const n = text(prop(e, 'Name', 'AccountName'), 512);
        const domain = text(prop(e, 'NTDomain', 'UPNSuffix', 'DnsDomain'), 256);
        b.meta(
          'auth.user',
          n && domain && !n.includes('@') && !n.includes('\\') ? `${domain}\\${n}` : n,
          from,
        );
        break;
      }
      case 'host': {
        b.meta('host.name', prop(e, 'HostName', 'NetBiosName', 'FQDN'), from);
        const os = text(prop(e, 'OSFamily', 'OsFamily'), 64)?.toLowerCase();
        if (os) b.meta('host.os', OS[os] ?? 'other', from);
        break;
      }
      case 'ip':
        b.meta('network.src_ip', prop(e, 'Address'), from);
        break;
      case 'process':
        processes.push(e);
        break;
      case 'file':
        b.content('file.path', fullPath(e), from);
        b.hashes(
          'file.hashes',
          (Array.isArray(prop(e, 'FileHashes')) ? (prop(e, 'FileHashes') as unknown[]) : [])
            .map((h) => parseHash(prop(resolve(h), 'Value', 'HashValue')))
            .filter((h) => h !== undefined),
          'metadata',
          from,
        );
        break;
      case 'filehash':
        b.hashes('file.hashes', hashesIn(prop(e, 'Value', 'HashValue')), 'metadata', from);
        break;
      case 'url':
        b.content('network.url', prop(e, 'Url'), from);
        break;
      case 'dns':
        b.content('network.hostname', prop(e, 'DomainName'), from);
        break;
      case 'registry-key':
      case 'registrykey':
        b.content(
          'registry.key',
          [prop(e, 'Hive'), prop(e, 'Key')].filter((x) => x).join('\\') || undefined,
          from,
        );
        break;
      case 'registry-value':
      case 'registryvalue':
        b.content('registry.value_name', prop(e, 'Name'), from);
        b.content('registry.data', prop(e, 'Value'), from);
        break;
      case 'malware':
        b.meta('source_verdict.threat_name', prop(e, 'Name'), from);
        break;
    }
    b.maskValues(entityStrings(e));
  }
  const proc = pickProcess(processes);
  if (!proc) return;
  const parent = resolve(prop(proc, 'ParentProcess'));
  const grandparent = resolve(prop(parent, 'ParentProcess'));
  for (const [role, p] of [
    ['process', proc],
    ['parent', parent],
    ['grandparent', grandparent],
  ] as const) {
    if (!p) continue;
    const image = resolve(prop(p, 'ImageFile'));
    b.meta(`${role}.image`, fullPath(image), from);
    b.meta(`${role}.name`, prop(image, 'Name', 'FileName'), from);
    b.meta(`${role}.pid`, prop(p, 'ProcessId'), from);
    b.content(`${role}.command_line`, prop(p, 'CommandLine'), from);
    const account = resolve(prop(p, 'Account'));
    b.meta(`${role}.user`, prop(account, 'Name'), from);
    const hashes = (Array.isArray(prop(image, 'FileHashes')) ? (prop(image, 'FileHashes') as unknown[]) : [])
      .map((h) => parseHash(prop(resolve(h), 'Value', 'HashValue')))
      .filter((h) => h !== undefined);
    b.hashes(`${role}.hashes` as 'process.hashes', hashes, 'metadata', from);
    b.maskValues(entityStrings(image));
  }
}

/** An entity's own strings (names, paths, command lines), not its `$id` / `Type` bookkeeping. */
function entityStrings(e: Entity | undefined): string[] {
  const body = isRecord(own(e, 'properties')) ? (own(e, 'properties') as Entity) : (e ?? {});
  return Object.entries(body)
    .filter(([k, v]) => typeof v === 'string' && !/^(\$id|\$ref|type|kind)$/i.test(k))
    .map(([, v]) => v as string);
}

/** Defender for Cloud / MDE ExtendedProperties with fixed English names. */
function readExtended(ext: JsonRecord, from: string, b: SignalsBuilder): void {
  const at = (k: string) => `${from}.${k}`;
  const e = (k: string) => own(ext, k);
  b.meta('network.src_ip', e('Attacker IP') ?? e('Source IP') ?? e('Client IP Address'), at('Attacker IP'));
  b.meta('network.src_port', e('Attacker Port') ?? e('Source Port'), at('Attacker Port'));
  b.meta('network.dst_ip', e('Victim IP') ?? e('Destination IP'), at('Victim IP'));
  b.meta('network.dst_port', e('Victim Port') ?? e('Destination Port'), at('Victim Port'));
  b.meta('process.image', e('Suspicious Process'), at('Suspicious Process'));
  b.meta('process.pid', e('Suspicious Process Id'), at('Suspicious Process Id'));
  b.content('process.command_line', e('Suspicious Command Line'), at('Suspicious Command Line'));
  b.meta('parent.image', e('Parent Process'), at('Parent Process'));
  b.meta('auth.user', e('User Name') ?? e('Account'), at('User Name'));
  b.meta('host.name', e('Compromised Host'), at('Compromised Host'));
  b.meta('source_verdict.action', e('Action Taken') ?? e('ActionTaken'), at('Action Taken'));
  b.maskValues(Object.values(ext).filter((v) => typeof v === 'string'));
}
