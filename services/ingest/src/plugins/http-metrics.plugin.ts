import type { Metrics } from '@triage/runtime';
import type { FastifyInstance } from 'fastify';

/**
 * `triage_http_request_duration_seconds` by method, route pattern and status. The route label is
 * the pattern (`/v1/alerts/:id`), never the URL: ids in a label would grow series without bound.
 */
export function registerHttpMetrics(app: FastifyInstance, metrics: Metrics): void {
  // Synchronous on purpose: it adds no tick before the hooks after it (the audit log reads the
  // status of a refused request whose socket is being closed).
  app.addHook('onResponse', (req, reply, done) => {
    metrics.observe(
      'triage_http_request_duration_seconds',
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status_code: reply.statusCode },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
