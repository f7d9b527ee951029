import {
  AlertSignals,
  type AlertSignalsInput,
  type FileHash,
  type SignalOrigin,
  type SignalSource,
} from '@triage/contracts';
import type { z } from 'zod';
import {
  boundedMemo,
  capString,
  entity,
  isRecord,
  MAX_ARRAY_ITEMS,
  text,
  textList,
  toBool,
  toNumber,
} from './fields.ts';

/**
 * Building `AlertSignals` with provenance. A normalizer states, for every value it reads, whether
 * the sensor or SIEM wrote it about the event (`meta`) or the event carries it and an attacker
 * can shape it (`content`); see signals.schema.ts for the line between the two. Values are
 * coerced to the contract's type and bounds here, so a normalizer never has to, and a value that
 * does not fit is dropped rather than failing the alert. First write wins: normalizers state
 * their preferred source first, as with `firstText`.
 */

type Section = Exclude<keyof AlertSignals, 'provenance' | 'text'>;
type Fields<S extends Section> = keyof NonNullable<AlertSignals[S]> & string;
/** `process.command_line`, `detection.level`…: every field of every section. */
export type SignalPath = { [S in Section]: `${S}.${Fields<S>}` }[Section];

const MAX_TEXTS = 20;
/** Shortest event value masked out of a rule name: "lab", "dev" and "fp" steer too, "1" does not. */
const MIN_MASK_CHARS = 3;
const MAX_MASKS = 2000;
const MASK = '<…>';

type FieldSchema = z.ZodType & { def: { type: string; element?: { def: { type: string } } } };

/** A signal path taken apart, with its field's zod schema (`process.pid` → ZodNumber) from the contract. */
interface SignalField {
  section: string;
  field: string;
  schema: FieldSchema | undefined;
}

/**
 * By path: the normalizers set the same few hundred literal paths for every alert, and splitting
 * them and walking the contract's shape anew was a tenth of normalizing a Wazuh alert. Bounded
 * (`SignalPath` is a closed set of literals, but a cast could pass anything).
 */
const fieldOf = boundedMemo((path): SignalField => {
  const [section, field] = path.split('.') as [string, string];
  const sec = (AlertSignals.shape as unknown as Record<string, z.ZodOptional<z.ZodObject> | undefined>)[
    section
  ];
  const inner = sec?.unwrap().shape[field] as z.ZodOptional<FieldSchema> | undefined;
  return { section, field, schema: inner?.unwrap() };
}, 1024);

function maxChars(schema: FieldSchema): number {
  return (schema as unknown as { maxLength: number | null }).maxLength ?? 65_536;
}

/** Strips a high surrogate left alone by a cut, so the value stays valid UTF-16. */
function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  const c = s.slice(0, max);
  return /[\uD800-\uDBFF]$/.test(c) ? c.slice(0, -1) : c;
}

/** Coerces a raw payload value to the field's type; undefined when it cannot be one. */
function coerce(schema: FieldSchema, value: unknown): unknown {
  switch (schema.def.type) {
    case 'string': {
      const t = entity(typeof value === 'string' ? cut(value, maxChars(schema) + 64) : value);
      return t === undefined ? undefined : cut(t, maxChars(schema));
    }
    case 'number':
      return toNumber(value);
    case 'boolean':
      return toBool(value);
    case 'enum': {
      // Severity is `High`, host.os `windows`: take the contract's own spelling, whatever the case.
      const t = text(value, 64)?.toLowerCase();
      const options = (schema as unknown as { options: string[] }).options;
      return options.find((o) => o.toLowerCase() === t);
    }
    case 'array': {
      if (schema.def.element?.def.type === 'string') {
        const list = textList(value).filter((t) => entity(t) !== undefined);
        return list.length > 0 ? [...new Set(list)] : undefined;
      }
      const list = Array.isArray(value) ? value.slice(0, MAX_ARRAY_ITEMS) : [];
      return list.length > 0 ? list : undefined;
    }
    default:
      return value;
  }
}

export class SignalsBuilder {
  private readonly sections: Record<string, Record<string, unknown>> = {};
  private readonly provenance: Record<string, SignalSource> = {};
  private readonly texts: Array<{ value: string; from: string }> = [];
  private readonly masks: string[] = [];
  private template: string | undefined;
  private contentFrom: ((from: string) => boolean) | undefined;

  /**
   * Runs `read` with every value whose source path satisfies `isText` recorded as content: for
   * fields a reader takes as the sensor's but that were parsed out of text here (a Hayabusa
   * Details string renders event fields, command lines included, into one line).
   */
  contentWhere(isText: (from: string) => boolean, read: () => void): this {
    const before = this.contentFrom;
    this.contentFrom = isText;
    try {
      read();
    } finally {
      this.contentFrom = before;
    }
    return this;
  }

  /** A value the sensor, SIEM or detection engine wrote about the event. */
  meta(path: SignalPath, value: unknown, from: string): this {
    return this.set(path, value, 'metadata', from);
  }

  /** A value of the event itself, which an attacker can shape. */
  content(path: SignalPath, value: unknown, from: string): this {
    return this.set(path, value, 'content', from);
  }

  set(path: SignalPath, value: unknown, origin: SignalOrigin, from: string): this {
    if (value === undefined || value === null || this.has(path)) return this;
    const { section, field, schema } = fieldOf(path);
    if (!schema) return this;
    const coerced = coerce(schema, value);
    if (coerced === undefined || !schema.safeParse(coerced).success) return this;
    this.sections[section] ??= {};
    this.sections[section][field] = coerced;
    const forced = this.contentFrom?.(from) === true;
    this.provenance[path] = { origin: forced ? 'content' : origin, from: capString(from, 512) };
    return this;
  }

  has(path: SignalPath): boolean {
    const { section, field } = fieldOf(path);
    return this.sections[section]?.[field] !== undefined;
  }

  /** Where the value at `path` came from (undefined when nothing is set there). */
  source(path: SignalPath): SignalSource | undefined {
    return this.provenance[path];
  }

  get(path: SignalPath): unknown {
    const { section, field } = fieldOf(path);
    return this.sections[section]?.[field];
  }

  /** Free text the alert carries (a message, a log line): always content. */
  text(value: unknown, from: string): this {
    const t = text(value);
    if (t !== undefined && this.texts.length < MAX_TEXTS && !this.texts.some((x) => x.value === t)) {
      this.texts.push({ value: cut(t, 65_536), from: capString(from, 512) });
    }
    return this;
  }

  /**
   * Strings of the event the source may have interpolated into the rule name (the vendor's event
   * data, entity names): masked out of `detection.rule_name_template`. Content signals and text
   * are masked without being registered here.
   */
  maskValues(...values: unknown[]): this {
    for (const v of values) {
      for (const s of stringLeaves(v, 4)) {
        if (this.masks.length >= MAX_MASKS) return this;
        this.masks.push(s);
      }
    }
    return this;
  }

  /** The rule title as the detection engine wrote it, before any event value went into it (Sigma). */
  ruleNameTemplate(value: unknown): this {
    this.template ??= text(value);
    return this;
  }

  /** Hashes go through the same caps as any list; duplicates are dropped. */
  hashes(
    path: 'process.hashes' | 'file.hashes',
    hashes: FileHash[],
    origin: SignalOrigin,
    from: string,
  ): this {
    const seen = new Set<string>();
    const unique = hashes.filter((h) => {
      const k = `${h.algorithm}:${h.value}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    return this.set(path, unique.slice(0, 10), origin, from);
  }

  build(): AlertSignalsInput | undefined {
    const out: Record<string, unknown> = { ...this.sections };
    const detection = this.sections.detection;
    const name = detection?.rule_name;
    if (typeof name === 'string' && this.provenance['detection.rule_name']?.origin === 'metadata') {
      const template = this.template ?? maskName(name, [...this.contentValues(), ...this.masks]);
      out.detection = { ...detection, rule_name_template: cut(template, 65_536) };
      this.provenance['detection.rule_name_template'] = {
        origin: 'metadata',
        from: this.provenance['detection.rule_name']?.from ?? 'rule_name',
      };
    }
    if (this.texts.length > 0) out.text = this.texts;
    if (Object.keys(out).length === 0) return undefined;
    return { ...out, provenance: { ...this.provenance } } as AlertSignalsInput;
  }

  private contentValues(): string[] {
    const out: string[] = this.texts.map((t) => t.value);
    for (const [section, fields] of Object.entries(this.sections)) {
      for (const [field, v] of Object.entries(fields)) {
        if (this.provenance[`${section}.${field}`]?.origin === 'metadata') continue;
        out.push(...stringLeaves(v, 2));
      }
    }
    return out;
  }
}

/** Every string in a value (bounded walk). */
function stringLeaves(v: unknown, depth: number, out: string[] = []): string[] {
  if (out.length >= MAX_MASKS) return out;
  if (typeof v === 'string') out.push(v);
  else if (depth > 0 && Array.isArray(v)) {
    for (const x of v.slice(0, MAX_ARRAY_ITEMS)) stringLeaves(x, depth - 1, out);
  } else if (depth > 0 && isRecord(v)) {
    for (const x of Object.values(v).slice(0, MAX_ARRAY_ITEMS)) stringLeaves(x, depth - 1, out);
  }
  return out;
}

/**
 * `name` with every occurrence of every value (case-insensitive, 3+ characters) replaced by `<…>`.
 * Longest values first, overlaps merged. Linear in practice: each value is searched once with
 * indexOf (V8 falls back to Boyer-Moore on bad inputs), and values longer than the name are skipped.
 */
export function maskName(name: string, values: readonly string[]): string {
  const lower = name.toLowerCase();
  const candidates = [
    ...new Set(
      values
        .map((v) => v.trim().toLowerCase())
        .filter((v) => v.length >= MIN_MASK_CHARS && v.length <= lower.length),
    ),
  ].sort((a, b) => b.length - a.length);
  const spans: Array<[number, number]> = [];
  for (const v of candidates) {
    for (let at = lower.indexOf(v); at >= 0; at = lower.indexOf(v, at + v.length)) {
      spans.push([at, at + v.length]);
    }
  }
  if (spans.length === 0) return name;
  spans.sort((a, b) => a[0] - b[0]);
  let out = '';
  let pos = 0;
  for (const [start, end] of spans) {
    if (end <= pos) continue;
    if (start >= pos) {
      out += name.slice(pos, start) + MASK;
    }
    pos = end;
  }
  return out + name.slice(pos);
}

/**
 * Merges a second reading of the same alert (Elastic's `event.original`, an alert inside the
 * original service's envelope) under the first: the first's values win field by field.
 * `asContent` downgrades everything taken from the second to content: a payload parsed out of a
 * string of the alert is text, whoever claims to have written it.
 */
export function mergeSignals(
  primary: AlertSignalsInput | undefined,
  fallback: AlertSignalsInput | undefined,
  asContent: boolean,
): AlertSignalsInput | undefined {
  if (!fallback) return primary;
  const out: Record<string, unknown> = { ...primary };
  const provenance: Record<string, SignalSource> = { ...primary?.provenance };
  for (const [section, fields] of Object.entries(fallback)) {
    if (section === 'provenance') continue;
    if (section === 'text') {
      const mine = (primary?.text ?? []) as Array<{ value: string; from: string }>;
      out.text = [...mine, ...(fields as typeof mine)].slice(0, MAX_TEXTS);
      continue;
    }
    if (!isRecord(fields)) continue;
    const merged: Record<string, unknown> = { ...(out[section] as Record<string, unknown> | undefined) };
    for (const [field, v] of Object.entries(fields)) {
      if (merged[field] !== undefined) continue;
      merged[field] = v;
      const path = `${section}.${field}`;
      const src = fallback.provenance?.[path];
      provenance[path] =
        asContent || !src ? { origin: 'content', ...(src?.from ? { from: src.from } : {}) } : src;
    }
    out[section] = merged;
  }
  return { ...out, provenance } as AlertSignalsInput;
}
