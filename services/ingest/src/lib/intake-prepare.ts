import { type AlertFormat, AppError, type Rejected, type Severity } from '@triage/contracts';
import { normalize } from '@triage/normalizers';
import { encodeSubmission } from '@triage/runtime/record-codec';
import { type GuardLimits, parseGuarded } from './body-guard.ts';

/**
 * The CPU part of accepting one NDJSON line, with nothing shared: parse it under the guards, read
 * it without typed signals (what intake needs: normalize(…, { signals: false })) and compress the
 * record's submission. Run by the intake worker threads, and on the event loop where there are none.
 */
export type PreparedLine =
  | {
      ok: true;
      format: AlertFormat;
      name: string;
      severity: Severity;
      fingerprint: string;
      source_id?: string;
      /** encodeSubmission of the line. */
      input: Uint8Array;
    }
  | { ok: false; rejected: Rejected };

export interface PrepareTask {
  texts: string[];
  /** The place of `texts[0]` in the request, for `rejected[].index`. */
  first: number;
  format?: AlertFormat;
  limits: GuardLimits;
}

/** An accepted item's error as `rejected` lists it: code, message naming the field, path. */
export function rejection(index: number, err: unknown): Rejected {
  const e = err instanceof AppError ? err : new AppError('VALIDATION_FAILED', { message: String(err) });
  const detail = e.details[0];
  const message = detail
    ? `${e.message} (${detail.path ? `${detail.path}: ` : ''}${detail.message})`
    : e.message;
  return { index, error: { code: e.code, message, ...(detail?.path ? { path: detail.path } : {}) } };
}

/** A line's parse error as the NDJSON parser reports it. */
export function parseError(err: unknown): AppError {
  return err instanceof AppError ? err : new AppError('INVALID_JSON');
}

export function prepareLines(task: PrepareTask): PreparedLine[] {
  return task.texts.map((text, i) => {
    const index = task.first + i;
    let value: unknown;
    try {
      value = parseGuarded(text, task.limits);
    } catch (err) {
      return { ok: false, rejected: rejection(index, parseError(err)) };
    }
    try {
      const a = normalize(value, { format: task.format, signals: false });
      return {
        ok: true,
        format: a.format,
        name: a.name,
        severity: a.severity,
        fingerprint: a.fingerprint,
        ...(a.source_id ? { source_id: a.source_id } : {}),
        input: encodeSubmission({ value, text, ...(task.format ? { format: task.format } : {}) }),
      };
    } catch (err) {
      return { ok: false, rejected: rejection(index, err) };
    }
  });
}
