import type { FileHash, ProcessInfo } from '@triage/contracts';
import { entity, isRecord, MAX_ARRAY_ITEMS, own, parseEmbeddedJson, text, toInt } from './fields.ts';
import { domainsIn, hashesIn, parseHash, parseIp, urlsIn } from './observables.ts';

/**
 * Microsoft Sentinel entities, in both shapes Microsoft ships:
 * - SecurityAlert table `Entities`: a JSON string of `{ "$id", "Type": "account", "Name", … }` where
 *   later entities point at earlier ones with `{ "$ref": "4" }` (Json.NET reference handling);
 * - REST / automation `relatedEntities`: `{ "kind": "Account", "properties": { "accountName", … } }`.
 * Property names differ only in case (Address / address), so lookups ignore the first letter's case.
 */

export interface SentinelEntities {
  users: string[];
  hosts: string[];
  ips: string[];
  process?: Partial<ProcessInfo>;
  hashes: FileHash[];
  urls: string[];
  domains: string[];
}

export type Entity = Record<string, unknown>;

/** Entity property by name, tolerant of PascalCase (table) vs camelCase (REST) and `properties`. */
export function prop(e: unknown, ...names: string[]): unknown {
  const body = isRecord(own(e, 'properties')) ? own(e, 'properties') : e;
  for (const n of names) {
    for (const k of [n, n.charAt(0).toLowerCase() + n.slice(1), n.charAt(0).toUpperCase() + n.slice(1)]) {
      const v = own(body, k);
      if (v !== undefined && v !== null) return v;
    }
  }
  return undefined;
}

export function typeOf(e: unknown): string | undefined {
  return text(own(e, 'Type') ?? own(e, 'type') ?? own(e, 'kind'), 64)?.toLowerCase();
}

/** Every object carrying `$id`, found anywhere in the tree (inline definitions included). */
function indexIds(root: unknown): Map<string, Entity> {
  const ids = new Map<string, Entity>();
  const stack: Array<{ v: unknown; depth: number }> = [{ v: root, depth: 0 }];
  let visits = 0;
  while (stack.length > 0 && visits++ < 5000) {
    const { v, depth } = stack.pop()!;
    if (depth > 8) continue;
    if (Array.isArray(v)) {
      for (const x of v.slice(0, MAX_ARRAY_ITEMS)) stack.push({ v: x, depth: depth + 1 });
    } else if (isRecord(v)) {
      const id = text(own(v, '$id'), 64);
      if (id !== undefined && !ids.has(id)) ids.set(id, v);
      for (const x of Object.values(v)) if (typeof x === 'object') stack.push({ v: x, depth: depth + 1 });
    }
  }
  return ids;
}

/** Entities with `$ref`s resolved: the top-level list plus any defined inline elsewhere. */
export function entityList(input: unknown): {
  entities: Entity[];
  resolve: (v: unknown) => Entity | undefined;
} {
  const parsed = parseEmbeddedJson(input);
  if (!Array.isArray(parsed)) return { entities: [], resolve: () => undefined };
  const ids = indexIds(parsed);
  const resolve = (v: unknown): Entity | undefined => {
    const ref = text(own(v, '$ref'), 64);
    if (ref !== undefined) return ids.get(ref);
    return isRecord(v) ? v : undefined;
  };
  // Top-level entities plus any defined inline elsewhere (a process's ImageFile, say).
  const entities = [...new Set([...parsed.slice(0, MAX_ARRAY_ITEMS).map(resolve), ...ids.values()])].filter(
    (e): e is Entity => e !== undefined && typeOf(e) !== undefined,
  );
  return { entities, resolve };
}

/** Reads Sentinel entities from an array or a JSON string of one; junk yields empty lists. */
export function readEntities(input: unknown): SentinelEntities {
  const out: SentinelEntities = { users: [], hosts: [], ips: [], hashes: [], urls: [], domains: [] };
  const { entities, resolve } = entityList(input);

  const processes: Entity[] = [];
  for (const e of entities) {
    switch (typeOf(e)) {
      case 'account': {
        const name = entity(prop(e, 'Name', 'AccountName', 'FriendlyName'));
        const upn = entity(prop(e, 'UPNSuffix', 'UpnSuffix'));
        if (name !== undefined) out.users.push(upn && !name.includes('@') ? `${name}@${upn}` : name);
        break;
      }
      case 'host': {
        const name = entity(prop(e, 'HostName', 'NetBiosName', 'FQDN', 'FriendlyName'));
        if (name !== undefined) out.hosts.push(name);
        break;
      }
      case 'ip': {
        const ip = parseIp(prop(e, 'Address'));
        if (ip !== undefined) out.ips.push(ip);
        break;
      }
      case 'process':
        processes.push(e);
        break;
      case 'file':
        for (const h of asArray(prop(e, 'FileHashes'))) {
          const hv = resolve(h);
          const parsed = parseHash(prop(hv, 'Value', 'HashValue'));
          if (parsed) out.hashes.push(parsed);
        }
        break;
      case 'filehash': {
        const h = parseHash(prop(e, 'Value', 'HashValue'));
        if (h) out.hashes.push(h);
        break;
      }
      case 'url':
        out.urls.push(...urlsIn(prop(e, 'Url')));
        break;
      case 'dns':
      case 'dnsresolution':
        out.domains.push(...domainsIn(prop(e, 'DomainName')));
        break;
      case 'malware':
        out.hashes.push(...hashesIn(prop(e, 'Hashes')));
        break;
    }
  }
  const proc = pickProcess(processes);
  if (proc) {
    const image = resolve(prop(proc, 'ImageFile'));
    const parent = resolve(prop(proc, 'ParentProcess'));
    const parentImage = resolve(prop(parent, 'ImageFile'));
    out.process = {
      name: text(prop(image, 'Name', 'FileName'), 1024),
      pid: toInt(prop(proc, 'ProcessId')),
      command_line: text(prop(proc, 'CommandLine')),
      parent_name: text(prop(parentImage, 'Name', 'FileName'), 1024),
      parent_command_line: text(prop(parent, 'CommandLine')),
    };
  }
  return out;
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v.slice(0, MAX_ARRAY_ITEMS) : [];
}

/**
 * The process the alert is about: one with a command line and a parent (the child of a chain)
 * beats one with only a command line, which beats any other.
 */
export function pickProcess(processes: Entity[]): Entity | undefined {
  const hasCmd = (p: Entity): boolean => text(prop(p, 'CommandLine')) !== undefined;
  return (
    processes.find((p) => hasCmd(p) && prop(p, 'ParentProcess') !== undefined) ??
    processes.find(hasCmd) ??
    processes[0]
  );
}
