import { AlertFormat, NormalizedAlert, ValidationError, zodDetails } from '@triage/contracts';
import { describe, detectByMarkers, unwrapEnvelope } from './detect.ts';
import { type AlertDraft, finalize, type NormalizeContext, type Normalizer } from './draft.ts';
import { normalizeElastic } from './elastic.normalizer.ts';
import { freshReads, isRecord } from './fields.ts';
import { normalizeGeneric } from './generic.normalizer.ts';
import { normalizeHayabusa } from './hayabusa.normalizer.ts';
import { normalizeOcsf } from './ocsf.normalizer.ts';
import { normalizeOriginal } from './original.normalizer.ts';
import { checkOriginalShape } from './original-shape.ts';
import { normalizeSentinel } from './sentinel.normalizer.ts';
import { normalizeSplunk } from './splunk.normalizer.ts';
import { normalizeSuricata } from './suricata.normalizer.ts';
import { normalizeWazuh } from './wazuh.normalizer.ts';
import { normalizeWindows } from './windows.normalizer.ts';

export { unwrapEnvelope } from './detect.ts';
export { type FingerprintSource, fingerprint } from './fingerprint.ts';

const NORMALIZERS: Record<AlertFormat, Normalizer> = {
  sentinel: normalizeSentinel,
  splunk: normalizeSplunk,
  elastic: normalizeElastic,
  wazuh: normalizeWazuh,
  ocsf: normalizeOcsf,
  suricata: normalizeSuricata,
  original: normalizeOriginal,
  generic: normalizeGeneric,
  windows: normalizeWindows,
  hayabusa: normalizeHayabusa,
};

const FALLBACK_NAMES: Record<AlertFormat, string> = {
  sentinel: 'Microsoft Sentinel alert',
  splunk: 'Splunk alert',
  elastic: 'Elastic Security alert',
  wazuh: 'Wazuh alert',
  ocsf: 'OCSF finding',
  suricata: 'Suricata alert',
  original: 'Alert',
  generic: 'Untitled alert',
  windows: 'Windows event',
  hayabusa: 'Hayabusa detection',
};

export interface NormalizeOptions {
  /** Skip detection and read the input as this format (`?format=` on the ingest API). */
  format?: AlertFormat | undefined;
  /**
   * `false`: everything but the typed signals, where a format can leave them out (default true).
   * What intake needs — the verdict on the input (accepted or which error), format, source id,
   * fingerprint, name, severity — is the same either way: each signal is checked against its schema
   * as it is set (SignalsBuilder), so signals never make an alert fail, and the fingerprint never
   * reads them. Enrich normalizes the stored submission again with them.
   */
  signals?: boolean | undefined;
}

/** Embedded payloads (Elastic `event.original`) are followed one level deep, never further. */
function contextAt(depth: number, signals: boolean): NormalizeContext {
  return {
    signals,
    embedded(doc: unknown): AlertDraft | undefined {
      if (depth >= 1 || !isRecord(doc)) return undefined;
      const inner = unwrapEnvelope(doc).doc;
      const format = detectByMarkers(inner);
      return format === 'generic' ? undefined : NORMALIZERS[format](inner, contextAt(depth + 1, signals));
    },
  };
}
const FULL = contextAt(0, true);
const IDENTITY = contextAt(0, false);

function notAnObject(input: unknown): ValidationError {
  return new ValidationError('An alert must be a JSON object', [{ message: `got ${describe(input)}` }]);
}

/**
 * Detection and reading in one step. When markers match but the fields behind them are missing or
 * mistyped, the object is still an object: generic reads it, rather than the sender getting an
 * error for a format they never chose. A forced format gets no such second chance.
 */
function resolve(
  doc: Record<string, unknown>,
  forced?: AlertFormat,
  ctx: NormalizeContext = FULL,
): { format: AlertFormat; draft?: AlertDraft } {
  const format = forced ?? detectByMarkers(doc);
  const draft = NORMALIZERS[format](doc, ctx);
  if (draft !== undefined || forced !== undefined)
    return draft === undefined ? { format } : { format, draft };
  return { format: 'generic', draft: normalizeGeneric(doc, ctx) ?? {} };
}

/**
 * The format `normalize` would read an alert as: deterministic, most specific markers first
 * (see detect.ts), `generic` for any other plain object. Throws ValidationError for non-objects.
 */
export function detectFormat(input: unknown): AlertFormat {
  if (!isRecord(input)) throw notAnObject(input);
  freshReads();
  try {
    return resolve(unwrapEnvelope(input).doc, undefined, IDENTITY).format;
  } catch {
    // Same safety net as normalize: a reader bug must not surface as a non-validation error.
    return 'generic';
  }
}

/**
 * Any supported alert → the normalized contract (docs/api.md). Throws only `ValidationError`:
 * `VALIDATION_FAILED` for input that is not a JSON object or cannot be read as the forced format,
 * `UNKNOWN_FORMAT` for a format name that does not exist. `raw` is the input exactly as received.
 */
export function normalize(input: unknown, opts: NormalizeOptions = {}): NormalizedAlert {
  if (!isRecord(input)) throw notAnObject(input);
  freshReads();
  if (opts.format !== undefined && !AlertFormat.safeParse(opts.format).success) {
    throw new ValidationError(
      `Unknown alert format "${String(opts.format).slice(0, 64)}"`,
      [{ path: 'format', message: `expected one of ${AlertFormat.options.join(', ')}` }],
      'UNKNOWN_FORMAT',
    );
  }
  if (Object.keys(input).length === 0) {
    throw new ValidationError('The alert is empty', [{ message: 'an alert needs at least one field' }]);
  }
  let alert: NormalizedAlert;
  let format: AlertFormat;
  try {
    const { doc, id } = unwrapEnvelope(input);
    if (opts.format === undefined || opts.format === 'original') checkOriginalShape(doc);
    const resolved = resolve(doc, opts.format, opts.signals === false ? IDENTITY : FULL);
    format = resolved.format;
    const draft = resolved.draft;
    if (draft === undefined) {
      throw new ValidationError(
        `The alert cannot be read as ${format}: none of its identifying fields are present`,
        [{ path: 'format', message: `detected as ${detectFormat(doc)}` }],
      );
    }
    const read = { ...draft, source_id: draft.source_id ?? id };
    // Formats that read their fields out of their signals built them anyway: left out alike.
    if (opts.signals === false) read.signals = undefined;
    alert = finalize(format, read, input, FALLBACK_NAMES[format]);
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    // A normalizer bug must answer 400 for this one alert, not 500 for the whole batch.
    throw new ValidationError('The alert could not be normalized', [
      { message: 'internal normalizer error' },
    ]);
  }
  const parsed = NormalizedAlert.safeParse(alert);
  if (!parsed.success) {
    throw new ValidationError(
      `The ${format} alert does not fit the normalized schema`,
      zodDetails(parsed.error.issues),
    );
  }
  return parsed.data;
}
