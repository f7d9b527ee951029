import { availableParallelism } from 'node:os';
import { type AlertJob, JOBS, type QueueName } from '@triage/contracts';
import { PendingLookups } from '@triage/intel';
import { autonomyPolicy, VerdictMemory } from '@triage/memory';
import {
  AlertStore,
  createQueue,
  createRedis,
  keys,
  type Logger,
  Metrics,
  PipelineStatus,
  redisTarget,
  registerPipelineMetrics,
  type Shutdown,
  type TriageConfig,
} from '@triage/runtime';
import type { Queue } from 'bullmq';
import type { AppDeps } from './app-deps.ts';
import { AuditLog } from './lib/audit-log.ts';
import { Backpressure } from './lib/backpressure.ts';
import { CompletionWaiter } from './lib/completion-waiter.ts';
import { ETA_VALUES, EtaEstimator } from './lib/eta.ts';
import { IdempotentBatches } from './lib/idempotency.ts';
import { Intake } from './lib/intake.ts';
import { IntakePool } from './lib/intake-pool.ts';

/**
 * Builds the ingest service's dependencies from config: a fail-fast producer connection for the
 * request path, a subscriber for /analyze, every queue for Bull Board, the pipeline status reader
 * for /health and /metrics. Registers their shutdown.
 */
export function createIngestDeps(config: TriageConfig, logger: Logger, shutdown: Shutdown): AppDeps {
  const redis = createRedis(redisTarget(config), 'producer');
  const sub = createRedis(redisTarget(config), 'worker');
  // BullMQ's own connection for queue reads and adds; it fails fast too (no offline queue).
  const connection = createRedis(redisTarget(config), 'producer', { maxRetriesPerRequest: null });
  const prefix = config.QUEUE_PREFIX;
  const queues = new Map<QueueName, Queue>();
  for (const spec of Object.values(JOBS))
    queues.set(spec.name, createQueue(spec, connection, prefix) as Queue);
  const enrichQueue = queues.get(JOBS.enrich.name) as Queue<AlertJob>;
  const store = new AlertStore(redis, prefix, config.RESULT_TTL_SECONDS);
  const metrics = new Metrics();
  const waiter = new CompletionWaiter(sub, store.completedChannel);

  shutdown.add('completion-waiter', 'queues', () => waiter.close());
  for (const [name, q] of queues) shutdown.add(`queue:${name}`, 'queues', () => q.close());
  shutdown.add('redis', 'redis', async () => {
    await Promise.allSettled([redis.quit(), connection.quit()]);
  });

  const limits = { maxDepth: config.MAX_JSON_DEPTH, maxFieldBytes: config.MAX_FIELD_BYTES };
  const threads = config.INGEST_THREADS ?? Math.min(4, Math.max(1, availableParallelism() - 1));
  const pool = threads > 0 ? new IntakePool(threads, limits) : undefined;
  if (pool) shutdown.add('intake-threads', 'queues', () => pool.close());

  // Status the workers publish (Heartbeat.report): ingest never builds IntelService or Classifier.
  const pendingLookups = new PendingLookups(redis, prefix, config);
  const pipeline = new PipelineStatus({
    redis,
    prefix,
    queues: [...queues.keys()],
    components: ['intel', 'llm'],
    // For the ETA: the pipeline-wide `done` counter and the lookups still ahead per provider.
    values: {
      [ETA_VALUES.done]: ['hget', keys(prefix).progress, 'done'],
      ...Object.fromEntries(
        (['abuseipdb', 'virustotal'] as const).map((p) => [
          ETA_VALUES.ahead(p),
          ['scard', pendingLookups.key(p)],
        ]),
      ),
    },
  });
  registerPipelineMetrics(metrics.registry, pipeline);

  return {
    config,
    logger,
    redis,
    store,
    enrichQueue,
    queues,
    intake: new Intake(store, enrichQueue, metrics, { limits, lookups: pendingLookups, pool }),
    eta: new EtaEstimator(config),
    idempotency: new IdempotentBatches(redis, prefix, config.RESULT_TTL_SECONDS),
    waiter,
    backpressure: new Backpressure(
      [enrichQueue, queues.get(JOBS.classify.name)!],
      config.ENRICH_MAX_BACKLOG,
      {
        redis,
        watermark: config.REDIS_MEMORY_WATERMARK,
      },
    ),
    metrics,
    pipeline,
    audit: new AuditLog(redis, prefix, logger),
    memory: new VerdictMemory({
      redis,
      prefix,
      policy: autonomyPolicy(config),
      incidentWindowMs: config.INCIDENT_WINDOW_MINUTES * 60_000,
      ttlSeconds: config.RESULT_TTL_SECONDS,
      baselineDays: config.BASELINE_DAYS,
      metadataEntity: config.MEMORY_REQUIRE_METADATA_ENTITY,
    }),
  };
}
