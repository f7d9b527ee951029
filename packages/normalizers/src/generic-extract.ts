import type { FileHash } from '@triage/contracts';
import type { AlertDraft } from './draft.ts';
import { entity, isRecord, MAX_ARRAY_ITEMS, parseTime, text, toInt } from './fields.ts';
import { domainsIn, hashesIn, parseIp, parsePort, techniqueIds, urlDomain, urlsIn } from './observables.ts';
import { confidenceOf, severityFromWord, severityGuess } from './severity.ts';

/**
 * Field extraction by key name for JSON nobody documented: a bounded breadth-first walk indexes
 * every key (lower-cased, punctuation removed, so `srcIp`, `src_ip` and `SRC-IP` are one key) and
 * also the parent+key pair (`source.ip` → `sourceip`). Each field then takes the first candidate
 * name that holds a valid value, shallowest first. Bounded in depth and node count so a hostile
 * document costs at most a few thousand visits.
 */

const MAX_DEPTH = 4;
const MAX_ENTRIES = 4000;

interface Entry {
  value: unknown;
  depth: number;
  /** Breadth-first visit order: shallower first, then document order. */
  seq: number;
  /** The top-level key this value hangs under (to know which top-level keys were consumed). */
  top: string;
  /** Normalized key of the enclosing object ("" at the top). */
  parent: string;
  /** Dotted path of the value in the document (array items by index). */
  path: string;
}

type Index = Map<string, Entry[]>;

export const norm = (k: string): string => k.toLowerCase().replace(/[^a-z0-9]/g, '');

function buildIndex(root: Record<string, unknown>): { byKey: Index; byPair: Index } {
  const byKey: Index = new Map();
  const byPair: Index = new Map();
  const add = (index: Index, k: string, e: Entry): void => {
    const list = index.get(k);
    if (list) list.push(e);
    else index.set(k, [e]);
  };
  const queue: Array<{
    node: Record<string, unknown>;
    depth: number;
    parent: string;
    path: string;
    top?: string;
  }> = [{ node: root, depth: 0, parent: '', path: '' }];
  let count = 0;
  for (let qi = 0; qi < queue.length && count < MAX_ENTRIES; qi++) {
    const { node, depth, parent, path, top } = queue[qi]!;
    // Sorted: which of two equally good keys wins must not depend on the sender's key order.
    for (const key of Object.keys(node).sort()) {
      if (++count > MAX_ENTRIES) break;
      const value = node[key];
      const nk = norm(key);
      const at = path === '' ? key : `${path}.${key}`;
      const entry: Entry = { value, depth, seq: count, top: top ?? key, parent, path: at };
      add(byKey, nk, entry);
      if (parent) add(byPair, parent + nk, entry);
      if (depth + 1 > MAX_DEPTH) continue;
      const children = Array.isArray(value) ? value.slice(0, 50) : [value];
      children.forEach((child, i) => {
        const childPath = Array.isArray(value) ? `${at}.${i}` : at;
        if (isRecord(child))
          queue.push({ node: child, depth: depth + 1, parent: nk, path: childPath, top: top ?? key });
      });
    }
  }
  return { byKey, byPair };
}

interface Candidate {
  key: string;
  /** Only accept the plain key at the top level ("name" deeper down is a host's or file's name). */
  topOnly?: boolean;
}

const c = (keys: string, topOnly = false): Candidate[] => keys.split(' ').map((key) => ({ key, topOnly }));

const NAME = [
  ...c('title name alertname alertdisplayname displayname', true),
  ...c(
    'alertname rulename ruletitle detectionname threatname threattitle policyname signaturename alerttitle',
  ),
  ...c('findingtitle incidenttitle signature eventname'),
  ...c(
    'alerttype threattype shortdoc summary displaymessage message description msg doc alert category',
    true,
  ),
];
const SRC_IP = [
  ...c(
    'srcip sourceip sourceipaddress srcipaddr sourceaddress srcaddr clientip clientipaddress clientaddress',
  ),
  ...c(
    'remoteip remoteipaddress remoteaddress remoteaddr attackerip callerip calleripaddress actorip originip',
  ),
  ...c('ipaddress ipaddressv4 externalip publicip'),
  ...c('ip src source client', true),
];
const DST_IP = c(
  'dstip destip destinationip destinationipaddress destinationaddress dstaddr destaddr serverip targetip victimip dest destination dst desthost',
);
const SRC_PORT = c('srcport sourceport clientport sport remoteport');
const DST_PORT = c('dstport destport destinationport serverport dport targetport');
const USER = [
  ...c(
    'username user userprincipalname upn accountname samaccountname targetusername subjectusername srcuser sourceuser',
  ),
  ...c(
    'sourceusername dstuser destinationusername actorusername principalname useremail email account login',
  ),
];
const HOST = c(
  'hostname host computername computer devicename dvchost dvc machinename machine workstation nodename destinationhostname dsthost desthost',
);
const SEVERITY_WORDS = c(
  'severity severitylabel severityname alertseverity threatseverity policyseverity logseverity eventseverity severitylevel urgency priority level risklevel criticality',
);
const SEVERITY_NUMBERS = c('severity severityscore alertseverity eventseverity severitylevel riskscore');
const DESCRIPTION = c(
  'ruledescription policydescription threatdescription description desc details summary message msg fulllog reason doc',
);
const FIRST_SEEN = c(
  'firstseen firstseentime starttime starttimeutc firstactivitytime timestamp time eventtime createdat created datetime date timegenerated detectedat alerttime occurredat',
);
const LAST_SEEN = c('lastseen lastseentime endtime endtimeutc lastactivitytime');
const CONFIDENCE = c('confidence confidencescore confidencelevel');
/** Suffixes for vendor keys that embed a path (ASFF ProductFields ".../remoteIpDetails/ipAddressV4"). */
const SRC_IP_SUFFIXES = [
  'sourceipaddress',
  'sourceip',
  'srcip',
  'clientip',
  'remoteip',
  'ipaddressv4',
  'ipaddress',
];
const SOURCE_ID = c('alertid eventid findingid incidentid detectionid systemalertid uuid guid id', true);
const RULE_ID = c('ruleid signatureid sigid policyid analyticid');
const COMMAND = c('commandline cmdline processcommandline command cmd');
const PROCESS = c('processname image newprocessname process exe executable');
const PARENT = c('parentprocessname parentimage parentprocess');
const PARENT_COMMAND = c('parentcommandline parentcmdline');
const PID = c('pid processid');
const URL_KEYS = ['url', 'urls', 'uri', 'requesturl', 'fullurl', 'link', 'links', 'referer', 'referrer'];
const DOMAIN_KEYS = [
  'domain',
  'domains',
  'domainname',
  'fqdn',
  'dnsdomain',
  'query',
  'queryname',
  'rrname',
  'sni',
];

/**
 * File hash keys (md5, sha256, file_hash, hashes, process.hash…). Hex of hash length also appears
 * as event ids (Splunk `event_hash`), JA3/HASSH TLS fingerprints and debug tokens: looking those up
 * as files would waste threat-intel quota, so only file-ish names count.
 */
const HASH_KEY =
  /^((file|process|parent|image|sample|malware|object|attachment)?(md5|sha1|sha256|hash|hashes)|hash(md5|sha1|sha256)|(md5|sha1|sha256)(after|before|hash)?)$/;
const NOT_FILE_HASH = /ja3|hassh|session|event|transaction|debug|tls|ssh/;

/** Where a generic field was found: its path and whether it sat at the top of the document. */
export interface FoundAt {
  path: string;
  depth: number;
  /** The normalized key it was read under (`title`, `message`, `commandline`). */
  key: string;
}

export type GenericField =
  | 'name'
  | 'rule_id'
  | 'severity'
  | 'src_ip'
  | 'dst_ip'
  | 'src_port'
  | 'dst_port'
  | 'user'
  | 'host'
  | 'description'
  | 'command_line'
  | 'process'
  | 'parent'
  | 'parent_command_line'
  | 'pid';

export interface GenericResult extends AlertDraft {
  /** Top-level keys a field was read from; the rest can become facts. */
  used: Set<string>;
  /** Where each field's value was found, for its provenance. */
  found: Partial<Record<GenericField, FoundAt>>;
}

/** Generic extraction over one object. Never throws. */
export function extractGeneric(root: Record<string, unknown>): GenericResult {
  const { byKey, byPair } = buildIndex(root);
  const used = new Set<string>();
  const found: GenericResult['found'] = {};

  const pick = <T>(
    cands: Candidate[],
    read: (v: unknown) => T | undefined,
    field?: GenericField,
  ): T | undefined => {
    for (const cand of cands) {
      const entries = cand.topOnly
        ? (byKey.get(cand.key) ?? []).filter((e) => e.depth === 0)
        : [...(byKey.get(cand.key) ?? []), ...(byPair.get(cand.key) ?? [])].sort((a, b) => a.seq - b.seq);
      for (const e of entries) {
        const v = read(e.value);
        if (v !== undefined) {
          used.add(e.top);
          if (field) found[field] = { path: e.path, depth: e.depth, key: cand.key };
          return v;
        }
      }
    }
    return undefined;
  };
  const all = (keys: string[], read: (...v: unknown[]) => string[]): string[] => {
    const out: string[] = [];
    for (const k of keys) {
      for (const e of byKey.get(k) ?? []) {
        const found = read(e.value);
        if (found.length > 0) used.add(e.top);
        out.push(...found);
      }
    }
    return out;
  };

  const hostOrIp = (v: unknown): string | undefined => (parseIp(v) ? undefined : entity(v));
  const urls = all(URL_KEYS, urlsIn);
  const hashes: FileHash[] = [];
  const mitre: string[] = [];
  for (const [k, entries] of byKey) {
    const isHash = HASH_KEY.test(k);
    const isMitre = /mitre|technique|attack/.test(k);
    if (!isHash && !isMitre) continue;
    for (const e of entries.slice(0, MAX_ARRAY_ITEMS)) {
      if (isHash && !NOT_FILE_HASH.test(e.parent)) hashes.push(...hashesIn(e.value));
      if (isMitre) mitre.push(...techniqueIds(e.value));
    }
  }

  return {
    used,
    found,
    name: pick(NAME, (v) => text(v, 4096), 'name'),
    source_id: pick(SOURCE_ID, (v) => text(v, 1024)),
    rule_id: pick(RULE_ID, (v) => text(v, 1024), 'rule_id'),
    severity:
      pick(SEVERITY_WORDS, severityFromWord, 'severity') ?? pick(SEVERITY_NUMBERS, severityGuess, 'severity'),
    src_ip:
      pick(SRC_IP, parseIp, 'src_ip') ??
      bySuffix(byKey, SRC_IP_SUFFIXES, /dest|dst|target|local|server/, parseIp, used),
    source_confidence: pick(CONFIDENCE, confidenceOf),
    dst_ip: pick(DST_IP, parseIp, 'dst_ip'),
    src_port: pick(SRC_PORT, parsePort, 'src_port'),
    dst_port: pick(DST_PORT, parsePort, 'dst_port'),
    user: pick(USER, entity, 'user'),
    host: pick(HOST, hostOrIp, 'host'),
    description: pick(DESCRIPTION, (v) => text(v), 'description'),
    first_seen: pick(FIRST_SEEN, parseTime),
    last_seen: pick(LAST_SEEN, parseTime),
    process: {
      command_line: pick(COMMAND, (v) => text(v), 'command_line'),
      name: pick(PROCESS, (v) => text(v, 1024), 'process'),
      parent_name: pick(PARENT, (v) => text(v, 1024), 'parent'),
      parent_command_line: pick(PARENT_COMMAND, (v) => text(v), 'parent_command_line'),
      pid: pick(PID, toInt, 'pid'),
    },
    hashes,
    urls,
    domains: [
      ...all(DOMAIN_KEYS, domainsIn),
      ...urls.map(urlDomain).filter((d): d is string => d !== undefined),
    ],
    mitre,
  };
}

/** Last resort: a key ending in one of the suffixes (and not naming the other side) with a valid value. */
function bySuffix<T>(
  byKey: Index,
  suffixes: string[],
  exclude: RegExp,
  read: (v: unknown) => T | undefined,
  used: Set<string>,
): T | undefined {
  for (const suffix of suffixes) {
    for (const [k, entries] of byKey) {
      if (!k.endsWith(suffix) || exclude.test(k)) continue;
      for (const e of entries) {
        const v = read(e.value);
        if (v !== undefined) {
          used.add(e.top);
          return v;
        }
      }
    }
  }
  return undefined;
}

/** Label-like keys: a ground-truth or analyst label fed to the classifier as evidence would be a leak. */
const LABEL_KEY = /label|expected|groundtruth|verdict/;

/**
 * Top-level scalars (and scalar lists) no field consumed, as facts: the rules engine may know
 * them even if this extractor does not. Bounded to 40 keys.
 */
export function leftoverFacts(root: Record<string, unknown>, used: Set<string>): Record<string, unknown> {
  const facts: Record<string, unknown> = {};
  let n = 0;
  for (const [k, v] of Object.entries(root).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (n >= 40) break;
    if (used.has(k) || k === '__proto__' || LABEL_KEY.test(norm(k))) continue;
    const scalar = (x: unknown): boolean =>
      (typeof x === 'string' && x.trim() !== '') ||
      typeof x === 'boolean' ||
      (typeof x === 'number' && Number.isFinite(x));
    if (scalar(v) || (Array.isArray(v) && v.length > 0 && v.every(scalar))) {
      facts[k] = v;
      n++;
    }
  }
  return facts;
}
