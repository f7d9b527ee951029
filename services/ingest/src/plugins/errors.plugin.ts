import { AppError, isRedisOom, zodDetails } from '@triage/runtime';
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

/** Route url pattern (`/v1/alerts/:id`, `/docs/static/*`) → a matcher for concrete paths. */
function pathMatcher(url: string): RegExp {
  const re = url
    .split(/(:[A-Za-z0-9_]+|\*)/)
    .map((part) =>
      part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${re}$`);
}

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError && err.code !== 'REDIS_UNAVAILABLE' && err.code !== 'INTERNAL') return err;
  // Redis at maxmemory with noeviction refuses writes (a plain command, a Lua script, BullMQ's
  // own scripts): a state to wait out, never a 500.
  if (isRedisOom(err)) return new AppError('REDIS_FULL', { cause: err, retryable: true });
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

/**
 * The one root error handler and the not-found handler (404 vs 405). Call before registering any
 * route: the paths that answer 405 (known path, wrong method) are collected as routes are added.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  const known = new Map<string, { re: RegExp; methods: Set<string> }>();
  app.addHook('onRoute', (route) => {
    const entry = known.get(route.url) ?? { re: pathMatcher(route.url), methods: new Set<string>() };
    for (const m of [route.method].flat()) entry.methods.add(m);
    known.set(route.url, entry);
  });

  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const e = toAppError(err);
    if (e.status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: e.code }, 'request rejected');
    if (e.code === 'REDIS_UNAVAILABLE' || e.code === 'BACKPRESSURE') reply.header('retry-after', '5');
    // Memory comes back when workers finish and records expire, or an operator acts: not at once.
    if (e.code === 'REDIS_FULL') reply.header('retry-after', '30');
    if (e.code === 'IDEMPOTENCY_IN_PROGRESS') reply.header('retry-after', '1');
    return reply.status(e.status).send(e.toBody());
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    const match = [...known.values()].find((p) => p.re.test(path));
    const allow = match ? [...match.methods].join(', ') : '';
    const e = match
      ? new AppError('METHOD_NOT_ALLOWED', {
          message: `${req.method} is not allowed on ${path}; use ${allow}`,
        })
      : new AppError('NOT_FOUND', { message: `No route ${req.method} ${path}` });
    if (match) reply.header('allow', allow);
    return reply.status(e.status).send(e.toBody());
  });
}
