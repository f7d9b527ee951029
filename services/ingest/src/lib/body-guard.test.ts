import type { AppError } from '@triage/runtime';
import { describe, expect, it } from 'vitest';
import { checkDepth, checkValue } from './body-guard.ts';

const limits = { maxDepth: 32, maxFieldBytes: 64 };

function failure(value: unknown): { code: string; path?: string } {
  try {
    checkValue(value, limits);
  } catch (err) {
    const e = err as AppError;
    return { code: e.code, ...(e.details[0]?.path !== undefined ? { path: e.details[0].path } : {}) };
  }
  return { code: 'none' };
}

describe('checkValue', () => {
  it('names where the offending value sits, in objects and arrays alike', () => {
    expect(failure({ a: { b: [1, { c: 'x\u0000' }] } })).toEqual({
      code: 'INVALID_ENCODING',
      path: 'a.b[1].c',
    });
    expect(failure([{ ok: 1 }, { bad: 'y'.repeat(65) }])).toEqual({
      code: 'FIELD_TOO_LARGE',
      path: '[1].bad',
    });
    expect(failure({ x: [{ __proto__: null, constructor: 1 }] })).toEqual({
      code: 'FORBIDDEN_KEY',
      path: 'x[0].constructor',
    });
    expect(failure('top\u0000')).toEqual({ code: 'INVALID_ENCODING', path: '' });
    expect(failure({ fine: ['a', { b: true }] })).toEqual({ code: 'none' });
  });

  it('attack: a number past the double range (1e400 parses to Infinity, stored as null) is refused', () => {
    expect(failure(JSON.parse('{"AlertName":"x","ConfidenceScore":1e400}'))).toEqual({
      code: 'INVALID_JSON',
      path: 'ConfidenceScore',
    });
    expect(failure({ a: [1, -Infinity] })).toEqual({ code: 'INVALID_JSON', path: 'a[1]' });
    expect(failure(JSON.parse('{"big":1e308,"small":1e-400,"neg":-0}'))).toEqual({ code: 'none' });
  });
});

describe('checkDepth', () => {
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  const depthError = (text: string) => {
    try {
      checkDepth(text, 8);
    } catch (err) {
      return (err as AppError).code;
    }
    return 'none';
  };

  it('refuses nesting past the limit, at the limit and with brackets in strings around it', () => {
    expect(depthError(deep(8))).toBe('none');
    expect(depthError(deep(9))).toBe('NESTING_TOO_DEEP');
    expect(depthError(`{"a":${deep(8)}}`)).toBe('NESTING_TOO_DEEP');
    // Many brackets, but inside strings: counted by the quick check, not nesting.
    expect(depthError(JSON.stringify({ s: '{['.repeat(50) }))).toBe('none');
    expect(depthError(JSON.stringify([{ s: '[[[[[[[[[[' }, [[[[[1]]]]]]))).toBe('none');
    // Escaped quotes do not end a string early.
    expect(depthError(JSON.stringify({ s: '\\"[[[[[[[[[[[' }))).toBe('none');
    expect(depthError(`[${JSON.stringify({ s: '"' })},${deep(8)}]`)).toBe('NESTING_TOO_DEEP');
    // Many shallow brackets side by side are not depth.
    expect(depthError(`[${Array.from({ length: 100 }, () => '{}').join(',')}]`)).toBe('none');
  });
});

describe('attack: the depth precheck against brackets in strings and escapes', () => {
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  const code = (text: string, max = 32): string => {
    try {
      checkDepth(text, max);
      return 'none';
    } catch (err) {
      return (err as AppError).code;
    }
  };

  it('brackets inside strings are no nesting (past the bracket count, the walk skips strings)', () => {
    expect(code(JSON.stringify({ a: '['.repeat(500), b: '{'.repeat(500) }))).toBe('none');
    expect(code(JSON.stringify({ a: `\\"${'['.repeat(500)}`, b: '"{{{{' }))).toBe('none');
  });

  it('closing brackets in a string do not pay for deep nesting after it', () => {
    expect(code(`{"a":"${']'.repeat(500)}","b":${deep(40)}}`)).toBe('NESTING_TOO_DEEP');
    expect(code(`{"a":"${'}'.repeat(500)}","b":${deep(33)}}`)).toBe('NESTING_TOO_DEEP');
  });

  it('an escaped backslash ends the string: the nesting after it is counted', () => {
    // The string is `\\` (one escaped backslash): its closing quote is real.
    expect(code(`{"a":"\\\\","b":${deep(40)}}`)).toBe('NESTING_TOO_DEEP');
    // An escaped quote does not end it: the brackets after it are still text.
    expect(code(`{"a":"\\"${'['.repeat(40)}"}`)).toBe('none');
  });

  it('\\u005b is a bracket only once parsed, inside a string: not nesting', () => {
    expect(code(`{"a":"${'\\u005b'.repeat(200)}"}`)).toBe('none');
  });

  it('exactly the limit passes, one more is refused, with or without a bracket surplus elsewhere', () => {
    expect(code(deep(32))).toBe('none');
    expect(code(deep(33))).toBe('NESTING_TOO_DEEP');
    expect(code(`[${'[]'.repeat(100)},${deep(31)}]`)).toBe('none');
    expect(code(`[${'[]'.repeat(100)},${deep(32)}]`)).toBe('NESTING_TOO_DEEP');
  });

  it('a 4 MB line of brackets in strings is checked in well under a second', () => {
    const text = JSON.stringify({ a: '[{'.repeat(2_000_000) });
    const t = performance.now();
    expect(code(text, 128)).toBe('none');
    expect(performance.now() - t).toBeLessThan(1000);
  });
});
