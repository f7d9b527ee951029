import rateLimit from '@fastify/rate-limit';
import { AppError, type RateLimit, type Redis } from '@triage/runtime';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ANONYMOUS_ADMIN,
  type KeyRing,
  type Permission,
  type Principal,
  presentedKey,
} from '../lib/api-keys.ts';
import type { AuditLog } from '../lib/audit-log.ts';
import { BULL_BOARD_PATH } from './bull-board.plugin.ts';

/** `public`: no key needed (the handler may show more to a key that can read); `any`: any valid key. */
export type RouteAccess = Permission | 'public' | 'any';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What a caller needs for this route. Routes that declare nothing need an admin key. */
    access?: RouteAccess;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/** Routes registered by plugins we do not write (OpenAPI UI, Prometheus), by path. */
const BY_PATH: Array<[RegExp, RouteAccess]> = [
  [/^\/health$/, 'public'],
  [/^\/docs(\/|$)/, 'any'],
  [/^\/metrics$/, 'read'],
];

/**
 * Bull Board: viewing is `read`; every action (add, retry, promote, clean, pause, empty, obliterate,
 * update-data, concurrency, rate limits, schedulers...) is a non-GET request and needs `admin`, as
 * does the Redis INFO dump. Decided on the matched route pattern, so URL encoding cannot dodge it.
 */
function boardAccess(method: string, route: string): RouteAccess {
  if (route === `${BULL_BOARD_PATH}/api/redis/stats`) return 'admin';
  return method === 'GET' || method === 'HEAD' ? 'read' : 'admin';
}

export function routeAccess(req: FastifyRequest): RouteAccess {
  const route = req.routeOptions.url;
  if (req.is404 || route === undefined) return 'any';
  if (route === BULL_BOARD_PATH || route.startsWith(`${BULL_BOARD_PATH}/`))
    return boardAccess(req.method, route);
  const declared = req.routeOptions.config.access;
  if (declared) return declared;
  return BY_PATH.find(([re]) => re.test(route))?.[1] ?? 'admin';
}

/** How long a refused client may keep sending before its socket is destroyed (lets it read the answer). */
const LINGER_MS = 1000;

/**
 * Answers from the hook (Bull Board's plugin has an error handler of its own). A refused request's
 * body is never read: the connection is closed once the answer is out, so a client that was told
 * 401 cannot hold the socket by trickling a large body.
 */
function refuse(req: FastifyRequest, reply: FastifyReply, err: AppError): FastifyReply {
  if (!req.raw.complete) {
    reply.header('connection', 'close');
    reply.raw.once('finish', () => {
      const socket = req.raw.socket;
      socket.end();
      setTimeout(() => socket.destroy(), LINGER_MS).unref();
    });
  }
  return reply.status(err.status).send(err.toBody());
}

export interface AuthOptions {
  keys: KeyRing;
  /** Shared limiter store; per-key limits apply only when keys are configured. */
  redis: Redis;
  prefix: string;
  limit: RateLimit;
  audit: AuditLog;
}

/**
 * Scoped API keys on every route (Bull Board included): 401 for a missing or unknown key, 403 for a
 * key whose scope does not cover the route, 429 past the per-key rate limit. Admin actions are
 * audit-logged, refused ones included.
 */
export async function registerAuth(app: FastifyInstance, opts: AuthOptions): Promise<void> {
  app.decorateRequest('principal', undefined);
  // The limiter is called from our own hook (not the plugin's global one) so it runs after the key is
  // known, counts per key across every ingest process, and answers with the standard error body.
  await app.register(rateLimit, {
    global: false,
    redis: opts.redis,
    nameSpace: `${opts.prefix}:ratelimit:`,
    // Redis away or full must not turn every request into a 500: the route then answers 503 itself.
    skipOnError: true,
  });
  const limiter = opts.keys.enabled
    ? app.createRateLimit({
        max: opts.limit.max,
        timeWindow: opts.limit.duration,
        keyGenerator: (req) => req.principal?.id ?? req.ip,
      })
    : undefined;

  app.addHook('onRequest', async (req, reply) => {
    const access = routeAccess(req);
    if (!opts.keys.enabled) {
      req.principal = ANONYMOUS_ADMIN;
      return;
    }
    const key = presentedKey(req.headers);
    if (key !== undefined) {
      req.principal = opts.keys.identify(key);
      if (!req.principal)
        return refuse(req, reply, new AppError('UNAUTHORIZED', { message: 'Unknown API key' }));
    }
    if (access === 'public') return;
    if (!req.principal) {
      // Browser pages (Bull Board, the API docs): let the browser ask for the key as a Basic password.
      if (req.url.startsWith(BULL_BOARD_PATH) || req.url.startsWith('/docs'))
        reply.header('www-authenticate', 'Basic realm="triage"');
      return refuse(req, reply, new AppError('UNAUTHORIZED'));
    }
    if (access !== 'any' && !req.principal.can(access)) {
      return refuse(
        req,
        reply,
        new AppError('FORBIDDEN', {
          message: `This key (${req.principal.scopes.join(', ')}) may not ${req.method} ${req.routeOptions.url}: it needs ${access}`,
        }),
      );
    }
    const r = await limiter?.(req);
    if (r && !r.isAllowed && r.isExceeded) {
      reply.header('retry-after', String(Math.max(1, r.ttlInSeconds)));
      return refuse(
        req,
        reply,
        new AppError('RATE_LIMITED', {
          message: `More than ${opts.limit.text} requests for this key; retry later`,
        }),
      );
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    if (routeAccess(req) !== 'admin') return;
    opts.audit.record({
      key: req.principal?.id ?? 'none',
      method: req.method,
      route: req.routeOptions.url ?? '',
      path: req.url.split('?')[0] ?? '',
      status: reply.statusCode,
    });
  });

  // A read key sees Bull Board in its read-only mode (buttons hidden); the HTTP checks above are
  // what enforce it, this only keeps the UI honest.
  app.addHook('onSend', async (req, _reply, payload) => {
    if (req.routeOptions.url !== `${BULL_BOARD_PATH}/api/queues` || req.principal?.can('admin'))
      return payload;
    if (typeof payload !== 'string') return payload;
    try {
      const body = JSON.parse(payload) as { queues?: Array<Record<string, unknown>> };
      for (const q of body.queues ?? []) {
        q.readOnlyMode = true;
        q.allowRetries = false;
        q.allowCompletedRetries = false;
      }
      return JSON.stringify(body);
    } catch {
      return payload;
    }
  });
}
