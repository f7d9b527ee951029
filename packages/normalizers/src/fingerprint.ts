import { createHash } from 'node:crypto';
import type { NormalizedAlert } from '@triage/contracts';
import { boundedMemo, isRecord } from './fields.ts';

/** Anything shaped like a normalized alert; `raw` and `fingerprint` are ignored if present. */
export type FingerprintSource = Partial<Omit<NormalizedAlert, 'raw' | 'fingerprint'>>;

/**
 * Facts that change between two deliveries of the same detection, or that an analyst changes
 * later, and so must not split the verdict cache: ids, clocks, per-rule counters (Wazuh
 * `firedtimes`, an incident's alert count), workflow state (status, owner, classification). Judged
 * by the key's last word so `created_at`, `TimeGenerated`, `EventTimeStamp` and Log Analytics'
 * `created_at_t [UTC]` are all caught. Everything else in `facts` is something a rule may weigh
 * (failed_logins, success, rule_level, groups, disposition) and stays in.
 */
const VOLATILE_WORDS = new Set([
  'id',
  'ids',
  'uuid',
  'guid',
  'time',
  'times',
  'timestamp',
  'stamp',
  'ts',
  'date',
  'at',
  'on',
  'seen',
  'generated',
  'created',
  'modified',
  'updated',
  'published',
  'number',
  'firedtimes',
  'status',
  'state',
  'label',
  'owner',
  'comment',
  'reason',
]);

/**
 * Answers by fact key: every alert of a format has the same few dozen fact keys, and taking each
 * apart with four regexes was a sixth of fingerprinting.
 */
export const isVolatileFact: (key: string) => boolean = boundedMemo(volatileWords);

function volatileWords(key: string): boolean {
  const words = key
    .replace(/\s*\[utc\]\s*$/i, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
  // Log Analytics custom-log columns carry a type suffix: _s string, _d double, _t datetime…
  if (words.length > 1 && /^[sdtbg]$/.test(words[words.length - 1]!)) words.pop();
  const last = words[words.length - 1] ?? '';
  const before = words[words.length - 2] ?? '';
  if (VOLATILE_WORDS.has(last) || words[0] === 'classification') return true;
  return last === 'count' && /^(alert|event)s?$/.test(before);
}

const isScalar = (v: unknown): boolean => {
  const t = typeof v;
  return t === 'string' || t === 'number' || t === 'boolean';
};
const isScalarFact = (v: unknown): boolean => isScalar(v) || (Array.isArray(v) && v.every(isScalar));

/** JSON with keys sorted at every level, so `{a,b}` and `{b,a}` hash alike. Depth-bounded. */
function canonical(v: unknown, depth = 0): string | undefined {
  if (depth > 12) return undefined;
  if (v === null) return 'null';
  if (typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : undefined;
  if (Array.isArray(v)) {
    return `[${v.map((x) => canonical(x, depth + 1) ?? 'null').join(',')}]`;
  }
  if (isRecord(v)) {
    const parts: string[] = [];
    for (const k of Object.keys(v).sort()) {
      const c = canonical(v[k], depth + 1);
      if (c !== undefined) parts.push(`${JSON.stringify(k)}:${c}`);
    }
    return `{${parts.join(',')}}`;
  }
  return undefined;
}

function sortedSet(values: readonly string[] | undefined, lower = false): string[] | undefined {
  if (!values || values.length === 0) return undefined;
  return [...new Set(values.map((v) => (lower ? v.toLowerCase() : v)))].sort();
}

const clean = (s: string | undefined): string | undefined => s?.trim() || undefined;

/**
 * Stable sha256 (hex) of what makes two alerts "the same": rule, entities and observables, plus
 * the verdict-relevant facts: scalar (or scalar-list) facts that are not volatile. Nested fact
 * objects (Sentinel ExtendedProperties, OCSF resources) are supporting detail full of counters and
 * clocks; a normalizer that needs one in the identity also states it as a scalar fact. Ids, timestamps, source ports (ephemeral), severity wording and the
 * raw payload are left out, so a re-delivery with new ids and times hits the verdict cache while a
 * different user or IP does not. Host names and domains compare case-insensitively (DNS and
 * NetBIOS are); user names do not (Linux accounts are case-sensitive).
 */
export function fingerprint(alert: FingerprintSource): string {
  const facts: Record<string, unknown> = {};
  if (isRecord(alert.facts)) {
    for (const [k, v] of Object.entries(alert.facts)) if (!isVolatileFact(k) && isScalarFact(v)) facts[k] = v;
  }
  // canonical() of the identity object, written out: its keys are fixed, so they are taken in
  // sorted order as literals instead of sorting and quoting them per alert. Byte for byte what
  // canonical(identity) gives (fingerprint.test.ts checks it against that definition), so fingerprints stored
  // by earlier versions (verdict cache, source-id claims) still match.
  const parts: string[] = [];
  const put = (key: string, c: string | undefined) => {
    if (c !== undefined) parts.push(`"${key}":${c}`);
  };
  const str = (v: string | undefined) => (v === undefined ? undefined : JSON.stringify(v));
  const list = (v: string[] | undefined) => (v === undefined ? undefined : canonical(v, 1));
  put('command_line', str(clean(alert.process?.command_line)));
  put('domains', list(sortedSet(alert.domains, true)));
  put('dst_ip', str(clean(alert.dst_ip)?.toLowerCase()));
  put('dst_port', alert.dst_port === undefined ? undefined : canonical(alert.dst_port, 1));
  put('facts', canonical(facts, 1));
  put(
    'hashes',
    list(
      sortedSet(
        alert.hashes?.map((h) => `${h.algorithm}:${h.value}`),
        true,
      ),
    ),
  );
  put('host', str(clean(alert.host)?.toLowerCase()));
  put('name', str(clean(alert.name)));
  put('rule_id', str(clean(alert.rule_id)));
  put('src_ip', str(clean(alert.src_ip)?.toLowerCase()));
  put('urls', list(sortedSet(alert.urls)));
  put('user', str(clean(alert.user)));
  return createHash('sha256')
    .update(`{${parts.join(',')}}`)
    .digest('hex');
}
