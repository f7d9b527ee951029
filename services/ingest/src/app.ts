import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { AppDeps } from './app-deps.ts';
import { registerAuth } from './plugins/auth.plugin.ts';
import { registerBodyParsers } from './plugins/body.plugin.ts';
import { registerBullBoard } from './plugins/bull-board.plugin.ts';
import { registerDocs } from './plugins/docs.plugin.ts';
import { registerErrorHandling } from './plugins/errors.plugin.ts';
import { registerValidation } from './plugins/validation.plugin.ts';
import { alertRoutes } from './routes/alerts.routes.ts';
import { batchRoutes } from './routes/batches.routes.ts';
import { compatRoutes } from './routes/compat.routes.ts';
import { opsRoutes } from './routes/ops.routes.ts';

/** Builds the HTTP app without listening (tests use `inject()`; main.ts calls `listen()`). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
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
  });
  registerErrorHandling(app);
  registerValidation(app);
  registerAuth(app, deps.config.TRIAGE_API_KEYS);
  registerBodyParsers(app, {
    maxDepth: deps.config.MAX_JSON_DEPTH,
    maxFieldBytes: deps.config.MAX_FIELD_BYTES,
  });
  // Before the routes: the OpenAPI document is collected as they are added (docs/api.md).
  await registerDocs(app);
  await app.register(alertRoutes(deps));
  await app.register(batchRoutes(deps));
  await app.register(compatRoutes(deps));
  await app.register(opsRoutes(deps));
  await registerBullBoard(app, [...deps.queues.values()]);
  return app;
}
