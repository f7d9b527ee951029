import { z } from 'zod';

/**
 * Stable error codes: the API. Messages may change, codes may not.
 * `status` is the HTTP status the ingest service answers with.
 */
export const ERROR_CODES = {
  INVALID_JSON: { status: 400, message: 'The body is not valid JSON' },
  INVALID_ENCODING: { status: 400, message: 'The body is not valid UTF-8 or contains NUL bytes' },
  EMPTY_BODY: { status: 400, message: 'The request body is empty' },
  VALIDATION_FAILED: { status: 400, message: 'The request does not match the expected schema' },
  UNKNOWN_FORMAT: { status: 400, message: 'The alert format is not supported' },
  NESTING_TOO_DEEP: { status: 400, message: 'The JSON is nested too deeply' },
  FORBIDDEN_KEY: { status: 400, message: 'The JSON contains a forbidden key' },
  FIELD_TOO_LARGE: { status: 400, message: 'A field exceeds the size limit' },
  TOO_MANY_ITEMS: { status: 400, message: 'The batch has more items than allowed' },
  UNAUTHORIZED: { status: 401, message: 'A valid API key is required' },
  FORBIDDEN: { status: 403, message: 'This API key may not use this route' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
  IDEMPOTENCY_IN_PROGRESS: {
    status: 409,
    message: 'A request with this Idempotency-Key is still being processed; retry shortly',
  },
  BATCH_NOT_PAUSABLE: { status: 409, message: 'Only a backlog batch can be paused' },
  NOT_TRIAGED: { status: 409, message: 'The alert has no verdict yet; retry once it is completed' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type' },
  IDEMPOTENCY_MISMATCH: {
    status: 422,
    message: 'This Idempotency-Key was used for a different request',
  },
  RATE_LIMITED: { status: 429, message: 'Too many requests for this API key; retry later' },
  BACKPRESSURE: { status: 503, message: 'The pipeline backlog is full; retry later' },
  REDIS_UNAVAILABLE: { status: 503, message: 'Redis is unavailable' },
  REDIS_FULL: { status: 503, message: 'Redis refuses writes (out of memory); retry later' },
  INTERNAL: { status: 500, message: 'Internal error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const ErrorDetail = z.object({
  path: z.string().optional(),
  message: z.string(),
});
export type ErrorDetail = z.infer<typeof ErrorDetail>;

/** Every error answered by the API has exactly this body. */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(ErrorDetail),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;
