import { ERROR_CODES, type ErrorBody, type ErrorCode, type ErrorDetail } from './error.schema.ts';

export interface AppErrorOptions {
  /** Human-readable; defaults to the catalog message for the code. */
  message?: string;
  details?: ErrorDetail[];
  /** Whether trying the same thing again later can succeed (queues use it to pick retry vs. fail). */
  retryable?: boolean;
  cause?: unknown;
}

/** The one error type the project throws on purpose. `code` is the API; messages may change. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetail[];
  readonly retryable: boolean;

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    super(options.message ?? ERROR_CODES[code].message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.details = options.details ?? [];
    this.retryable = options.retryable ?? false;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

/** Input that does not match what we accept (400 VALIDATION_FAILED unless another code is given). */
export class ValidationError extends AppError {
  constructor(message: string, details: ErrorDetail[] = [], code: ErrorCode = 'VALIDATION_FAILED') {
    super(code, { message, details, retryable: false });
    this.name = 'ValidationError';
  }
}

/** zod issues → error details with dotted paths. */
export function zodDetails(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): ErrorDetail[] {
  return issues.slice(0, 20).map((i) => ({
    path: i.path.map((p) => String(p)).join('.') || undefined,
    message: i.message,
  }));
}
