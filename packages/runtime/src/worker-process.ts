import { type DeadLetterJob, JOBS } from '@triage/contracts';
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { AlertStore } from './alert-store.ts';
import { loadConfig, type TriageConfig } from './config/load-config.ts';
import { Heartbeat } from './heartbeat.ts';
import { createLogger } from './logger.ts';
import { Metrics } from './metrics.ts';
import { startOpsServer } from './ops-server.ts';
import { type CreateWorkerOptions, createQueue, workerLockOptions } from './queue-factory.ts';
import { createRedis, type Redis, redisTarget, waitForRedis } from './redis.ts';
import { Shutdown } from './shutdown.ts';
import { WorkerHealth } from './worker-health.ts';

/** What every worker process starts from: config, logger, connections, store, metrics, dead letters. */
export interface WorkerProcess {
  config: TriageConfig;
  logger: Logger;
  shutdown: Shutdown;
  prefix: string;
  /** BullMQ connection (`maxRetriesPerRequest: null`). */
  connection: Redis;
  /** General commands (store, caches, ledgers). */
  redis: Redis;
  store: AlertStore;
  metrics: Metrics;
  deadLetter: Queue<DeadLetterJob>;
  /** Reports this process's workers and component status to Redis (`watch` each worker). */
  heartbeat: Heartbeat;
  /** Liveness and readiness, served on WORKER_HTTP_PORT with this process's metrics. */
  health: WorkerHealth;
  /** Options every Worker of the process shares (concurrency, lock, stalled check, job timing). */
  workerOptions: CreateWorkerOptions & { connection: Redis };
}

/**
 * Boots a worker process: parses the environment once, connects (waiting for Redis a bounded time),
 * starts the heartbeat and registers the shared shutdown steps (heartbeat, dead-letter queue,
 * metrics, Redis, logs). The caller adds its workers (phase `workers`, and `heartbeat.watch`) and
 * anything else it opens, then calls `shutdown.installSignals()`.
 */
export async function startWorkerProcess(
  service: string,
  env: Record<string, string | undefined>,
): Promise<WorkerProcess> {
  const config = loadConfig(env);
  const logger = createLogger(service, config.LOG_LEVEL);
  const shutdown = new Shutdown(logger, config.SHUTDOWN_TIMEOUT_MS);
  const prefix = config.QUEUE_PREFIX;
  const connection = createRedis(redisTarget(config), 'worker');
  const redis = createRedis(redisTarget(config), 'client');
  await waitForRedis(redis, redisTarget(config), 15_000);
  const metrics = new Metrics();
  const deadLetter = createQueue(JOBS.deadLetter, connection, prefix) as Queue<DeadLetterJob>;
  const heartbeat = new Heartbeat({ redis, prefix, logger });
  heartbeat.start();
  const health = new WorkerHealth({
    heartbeat,
    connections: [connection, redis],
    stuckAfterMs: config.WORKER_STUCK_MS,
  });
  // Probes keep answering while the workers drain (live, not ready), so the server closes late.
  shutdown.add('not-ready', 'http', () => health.shuttingDown());
  if (config.WORKER_HTTP_PORT > 0) {
    const ops = await startOpsServer({
      host: config.WORKER_HTTP_HOST,
      port: config.WORKER_HTTP_PORT,
      metrics,
      health,
    });
    shutdown.add('ops-http', 'redis', () => ops.close());
    logger.info({ url: ops.url }, 'metrics and health endpoint listening');
  }

  // Out of the worker counts as soon as the workers have stopped taking jobs.
  shutdown.add('heartbeat', 'queues', () => heartbeat.close());
  shutdown.add('dead-letter', 'queues', () => deadLetter.close());
  shutdown.add('metrics', 'queues', () => metrics.close());
  shutdown.add('redis', 'redis', () => Promise.allSettled([redis.quit(), connection.quit()]));
  shutdown.add('logs', 'logs', () => logger.flush());

  return {
    config,
    logger,
    shutdown,
    prefix,
    connection,
    redis,
    store: new AlertStore(redis, prefix, config.RESULT_TTL_SECONDS),
    metrics,
    deadLetter,
    heartbeat,
    health,
    workerOptions: {
      connection,
      prefix,
      concurrency: config.WORKER_CONCURRENCY,
      ...workerLockOptions(config.WORKER_LOCK_MS),
      track: health.track,
    },
  };
}

/** Runs a process's `main`, turning a startup failure into one clear line and exit code 1. */
export function runMain(service: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(`${service} failed to start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
