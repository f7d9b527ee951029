/**
 * Safe readers for untrusted JSON. Every SIEM payload is hostile until proven otherwise: keys like
 * `__proto__` or `constructor`, values of the wrong type, strings of megabytes, numbers as strings.
 * Nothing here throws; a value that cannot be read is `undefined`.
 */

/** Strings over 64 KiB are truncated so one field cannot blow up a job payload. */
export const MAX_STRING_BYTES = 64 * 1024;

/** Arrays are read up to this many elements; alerts with 10k entities are cut, not rejected. */
export const MAX_ARRAY_ITEMS = 200;

/** Strings that mean "no value" in SIEM exports (CSV nulls, CEF dashes, Windows "-"). */
const PLACEHOLDERS = new Set([
  '',
  '-',
  '--',
  'n/a',
  'na',
  'null',
  'none',
  'nil',
  'unknown',
  'undefined',
  '?',
]);

export type JsonRecord = Record<string, unknown>;

/** A plain object: `{}` or `Object.create(null)`, never an array, Date, Map or class instance. */
export function isRecord(v: unknown): v is JsonRecord {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Own property only: `obj.constructor` on `{}` must not answer `Object`. */
export function own(obj: unknown, key: string): unknown {
  return isRecord(obj) && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/**
 * Reads `a.b.c` whether the document is nested (`{a:{b:{c}}}`), flattened (`{"a.b.c": …}`, as
 * Kibana alert documents are) or a mix of both (`{"a.b": {c}}`). Longest dotted key wins. A numeric
 * segment indexes an array.
 */
export function getPath(root: unknown, path: string): unknown {
  return lookup(root, segments(path), 0);
}

/**
 * `fn` remembered by its string argument, for the few hundred keys (paths, field names) every alert
 * repeats. Keys can come from payloads, so it is bounded twice: a key longer than `maxKeyChars` is
 * never kept (a sender's 100 KB field names would otherwise stay in memory for good), and a full
 * table is emptied rather than frozen (a spray of junk keys would otherwise lock the real ones out
 * for the life of the process). `fn` must be pure: an answer never depends on when it was cached.
 */
export function boundedMemo<T>(
  fn: (key: string) => T,
  maxEntries = 4096,
  maxKeyChars = 128,
): (key: string) => T {
  const memo = new Map<string, T>();
  return (key) => {
    let v = memo.get(key);
    if (v === undefined) {
      v = fn(key);
      if (key.length <= maxKeyChars) {
        if (memo.size >= maxEntries) memo.clear();
        memo.set(key, v);
      }
    }
    return v;
  };
}

/**
 * Split paths, by path. The normalizers read the same few hundred literal paths for every alert;
 * splitting them anew was the largest single cost of reading a Wazuh alert.
 */
const segments = boundedMemo((path) => path.split('.'));

/**
 * Objects known to have, or not to have, a dotted key. Reading a path tries every longer dotted key
 * first (`a.b.c`, `a.b`, then `a`), which is a string join per try; most objects have no dotted key
 * at all, and knowing that (once per object) leaves one property test per level. The answers hold
 * for one normalization (`freshReads()` starts each: a document is only read meanwhile), so a
 * caller changing an object between two normalizations is never answered from a stale entry.
 */
let dottedKeys = new WeakMap<JsonRecord, boolean>();

/** Forgets what is known about objects' keys (called as each normalization starts). */
export function freshReads(): void {
  dottedKeys = new WeakMap();
}

function hasDottedKey(node: JsonRecord): boolean {
  let has = dottedKeys.get(node);
  if (has === undefined) {
    has = false;
    for (const k of Object.keys(node)) {
      if (k.includes('.')) {
        has = true;
        break;
      }
    }
    dottedKeys.set(node, has);
  }
  return has;
}

function lookup(node: unknown, segs: string[], from: number): unknown {
  if (from === segs.length) return node;
  if (Array.isArray(node)) {
    const i = Number(segs[from]);
    return Number.isInteger(i) && i >= 0 && i < node.length ? lookup(node[i], segs, from + 1) : undefined;
  }
  if (!isRecord(node)) return undefined;
  if (!hasDottedKey(node)) {
    const key = segs[from]!;
    return Object.hasOwn(node, key) ? lookup(node[key], segs, from + 1) : undefined;
  }
  for (let end = segs.length; end > from; end--) {
    const key = segs.slice(from, end).join('.');
    if (Object.hasOwn(node, key)) {
      const found = lookup(node[key], segs, end);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * Every value at `path`, descending into arrays on the way (`evidences.src_endpoint.ip` reads the
 * ip of each evidence). Bounded by MAX_ARRAY_ITEMS per array.
 */
export function getAll(root: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  collect(root, segments(path), 0, out);
  return out;
}

function collect(node: unknown, segs: string[], from: number, out: unknown[]): void {
  if (out.length >= MAX_ARRAY_ITEMS) return;
  if (Array.isArray(node)) {
    for (const item of node.slice(0, MAX_ARRAY_ITEMS)) collect(item, segs, from, out);
    return;
  }
  if (from === segs.length) {
    if (node !== undefined && node !== null) out.push(node);
    return;
  }
  if (!isRecord(node)) return;
  if (!hasDottedKey(node)) {
    const key = segs[from]!;
    if (Object.hasOwn(node, key)) collect(node[key], segs, from + 1, out);
    return;
  }
  for (let end = segs.length; end > from; end--) {
    const key = segs.slice(from, end).join('.');
    if (Object.hasOwn(node, key)) collect(node[key], segs, end, out);
  }
}

/** Truncates to MAX_STRING_BYTES of UTF-8 without leaving half a character behind. */
export function capString(s: string, maxBytes = MAX_STRING_BYTES): string {
  if (s.length * 3 <= maxBytes || Buffer.byteLength(s, 'utf8') <= maxBytes) return s;
  return Buffer.from(s, 'utf8')
    .subarray(0, maxBytes)
    .toString('utf8')
    .replace(/\uFFFD+$/u, '');
}

/** A non-empty trimmed string (numbers are accepted: CSV and Splunk send ids as either). */
export function text(v: unknown, maxBytes = MAX_STRING_BYTES): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' ? undefined : capString(t, maxBytes);
}

/** Like `text`, but placeholder values ("-", "N/A", "unknown") count as absent: they name no entity. */
export function entity(v: unknown): string | undefined {
  const t = text(v, 1024);
  return t === undefined || PLACEHOLDERS.has(t.toLowerCase()) ? undefined : t;
}

/** First readable string among several paths, in order of preference. */
export function firstText(root: unknown, ...paths: string[]): string | undefined {
  for (const p of paths) {
    const t = text(getPath(root, p));
    if (t !== undefined) return t;
  }
  return undefined;
}

/** First entity-like string (user, host) among several paths. */
export function firstEntity(root: unknown, ...paths: string[]): string | undefined {
  for (const p of paths) {
    const t = entity(getPath(root, p));
    if (t !== undefined) return t;
  }
  return undefined;
}

/** First defined value among several paths (any type). */
export function firstValue(root: unknown, ...paths: string[]): unknown {
  for (const p of paths) {
    const v = getPath(root, p);
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

/** Finite number from a number or a numeric string ("42", "0x1f" for Windows pids, "4.7"). */
export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  if (/^0x[0-9a-f]{1,12}$/i.test(t)) return Number.parseInt(t.slice(2), 16);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

export function toInt(v: unknown): number | undefined {
  const n = toNumber(v);
  return n !== undefined && Number.isSafeInteger(n) ? n : undefined;
}

/** Booleans as the original service and CSV exports send them: true, "true", "True", "1", "yes". */
export function toBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : undefined;
  if (typeof v !== 'string') return undefined;
  const t = v.trim().toLowerCase();
  if (t === 'true' || t === '1' || t === 'yes') return true;
  if (t === 'false' || t === '0' || t === 'no') return false;
  return undefined;
}

/** Strings as an array: a scalar becomes one element, arrays keep their readable strings. */
export function textList(v: unknown, maxBytes = 1024): string[] {
  const items = Array.isArray(v) ? v.slice(0, MAX_ARRAY_ITEMS) : [v];
  const out: string[] = [];
  for (const item of items) {
    const t = text(item, maxBytes);
    if (t !== undefined) out.push(t);
  }
  return out;
}

/**
 * Sentinel (Entities, ExtendedProperties), Splunk (extract_artifacts) and others ship JSON inside
 * strings. Parsed only when it looks like JSON and is not absurdly large.
 */
export function parseEmbeddedJson(v: unknown, maxLength = 4 * 1024 * 1024): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (t.length > maxLength || !(t.startsWith('{') || t.startsWith('['))) return undefined;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return undefined;
  }
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;
/** 1990 … 2200: anything outside is a relative time or a unit mix-up, not a wall-clock instant. */
const MIN_TIME = Date.UTC(1990, 0, 1);
const MAX_TIME = Date.UTC(2200, 0, 1);

/**
 * ISO-8601 (with or without zone; zone-less means UTC, as Log Analytics CSV exports are) or epoch
 * seconds / milliseconds. Locale formats ("11/16/2020, 8:40 PM") are refused: their meaning depends
 * on the exporter's locale, and a wrong time is worse than none.
 */
export function parseTime(v: unknown): string | undefined {
  let ms: number | undefined;
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
  if (Number.isFinite(n)) {
    ms = n >= 1e11 ? n : n >= 1e9 ? n * 1000 : undefined;
  } else if (typeof v === 'string') {
    const t = v.trim();
    if (!ISO_DATE.test(t)) return undefined;
    const iso = t.replace(' ', 'T');
    ms = Date.parse(HAS_ZONE.test(iso) || iso.length <= 10 ? iso : `${iso}Z`);
  }
  if (ms === undefined || !Number.isFinite(ms) || ms < MIN_TIME || ms > MAX_TIME) return undefined;
  return new Date(ms).toISOString();
}

/** First parseable time among several paths. */
export function firstTime(root: unknown, ...paths: string[]): string | undefined {
  for (const p of paths) {
    const t = parseTime(getPath(root, p));
    if (t !== undefined) return t;
  }
  return undefined;
}

/** Drops undefined, null, empty strings and empty arrays; what stays is worth a fact. */
export function compact(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (v === undefined || v === null || v === '' || k === '__proto__') continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out;
}

/**
 * A JSON-safe, bounded copy of an arbitrary value for `facts`: depth and breadth limited, strings
 * capped, non-JSON values dropped. Keeps the rules engine from walking an attacker's 10 MB object.
 */
export function sanitize(v: unknown, depth = 3, maxBytes = 4096): unknown {
  if (typeof v === 'string') return capString(v, maxBytes);
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'boolean') return v;
  if (depth <= 0) return undefined;
  if (Array.isArray(v)) {
    return v
      .slice(0, 50)
      .map((x) => sanitize(x, depth - 1, maxBytes))
      .filter((x) => x !== undefined);
  }
  if (isRecord(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).slice(0, 50)) {
      if (k === '__proto__') continue;
      const s = sanitize(v[k], depth - 1, maxBytes);
      if (s !== undefined) out[k] = s;
    }
    return out;
  }
  return undefined;
}
