import { AppError } from '@triage/runtime';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from 'fastify';
import type { AppDeps } from './app-deps.ts';
import { KeyRing } from './lib/api-keys.ts';
import { registerAuth } from './plugins/auth.plugin.ts';
import { registerBodyParsers } from './plugins/body.plugin.ts';
import { registerBullBoard } from './plugins/bull-board.plugin.ts';
import { registerDocs } from './plugins/docs.plugin.ts';
import { registerErrorHandling } from './plugins/errors.plugin.ts';
import { registerHttpMetrics } from './plugins/http-metrics.plugin.ts';
import { registerValidation } from './plugins/validation.plugin.ts';
import { alertRoutes } from './routes/alerts.routes.ts';
import { batchRoutes } from './routes/batches.routes.ts';
import { compatRoutes } from './routes/compat.routes.ts';
import { feedbackRoutes } from './routes/feedback.routes.ts';
import { incidentRoutes } from './routes/incidents.routes.ts';
import { opsRoutes } from './routes/ops.routes.ts';

/** Builds the HTTP app without listening (tests use `inject()`; main.ts calls `listen()`). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const c = deps.config;
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Per-request lines only at debug: at SIEM-forwarding rates they would drown everything else.
    logController: new LogController({
      disableRequestLogging: deps.config.LOG_LEVEL !== 'debug' && deps.config.LOG_LEVEL !== 'trace',
    }),
    bodyLimit: deps.config.ALERT_BODY_LIMIT_BYTES,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    routerOptions: { maxParamLength: 256 },
    // A URL the router cannot decode (`/v1/alerts/%00%ff`) gets the standard error body too.
    frameworkErrors: (err, _req, reply) => {
      const e = new AppError('VALIDATION_FAILED', {
        message: 'The URL is not valid',
        details: [{ path: 'url', message: err.message }],
      });
      return (reply as FastifyReply).status(e.status).send(e.toBody());
    },
    // Slow clients must not hold sockets: a deadline for the headers, for the whole request, and
    // for an idle keep-alive connection. Node checks these deadlines every connectionsCheckingInterval.
    requestTimeout: c.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: c.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    http: {
      headersTimeout: Math.min(c.HTTP_HEADERS_TIMEOUT_MS, c.HTTP_REQUEST_TIMEOUT_MS),
      connectionsCheckingInterval: Math.min(1000, c.HTTP_HEADERS_TIMEOUT_MS),
    },
  });
  // Beyond this, new connections are closed at once: descriptors stay available for Redis.
  app.server.maxConnections = c.HTTP_MAX_CONNECTIONS;
  registerErrorHandling(app);
  registerHttpMetrics(app, deps.metrics);
  registerValidation(app);
  await registerAuth(app, {
    keys: new KeyRing({
      admin: c.TRIAGE_API_KEYS,
      ingest: c.TRIAGE_INGEST_KEYS,
      read: c.TRIAGE_READ_KEYS,
      analyst: c.TRIAGE_ANALYST_KEYS,
    }),
    redis: deps.redis,
    prefix: c.QUEUE_PREFIX,
    limit: c.RATE_LIMIT_PER_KEY,
    audit: deps.audit,
  });
  registerBodyParsers(
    app,
    { maxDepth: deps.config.MAX_JSON_DEPTH, maxFieldBytes: deps.config.MAX_FIELD_BYTES },
    deps.config.BATCH_MAX_ITEMS,
  );
  // Before the routes: the OpenAPI document is collected as they are added (docs/api.md).
  await registerDocs(app);
  await app.register(alertRoutes(deps));
  await app.register(batchRoutes(deps));
  await app.register(compatRoutes(deps));
  await app.register(feedbackRoutes(deps));
  await app.register(incidentRoutes(deps));
  await app.register(opsRoutes(deps));
  await registerBullBoard(app, [...deps.queues.values()]);
  return app;
}
