import { AppError, zodDetails } from '@triage/runtime';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';

/** Fastify's own error codes → ours, so every error has the one standard body. */
const FASTIFY_CODES: Record<string, AppError['code']> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'EMPTY_BODY',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
};

/** Routes and their methods, to tell 405 (known path, wrong method) from 404. */
const KNOWN_PATHS: Array<{ re: RegExp; methods: string[] }> = [
  { re: /^\/v1\/alerts\/batch$/, methods: ['POST'] },
  { re: /^\/v1\/alerts$/, methods: ['POST'] },
  { re: /^\/v1\/alerts\/[^/]+$/, methods: ['GET', 'HEAD'] },
  { re: /^\/v1\/batches\/[^/]+$/, methods: ['GET', 'HEAD'] },
  { re: /^\/(analyze|batch)$/, methods: ['POST'] },
  { re: /^\/(health|metrics|docs|docs\/openapi\.json)$/, methods: ['GET', 'HEAD'] },
];

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError) {
    return new AppError('VALIDATION_FAILED', { details: zodDetails(err.issues) });
  }
  const e = err as { code?: string; statusCode?: number; message?: string; validation?: unknown };
  const mapped = e.code ? FASTIFY_CODES[e.code] : undefined;
  if (mapped) return new AppError(mapped, { cause: err });
  if (e.validation)
    return new AppError('VALIDATION_FAILED', { message: e.message ?? 'invalid request', cause: err });
  if (
    (err as Error)?.name === 'RedisTimeoutError' ||
    /enableOfflineQueue|Connection is closed|ECONNREFUSED|max retries per request/i.test(e.message ?? '')
  ) {
    return new AppError('REDIS_UNAVAILABLE', { cause: err, retryable: true });
  }
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    const code =
      e.statusCode === 413
        ? 'PAYLOAD_TOO_LARGE'
        : e.statusCode === 415
          ? 'UNSUPPORTED_MEDIA_TYPE'
          : 'VALIDATION_FAILED';
    return new AppError(code, { message: e.message ?? 'bad request', cause: err });
  }
  return new AppError('INTERNAL', { cause: err });
}

/** The one root error handler and the not-found handler (404 vs 405). */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const e = toAppError(err);
    if (e.status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: e.code }, 'request rejected');
    if (e.code === 'REDIS_UNAVAILABLE' || e.code === 'BACKPRESSURE') reply.header('retry-after', '5');
    return reply.status(e.status).send(e.toBody());
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    const known = KNOWN_PATHS.find((p) => p.re.test(path));
    const e = known
      ? new AppError('METHOD_NOT_ALLOWED', {
          message: `${req.method} is not allowed on ${path}; use ${known.methods.join(', ')}`,
        })
      : new AppError('NOT_FOUND', { message: `No route ${req.method} ${path}` });
    if (known) reply.header('allow', known.methods.join(', '));
    return reply.status(e.status).send(e.toBody());
  });
}
