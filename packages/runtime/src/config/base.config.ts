import { z } from 'zod';
import { EnvInt, EnvList } from './env.ts';

/** Settings every process reads (README "Configuration"). */
export const BaseConfig = z.object({
  /** Redis connection (queues, caches, limits, results). Use `rediss://` for TLS. */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'expected redis://host:port')
    .default('redis://127.0.0.1:6379'),
  /**
   * Redis Cluster seed nodes, `host:port,...`: every process then uses an ioredis Cluster (user,
   * password and TLS still come from REDIS_URL). QUEUE_PREFIX must carry a hash tag (`{triage}`, the
   * default with a cluster) so BullMQ's multi-key scripts and every other key of the stack share one
   * slot. Empty = one Redis at REDIS_URL.
   */
  REDIS_CLUSTER_NODES: EnvList.pipe(
    z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port')),
  ).default([]),
  /**
   * BullMQ prefix and key namespace: several stacks can share one Redis. With Redis Cluster it must
   * carry a hash tag, e.g. `{triage}` (the default when REDIS_CLUSTER_NODES is set).
   */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}.-]+$/, 'letters, digits, _ . - { } only')
    .default('triage'),
  /** pino log level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How long alert records and verdicts stay queryable. */
  RESULT_TTL_SECONDS: EnvInt(60).default(7 * 24 * 3600),
  /** Concurrency of each worker process. */
  WORKER_CONCURRENCY: EnvInt(1, 1000).default(16),
  /**
   * Job lock of every worker, renewed every third of it; the stalled check runs every quarter. A
   * worker killed outright (SIGKILL, OOM, power) leaves its jobs locked: they run again at most
   * 1.25× this after the kill (12.5 s by default), never lost. Shorter recovers sooner, but a worker
   * whose event loop stalls for two thirds of it loses its job to another (run twice: a duplicate
   * webhook at worst). docs/operations.md has the trade-off.
   */
  WORKER_LOCK_MS: EnvInt(1000).default(10_000),
  /**
   * How often an enrich worker process looks for stranded alerts: records in progress that no job
   * will move (Redis refused writes at the wrong moment, a queue cleaned by hand). One process
   * sweeps at a time.
   */
  SWEEP_INTERVAL_MS: EnvInt(500).default(30_000),
  /** An alert is looked at once it was accepted, or last seen moving, this long ago. */
  SWEEP_STRANDED_AFTER_MS: EnvInt(1000).default(120_000),
  /** A stranded alert is queued again this many times, then marked failed (visible, dead-lettered). */
  SWEEP_MAX_REDRIVES: EnvInt(0, 100).default(3),
  /** How long shutdown may take before in-flight work is left to BullMQ's stalled-job recovery. */
  SHUTDOWN_TIMEOUT_MS: EnvInt(100).default(10_000),
});
