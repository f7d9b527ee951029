// No @triage/runtime here: intake's worker threads load this file (AppError is the same class).
import { AppError } from '@triage/contracts';

export interface GuardLimits {
  maxDepth: number;
  maxFieldBytes: number;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes → text, refusing invalid UTF-8 instead of silently inserting U+FFFD. */
export function decodeUtf8(buf: Buffer): string {
  try {
    return utf8.decode(buf);
  } catch {
    throw new AppError('INVALID_ENCODING', { message: 'The body is not valid UTF-8' });
  }
}

/**
 * Nesting depth of JSON text, measured before parsing so a hostile `[[[[...` never reaches
 * JSON.parse or any recursive code behind it.
 */
export function checkDepth(text: string, maxDepth: number): void {
  // Nesting needs an opening bracket per level: text with no more of them than the limit (in
  // strings or not) cannot be too deep, and counting them is a native search, not a walk.
  if (bracketsAtMost(text, maxDepth)) return;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > maxDepth) {
        throw new AppError('NESTING_TOO_DEEP', { message: `JSON nesting deeper than ${maxDepth} levels` });
      }
    } else if (c === 125 || c === 93) depth--;
  }
}

function bracketsAtMost(text: string, max: number): boolean {
  let n = 0;
  for (const c of ['{', '[']) {
    for (let i = text.indexOf(c); i !== -1; i = text.indexOf(c, i + 1)) if (++n > max) return false;
  }
  return true;
}

/** Where a value sits in the document, as links to its parent: the path text is built only for an error. */
interface At {
  key: string | number;
  parent: At | undefined;
}

function pathOf(at: At | undefined): string {
  let path = '';
  for (let a = at; a; a = a.parent) {
    path =
      typeof a.key === 'number' ? `[${a.key}]${path}` : a.parent ? `.${a.key}${path}` : `${a.key}${path}`;
  }
  return path;
}

/**
 * Walks a parsed value once: forbidden keys (prototype pollution), NUL characters, oversize strings,
 * numbers past the double range.
 * Iterative, so depth never matters here.
 */
export function checkValue(value: unknown, limits: GuardLimits): void {
  const values: unknown[] = [value];
  const ats: Array<At | undefined> = [undefined];
  while (values.length) {
    const v = values.pop();
    const at = ats.pop();
    if (typeof v === 'string') {
      checkString(v, at, limits);
    } else if (typeof v === 'number' && !Number.isFinite(v)) {
      // `1e400` is JSON that parses to Infinity, which JSON.stringify writes as null: the record
      // would be stored (and enriched) as another value than the one intake read (null instead
      // of a number can change the format detected, hence the fingerprint).
      throw new AppError('INVALID_JSON', {
        message: 'A number is out of range',
        details: [{ path: pathOf(at), message: 'not a finite number' }],
      });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) {
        values.push(v[i]);
        ats.push({ key: i, parent: at });
      }
    } else if (v !== null && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        const child: At = { key: k, parent: at };
        if (FORBIDDEN_KEYS.has(k)) {
          throw new AppError('FORBIDDEN_KEY', {
            message: `The key "${k}" is not allowed`,
            details: [{ path: pathOf(child), message: 'forbidden key' }],
          });
        }
        checkString(k, child, limits);
        values.push((v as Record<string, unknown>)[k]);
        ats.push(child);
      }
    }
  }
}

function checkString(s: string, at: At | undefined, limits: GuardLimits): void {
  if (s.includes('\u0000')) {
    throw new AppError('INVALID_ENCODING', {
      message: 'NUL characters are not allowed',
      details: [{ path: pathOf(at), message: 'contains U+0000' }],
    });
  }
  // UTF-16 length is a lower bound of the UTF-8 size; exact size only for the rare long strings.
  if (s.length * 3 > limits.maxFieldBytes && Buffer.byteLength(s, 'utf8') > limits.maxFieldBytes) {
    throw new AppError('FIELD_TOO_LARGE', {
      message: `A field is larger than ${limits.maxFieldBytes} bytes`,
      details: [{ path: pathOf(at), message: `${Buffer.byteLength(s, 'utf8')} bytes` }],
    });
  }
}

/** Text → value with every guard applied. */
export function parseGuarded(text: string, limits: GuardLimits): unknown {
  if (text.trim() === '') throw new AppError('EMPTY_BODY');
  checkDepth(text, limits.maxDepth);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new AppError('INVALID_JSON', { message: `The body is not valid JSON: ${(err as Error).message}` });
  }
  checkValue(value, limits);
  return value;
}
