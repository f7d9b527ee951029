import { Classifier } from '@triage/classifier';
import { type DeadLetterJob, JOBS, type ResultJob } from '@triage/contracts';
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
import type { Queue } from 'bullmq';
import { classifyProcessor } from './processors/classify.processor.ts';

/** The classify worker process. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger('classify-worker', config.LOG_LEVEL);
  const shutdown = new Shutdown(logger, config.SHUTDOWN_TIMEOUT_MS);
  const prefix = config.QUEUE_PREFIX;
  const connection = createRedis(config.REDIS_URL, 'worker');
  const redis = createRedis(config.REDIS_URL, 'client');
  await waitForRedis(redis, config.REDIS_URL, 15_000);

  const store = new AlertStore(redis, prefix, config.RESULT_TTL_SECONDS);
  const metrics = new Metrics(redis, prefix);
  const resultsQueue = createQueue(JOBS.results, connection, prefix) as Queue<ResultJob>;
  const deadLetter = createQueue(JOBS.deadLetter, connection, prefix) as Queue<DeadLetterJob>;
  const classifier = new Classifier({
    redis,
    prefix,
    config,
    logger: logger.child({ component: 'classifier' }),
    metrics,
  });

  const worker = createWorker(
    JOBS.classify,
    classifyProcessor({ store, classifier, resultsQueue, metrics }),
    {
      connection,
      prefix,
      concurrency: config.WORKER_CONCURRENCY,
      lockDuration: config.WORKER_LOCK_MS,
      stalledInterval: config.WORKER_LOCK_MS,
    },
  );
  onFinalFailure(worker, { store, deadLetter, metrics, logger });
  worker.on('error', (err) => logger.error({ err }, 'classify worker error'));

  shutdown.add('classify-worker', 'workers', () => worker.close());
  shutdown.add('classifier', 'queues', () => classifier.close());
  shutdown.add('queues', 'queues', () => Promise.all([resultsQueue.close(), deadLetter.close()]));
  shutdown.add('metrics', 'queues', () => metrics.close());
  shutdown.add('redis', 'redis', () => Promise.allSettled([redis.quit(), connection.quit()]));
  shutdown.add('logs', 'logs', () => logger.flush());
  shutdown.installSignals();
  logger.info({ concurrency: config.WORKER_CONCURRENCY }, 'classify worker running');
}

main().catch((err: unknown) => {
  console.error(`classify-worker failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
