import { AuditList, AuditQuery, HealthView, JOBS } from '@triage/contracts';
import { memoryPressure, type PipelineSnapshot } from '@triage/runtime';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../app-deps.ts';
import type { EtaEstimator } from '../lib/eta.ts';
import { errorResponses, json } from '../lib/openapi.ts';

const perQueue = <T>(snap: PipelineSnapshot, pick: (queue: string) => T) =>
  Object.fromEntries([...snap.queues.keys()].map((q) => [q, pick(q)]));

/** The /health body from one pipeline snapshot (no Redis access of its own). */
export function healthView(
  snap: PipelineSnapshot,
  backlogLimit: number,
  watermark: number,
  eta?: EtaEstimator,
): HealthView {
  const waiting = (q: string) => {
    const c = snap.queues.get(q)?.counts;
    return c ? c.waiting + c.prioritized + c.delayed : 0;
  };
  const backlog = waiting(JOBS.enrich.name);
  // Ingest's backpressure counts the alerts waiting for either stage (lib/backpressure.ts).
  const waitingTotal = backlog + waiting(JOBS.classify.name);
  const oldest = (q: string) => {
    const at = snap.queues.get(q)?.oldestWaitingAt;
    return at ? Math.max(0, snap.at - at) / 1000 : 0;
  };
  const memory = memoryPressure(snap.memory, watermark);
  return {
    status: memory.high ? 'degraded' : waitingTotal > backlogLimit ? 'backpressure' : 'ok',
    redis: {
      ok: true,
      latency_ms: snap.latencyMs,
      memory: {
        used_bytes: snap.memory.usedBytes,
        max_bytes: snap.memory.maxBytes,
        watermark,
        full: memory.full,
      },
    },
    queues: perQueue(snap, (q) => ({ ...snap.queues.get(q)?.counts })),
    oldest_waiting_seconds: perQueue(snap, oldest),
    workers: perQueue(snap, (q) => snap.workers.get(q) ?? 0),
    backlog: { enrich: backlog, limit: backlogLimit },
    providers: (snap.components.get('intel')?.data as HealthView['providers']) ?? null,
    llm: (snap.components.get('llm')?.data as HealthView['llm']) ?? null,
    ...(eta ? { eta: eta.pipeline(snap) } : {}),
    read_at: new Date(snap.at).toISOString(),
  };
}

/** `GET /health` (liveness + pipeline state) and `GET /metrics` (Prometheus). */
export function opsRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const healthSchema = {
      tags: ['ops'],
      summary: 'Liveness, Redis, queue depths, workers, provider and LLM status, ETA',
      description:
        'Served from one read of Redis shared by every caller for a second: queue counts and the oldest waiting job per queue, worker processes with a fresh heartbeat, and the status snapshots the enrich and classify workers publish, and the quota-aware ETA of everything queued (`eta`: the measured throughput, the lookups still ahead each provider still has to make against its rate and what is left of its daily quota, the LLM calls against its rate, quota and budget; `limited_by` names the largest). Without a key (or with an ingest key) only `{"status": "ok"}`, for probes; the details need a read key.',
      operationId: 'getHealth',
      security: [],
      response: {
        200: json(
          HealthView,
          'Up (`status` is `degraded` while Redis memory is at its watermark or full, `backpressure` while the enrich backlog is over its limit)',
        ),
        503: json(HealthView, 'Redis is unavailable'),
      },
    };
    app.get('/health', { schema: healthSchema, config: { access: 'public' } }, async (req, reply) => {
      // Without a key that may read, only liveness: depths, provider setup, quotas, last errors and
      // LLM spend are reconnaissance for an attacker.
      if (!req.principal?.can('read')) return { status: 'ok' as const };
      let snap: PipelineSnapshot;
      try {
        snap = await deps.pipeline.read();
      } catch {
        return reply.status(503).send({ status: 'unavailable', redis: { ok: false } });
      }
      return healthView(snap, deps.config.ENRICH_MAX_BACKLOG, deps.config.REDIS_MEMORY_WATERMARK, deps.eta);
    });

    const livezSchema = {
      tags: ['ops'],
      summary: 'Liveness: the process answers',
      description:
        'No Redis access: a liveness probe must not restart ingest because Redis is away (/health answers 503 then, and readiness takes the pod out of the Service).',
      operationId: 'getLivez',
      security: [],
      response: { 200: json(z.object({ status: z.literal('ok') }), 'Alive') },
    };
    app.get('/livez', { schema: livezSchema, config: { access: 'public' } }, async () => ({
      status: 'ok' as const,
    }));

    const readyzSchema = {
      tags: ['ops'],
      summary: 'Readiness: Redis answers',
      description:
        'For probes without a key: 200 while the shared pipeline read from Redis succeeds, 503 otherwise. Shows nothing else (the details are on /health, for read keys).',
      operationId: 'getReadyz',
      security: [],
      response: {
        200: json(z.object({ status: z.literal('ok') }), 'Ready'),
        503: json(z.object({ status: z.literal('unavailable') }), 'Redis is unavailable'),
      },
    };
    app.get('/readyz', { schema: readyzSchema, config: { access: 'public' } }, async (_req, reply) => {
      try {
        await deps.pipeline.read();
        return { status: 'ok' as const };
      } catch {
        return reply.status(503).send({ status: 'unavailable' as const });
      }
    });

    const auditSchema = {
      tags: ['ops'],
      summary: 'The audit log of admin actions, newest first (admin keys only)',
      description:
        'Every admin action (Bull Board actions, Redis stats, this listing), refused ones included: when, which key (its fingerprint, never the key), method, route, path and the status answered. Kept in the Redis stream `<QUEUE_PREFIX>:audit` (about the last 100,000 entries). Page with `?cursor=` (the `next_cursor` of the previous page) and `?limit=` (at most 1000).',
      operationId: 'listAudit',
      querystring: AuditQuery,
      response: {
        200: json(AuditList, 'A page of audit entries'),
        ...errorResponses('VALIDATION_FAILED'),
      },
    };
    app.get('/v1/audit', { schema: auditSchema, config: { access: 'admin' } }, async (req) => {
      const page = await deps.audit.page(req.query.limit ?? 100, req.query.cursor);
      return { items: page.items, next_cursor: page.next };
    });

    const metricsSchema = {
      tags: ['ops'],
      summary: 'Prometheus metrics',
      description:
        "This ingest process's own counters (HTTP, intake) and Node.js process metrics, plus pipeline gauges read from Redis (queue depths, oldest waiting job, workers, quotas, LLM spend) that are the same on every replica: aggregate those with max(). Each worker process serves its own counters on WORKER_HTTP_PORT.",
      operationId: 'getMetrics',
      response: {
        200: {
          description: 'Prometheus text exposition format 0.0.4',
          content: { 'text/plain': { schema: z.string() } },
        },
        ...errorResponses(),
      },
    };
    // This process's counters plus the pipeline gauges (read from Redis, shared for a second).
    app.get('/metrics', { schema: metricsSchema, config: { access: 'read' } }, async (_req, reply) => {
      const text = await deps.metrics.render();
      return reply.type(deps.metrics.contentType).send(text);
    });
  };
}
