import { renderMetrics } from '@triage/runtime';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app-deps.ts';

const STATES = [
  'waiting',
  'prioritized',
  'active',
  'delayed',
  'completed',
  'failed',
  'waiting-children',
] as const;

async function queueDepths(deps: AppDeps) {
  const out: Record<string, Record<string, number>> = {};
  await Promise.all(
    [...deps.queues].map(async ([name, q]) => {
      out[name] = await q.getJobCounts(...STATES);
    }),
  );
  return out;
}

/** `GET /health` (liveness + dependencies) and `GET /metrics` (Prometheus). */
export function opsRoutes(deps: AppDeps) {
  return async (app: FastifyInstance) => {
    app.get('/health', async (_req, reply) => {
      const started = Date.now();
      let redisOk = true;
      try {
        await deps.redis.ping();
      } catch {
        redisOk = false;
      }
      const latency = Date.now() - started;
      if (!redisOk) {
        return reply.status(503).send({ status: 'unavailable', redis: { ok: false } });
      }
      const [queues, status, workers] = await Promise.all([
        queueDepths(deps),
        deps.status().catch((err: Error) => ({ error: err.message })),
        Promise.all(
          [...deps.queues].map(
            async ([name, q]) => [name, (await q.getWorkersCount().catch(() => -1)) as number] as const,
          ),
        ),
      ]);
      const backlog = await deps.backpressure.backlog();
      return {
        status: backlog > deps.config.ENRICH_MAX_BACKLOG ? 'backpressure' : 'ok',
        redis: { ok: true, latency_ms: latency },
        queues,
        workers: Object.fromEntries(workers),
        backlog: { enrich: backlog, limit: deps.config.ENRICH_MAX_BACKLOG },
        ...status,
      };
    });

    app.get('/metrics', async (_req, reply) => {
      const depths = await queueDepths(deps);
      const text = await renderMetrics(deps.redis, deps.config.QUEUE_PREFIX, [
        {
          name: 'triage_queue_jobs',
          help: 'Jobs per queue and state',
          samples: Object.entries(depths).flatMap(([queue, counts]) =>
            Object.entries(counts).map(([state, value]) => ({ labels: { queue, state }, value })),
          ),
        },
      ]);
      return reply.type('text/plain; version=0.0.4').send(text);
    });
  };
}
