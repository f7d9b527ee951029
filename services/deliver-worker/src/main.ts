import { type DeadLetterJob, JOBS } from '@triage/contracts';
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
import { WebhookClient } from './lib/webhook-client.ts';
import { webhookSettings } from './lib/webhook-settings.ts';
import { deliverProcessor } from './processors/deliver.processor.ts';

/** The deliver worker process: results queue → the SOAR webhook (or straight to completed without one). */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const settings = webhookSettings(config);
  const logger = createLogger('deliver-worker', config.LOG_LEVEL);
  const shutdown = new Shutdown(logger, config.SHUTDOWN_TIMEOUT_MS);
  const prefix = config.QUEUE_PREFIX;
  const connection = createRedis(config.REDIS_URL, 'worker');
  const redis = createRedis(config.REDIS_URL, 'client');
  await waitForRedis(redis, config.REDIS_URL, 15_000);

  const store = new AlertStore(redis, prefix, config.RESULT_TTL_SECONDS);
  const metrics = new Metrics(redis, prefix);
  const deadLetter = createQueue(JOBS.deadLetter, connection, prefix) as Queue<DeadLetterJob>;
  const client = settings ? new WebhookClient(settings) : undefined;

  const worker = createWorker(
    JOBS.results,
    deliverProcessor({ client, store, metrics, logger: logger.child({ queue: JOBS.results.name }) }),
    {
      connection,
      prefix,
      concurrency: config.WORKER_CONCURRENCY,
      lockDuration: config.WORKER_LOCK_MS,
      stalledInterval: config.WORKER_LOCK_MS,
    },
  );
  // No store: the alert itself completed; only its delivery failed, and the dead-letter copy keeps it replayable.
  onFinalFailure(worker, { deadLetter, metrics, logger });
  worker.on('error', (err) => logger.error({ err }, 'deliver worker error'));

  shutdown.add('deliver-worker', 'workers', () => worker.close());
  shutdown.add('queues', 'queues', () => deadLetter.close());
  shutdown.add('metrics', 'queues', () => metrics.close());
  shutdown.add('redis', 'redis', () => Promise.allSettled([redis.quit(), connection.quit()]));
  shutdown.add('logs', 'logs', () => logger.flush());
  shutdown.installSignals();

  if (!settings) logger.info('WEBHOOK_URL not set: results are acknowledged without delivery');
  else if (!settings.secret) logger.warn('WEBHOOK_ALLOW_UNSIGNED=true: deliveries are not signed');
  logger.info(
    { concurrency: config.WORKER_CONCURRENCY, webhook: settings ? new URL(settings.url).origin : null },
    'deliver worker running',
  );
}

main().catch((err: unknown) => {
  console.error(`deliver-worker failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
