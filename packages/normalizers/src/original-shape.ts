import { ValidationError, zodDetails } from '@triage/runtime';
import { z } from 'zod';
import { detectByMarkers, ORIGINAL_MARKERS } from './detect.ts';
import { isRecord, own } from './fields.ts';

/**
 * Type checks for the original service's alert, whose few fields are documented. A mistyped one
 * (`"name": ["x"]`, `"source_ip": 12345`, `"alert": "user=admin ..."`) answers 400 naming the field
 * instead of quietly becoming a generic alert that no rule reads correctly.
 */

/** Keys of the `{name, alert}` request body (and the annotations the original datasets carry). */
const ENVELOPE_KEYS = new Set(['name', 'alert', 'expected', 'notes', 'id']);

const Text = z.string().nullish();
const Bool = z.union([
  z.boolean(),
  z.literal(0),
  z.literal(1),
  z.string().regex(/^\s*(true|false|yes|no|1|0)\s*$/i),
]);

const Envelope = z.object({
  name: z.string({ error: 'expected a string' }).optional(),
  alert: z.record(z.string(), z.unknown(), { error: 'expected an object (the alert fields)' }),
});

const Fields = z.looseObject({
  user: Text,
  source_ip: Text,
  location: Text,
  severity: Text,
  time: z.union([z.string(), z.number()]).nullish(),
  failed_logins: z.union([z.number().int().min(0), z.string().regex(/^\s*\d+\s*$/)]).nullish(),
  success: Bool.nullish(),
});

function fail(issues: z.core.$ZodIssue[], prefix: string[]): never {
  throw new ValidationError(
    'The alert does not match the original format',
    zodDetails(issues.map((i) => ({ ...i, path: [...prefix, ...i.path] }))),
  );
}

/** Throws ValidationError when `doc` is the original format (wrapped or bare) with a mistyped field. */
export function checkOriginalShape(doc: Record<string, unknown>): void {
  const keys = Object.keys(doc);
  const envelope = Object.hasOwn(doc, 'alert') && keys.every((k) => ENVELOPE_KEYS.has(k));
  if (envelope) {
    const e = Envelope.safeParse({ name: own(doc, 'name'), alert: own(doc, 'alert') });
    if (!e.success) fail(e.error.issues, []);
    const inner = own(doc, 'alert') as Record<string, unknown>;
    // A SIEM payload inside the envelope is read (and checked) by its own normalizer.
    const kind = detectByMarkers(inner);
    if (kind !== 'original' && kind !== 'generic') return;
    const f = Fields.safeParse(inner);
    if (!f.success) fail(f.error.issues, ['alert']);
    return;
  }
  if (isRecord(doc) && ORIGINAL_MARKERS.some((k) => Object.hasOwn(doc, k))) {
    const f = Fields.safeParse(doc);
    if (!f.success) fail(f.error.issues, []);
  }
}
