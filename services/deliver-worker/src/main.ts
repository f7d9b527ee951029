import { JOBS } from '@triage/contracts';
import { createWorker, onFinalFailure, runMain, startWorkerProcess } from '@triage/runtime';
import { WebhookClient } from './lib/webhook-client.ts';
import { webhookSettings } from './lib/webhook-settings.ts';
import { deliverProcessor } from './processors/deliver.processor.ts';

/** The deliver worker process: results queue → the SOAR webhook (or straight to completed without one). */
runMain('deliver-worker', async () => {
  const p = await startWorkerProcess('deliver-worker', process.env);
  const { config, logger, shutdown, store, metrics } = p;
  const settings = webhookSettings(config);
  const client = settings ? new WebhookClient(settings) : undefined;

  const worker = createWorker(
    JOBS.results,
    deliverProcessor({ client, store, metrics, logger: logger.child({ queue: JOBS.results.name }) }),
    p.workerOptions,
  );
  // No store: the alert itself completed; only its delivery failed, and the dead-letter copy keeps it replayable.
  onFinalFailure(worker, { deadLetter: p.deadLetter, metrics, logger });
  worker.on('error', (err) => logger.error({ err }, 'deliver worker error'));
  p.heartbeat.watch(worker);

  shutdown.add('deliver-worker', 'workers', () => worker.close());
  shutdown.installSignals();

  if (!settings) logger.info('WEBHOOK_URL not set: results are acknowledged without delivery');
  else if (!settings.secret) logger.warn('WEBHOOK_ALLOW_UNSIGNED=true: deliveries are not signed');
  logger.info(
    { concurrency: config.WORKER_CONCURRENCY, webhook: settings ? new URL(settings.url).origin : null },
    'deliver worker running',
  );
});
