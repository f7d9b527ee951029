import { type AlertJob, type DeadLetterJob, JOBS } from '@triage/contracts';
import { IntelService } from '@triage/intel';
import {
  AlertStore,
  createLogger,
  createQueue,
  createRedis,
  createWorker,
  loadConfig,
  Metrics,
  onFinalFailure,
  Shutdown,
  waitForRedis,
} from '@triage/runtime';
import { Job, type Queue } from 'bullmq';
import { enrichProcessor } from './processors/enrich.processor.ts';

/** The enrich worker process: the enrich queue plus one rate-limited lookup queue per configured provider. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger('enrich-worker', config.LOG_LEVEL);
  const shutdown = new Shutdown(logger, config.SHUTDOWN_TIMEOUT_MS);
  const prefix = config.QUEUE_PREFIX;
  const connection = createRedis(config.REDIS_URL, 'worker');
  const redis = createRedis(config.REDIS_URL, 'client');
  await waitForRedis(redis, config.REDIS_URL, 15_000);

  const store = new AlertStore(redis, prefix, config.RESULT_TTL_SECONDS);
  const metrics = new Metrics(redis, prefix);
  const enrichQueue = createQueue(JOBS.enrich, connection, prefix) as Queue<AlertJob>;
  const classifyQueue = createQueue(JOBS.classify, connection, prefix) as Queue<AlertJob>;
  const deadLetter = createQueue(JOBS.deadLetter, connection, prefix) as Queue<DeadLetterJob>;

  const intel = new IntelService({
    redis,
    connection,
    prefix,
    config,
    logger: logger.child({ component: 'intel' }),
    metrics,
    // A finished lookup wakes the parked alerts that wait for it.
    wake: async (ids) => {
      await Promise.all(
        ids.map(async (id) => {
          const job = await Job.fromId(enrichQueue, id);
          await job?.promote().catch(() => undefined);
        }),
      );
    },
  });
  const lookupWorkers = intel.startLookupWorkers();

  const worker = createWorker(
    JOBS.enrich,
    enrichProcessor({
      store,
      intel,
      classifyQueue,
      metrics,
      logger: logger.child({ queue: JOBS.enrich.name }),
    }),
    {
      connection,
      prefix,
      concurrency: config.WORKER_CONCURRENCY,
      lockDuration: config.WORKER_LOCK_MS,
      stalledInterval: config.WORKER_LOCK_MS,
    },
  );
  onFinalFailure(worker, { store, deadLetter, metrics, logger });
  worker.on('error', (err) => logger.error({ err }, 'enrich worker error'));

  shutdown.add('enrich-worker', 'workers', () => worker.close());
  for (const w of lookupWorkers) shutdown.add(`lookup-worker:${w.name}`, 'workers', () => w.close());
  shutdown.add('intel', 'queues', () => intel.close());
  shutdown.add('queues', 'queues', () =>
    Promise.all([enrichQueue.close(), classifyQueue.close(), deadLetter.close()]),
  );
  shutdown.add('metrics', 'queues', () => metrics.close());
  shutdown.add('redis', 'redis', () => Promise.allSettled([redis.quit(), connection.quit()]));
  shutdown.add('logs', 'logs', () => logger.flush());
  shutdown.installSignals();
  logger.info(
    { concurrency: config.WORKER_CONCURRENCY, lookups: lookupWorkers.map((w) => w.name) },
    'enrich worker running',
  );
}

main().catch((err: unknown) => {
  console.error(`enrich-worker failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
