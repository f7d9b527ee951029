import type {
  AlertFormat,
  AlertSignalsInput,
  FileHash,
  NormalizedAlert,
  ProcessInfo,
  Severity,
} from '@triage/contracts';
import { capString, compact, isRecord, sanitize } from './fields.ts';
import { fingerprint } from './fingerprint.ts';
import { mergeSignals } from './signals.ts';

/**
 * What a format normalizer reads off a payload. Everything is optional: `finalize` supplies the
 * defaults the contract requires (severity, name) and marks them as inferred.
 */
export interface AlertDraft {
  source_id?: string | undefined;
  name?: string | undefined;
  rule_id?: string | undefined;
  severity?: Severity | undefined;
  source_confidence?: number | undefined;
  first_seen?: string | undefined;
  last_seen?: string | undefined;
  src_ip?: string | undefined;
  src_port?: number | undefined;
  dst_ip?: string | undefined;
  dst_port?: number | undefined;
  user?: string | undefined;
  host?: string | undefined;
  process?: Partial<ProcessInfo> | undefined;
  hashes?: FileHash[] | undefined;
  urls?: string[] | undefined;
  domains?: string[] | undefined;
  mitre?: string[] | undefined;
  description?: string | undefined;
  facts?: Record<string, unknown> | undefined;
  /** Typed signals with provenance (signals.ts builds them). */
  signals?: AlertSignalsInput | undefined;
}

/** Reads one alert; `undefined` means "this payload is not something I can read". */
export type Normalizer = (doc: Record<string, unknown>, ctx: NormalizeContext) => AlertDraft | undefined;

export interface NormalizeContext {
  /**
   * Normalizes a payload embedded in another (Elastic's `event.original` holding a Sentinel alert).
   * Depth-limited by the caller so a payload cannot recurse forever.
   */
  embedded(doc: unknown): AlertDraft | undefined;
  /**
   * Build typed signals (true unless the caller asked for the identity only: `normalize(…, {
   * signals: false })`). A normalizer whose other fields do not depend on its signals skips them
   * when false; one that reads its fields out of its signals (Windows, Hayabusa) builds them anyway.
   */
  signals: boolean;
}

/**
 * Takes fields from `fallback` only where `primary` has none; facts and signals are merged the
 * same way. `embedded`: the fallback was parsed out of a string of the primary (Elastic
 * `event.original`), so its signals count as content whatever their origin in that payload.
 */
export function fillFrom(
  primary: AlertDraft,
  fallback: AlertDraft | undefined,
  embedded = false,
): AlertDraft {
  if (!fallback) return primary;
  const out: Record<string, unknown> = { ...fallback };
  for (const [k, v] of Object.entries(primary)) {
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) out[k] = v;
  }
  if (primary.facts || fallback.facts) out.facts = { ...fallback.facts, ...primary.facts };
  if (primary.signals || fallback.signals)
    out.signals = mergeSignals(primary.signals, fallback.signals, embedded);
  if (primary.process || fallback.process)
    out.process = { ...fallback.process, ...compact(primary.process ?? {}) };
  return out as AlertDraft;
}

function uniq<T>(items: readonly T[] | undefined, key: (t: T) => string = String): T[] | undefined {
  if (!items || items.length === 0) return undefined;
  const seen = new Set<string>();
  const out: T[] = [];
  for (const item of items) {
    const k = key(item);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(item);
    }
  }
  return out;
}

function processOf(p: Partial<ProcessInfo> | undefined): ProcessInfo | undefined {
  if (!p) return undefined;
  const out = compact({
    name: p.name === undefined ? undefined : capString(p.name, 1024),
    pid: p.pid !== undefined && Number.isSafeInteger(p.pid) ? p.pid : undefined,
    command_line: p.command_line === undefined ? undefined : capString(p.command_line),
    parent_name: p.parent_name === undefined ? undefined : capString(p.parent_name, 1024),
    parent_command_line: p.parent_command_line === undefined ? undefined : capString(p.parent_command_line),
  });
  return Object.keys(out).length > 0 ? (out as ProcessInfo) : undefined;
}

/** Facts are sanitized (bounded, JSON-only) and `__proto__` never survives as a key. */
function factsOf(f: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!f) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(compact(f))) {
    if (k === '__proto__') continue;
    const s = sanitize(v, 4, 16 * 1024);
    if (s === undefined || (Array.isArray(s) && s.length === 0)) continue;
    if (isRecord(s) && Object.keys(s).length === 0) continue;
    out[k] = s;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The event's time where a normalizer's signals did not state one: the alert's first-seen time, as
 * the SIEM stamped it (metadata; for generic and original JSON, whose time key nothing vouches
 * for, content).
 */
function withEventTime(
  format: AlertFormat,
  signals: AlertSignalsInput | undefined,
  firstSeen: string | undefined,
): AlertSignalsInput | undefined {
  const event = (signals as { event?: { time?: unknown } } | undefined)?.event;
  if (!signals || !firstSeen || event?.time !== undefined) return signals;
  const origin = format === 'generic' || format === 'original' ? 'content' : 'metadata';
  return {
    ...signals,
    event: { ...event, time: firstSeen },
    provenance: { ...signals.provenance, 'event.time': { origin, from: 'first_seen' } },
  } as AlertSignalsInput;
}

/**
 * Draft → contract shape: defaults, dedupe, caps, fingerprint, raw. When the source states no
 * severity the alert is `Medium` with `severity_inferred: true` (docs/api.md: never invented
 * silently), so the classifier can tell a stated Medium from a guessed one.
 */
export function finalize(
  format: AlertFormat,
  draft: AlertDraft,
  raw: unknown,
  fallbackName: string,
): NormalizedAlert {
  const cap = (s: string | undefined): string | undefined => (s === undefined ? undefined : capString(s));
  const body = compact({
    format,
    source_id: cap(draft.source_id),
    name: cap(draft.name) || fallbackName,
    rule_id: cap(draft.rule_id),
    severity: draft.severity ?? 'Medium',
    severity_inferred: draft.severity === undefined ? true : undefined,
    source_confidence: draft.source_confidence,
    first_seen: draft.first_seen,
    last_seen: draft.last_seen,
    src_ip: draft.src_ip,
    src_port: draft.src_port,
    dst_ip: draft.dst_ip,
    dst_port: draft.dst_port,
    user: cap(draft.user),
    host: cap(draft.host),
    process: processOf(draft.process),
    hashes: uniq(draft.hashes, (h) => `${h.algorithm}:${h.value}`),
    urls: uniq(draft.urls),
    domains: uniq(draft.domains),
    mitre: uniq(draft.mitre),
    description: cap(draft.description),
    facts: factsOf(draft.facts),
    signals: withEventTime(format, draft.signals, draft.first_seen),
  }) as Omit<NormalizedAlert, 'fingerprint' | 'raw'>;
  return { ...body, fingerprint: fingerprint(body), raw };
}
