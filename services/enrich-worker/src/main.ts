import { type AlertJob, JOBS } from '@triage/contracts';
import { IntelService } from '@triage/intel';
import {
  createQueue,
  createWorker,
  onFinalFailure,
  runMain,
  StrandedSweeper,
  startWorkerProcess,
  workerLockOptions,
} from '@triage/runtime';
import { Job, type Queue } from 'bullmq';
import { enrichProcessor } from './processors/enrich.processor.ts';

/** The enrich worker process: the enrich queue plus one rate-limited lookup queue per configured provider. */
runMain('enrich-worker', async () => {
  const p = await startWorkerProcess('enrich-worker', process.env);
  const { config, logger, shutdown, store, metrics } = p;
  const enrichQueue = createQueue(JOBS.enrich, p.connection, p.prefix) as Queue<AlertJob>;
  const classifyQueue = createQueue(JOBS.classify, p.connection, p.prefix) as Queue<AlertJob>;

  const intel = new IntelService({
    redis: p.redis,
    connection: p.connection,
    prefix: p.prefix,
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
  // Lookups held by a killed process come back as soon as the alerts waiting for them do.
  const lookupWorkers = intel.startLookupWorkers({ lock: workerLockOptions(config.WORKER_LOCK_MS) });

  const worker = createWorker(
    JOBS.enrich,
    enrichProcessor({
      store,
      intel,
      classifyQueue,
      metrics,
      logger: logger.child({ queue: JOBS.enrich.name }),
    }),
    p.workerOptions,
  );
  onFinalFailure(worker, { store, deadLetter: p.deadLetter, metrics, logger });
  worker.on('error', (err) => logger.error({ err }, 'enrich worker error'));
  for (const w of [worker, ...lookupWorkers]) p.heartbeat.watch(w);
  // /health reads this snapshot instead of building an IntelService in the ingest process.
  p.heartbeat.report('intel', () => intel.status());

  const sweeper = new StrandedSweeper({
    redis: p.redis,
    prefix: p.prefix,
    store,
    enrich: enrichQueue,
    classify: classifyQueue,
    deadLetter: p.deadLetter,
    metrics,
    logger: logger.child({ component: 'sweeper' }),
    intervalMs: config.SWEEP_INTERVAL_MS,
    strandedAfterMs: config.SWEEP_STRANDED_AFTER_MS,
    maxRedrives: config.SWEEP_MAX_REDRIVES,
  });
  sweeper.start();

  shutdown.add('sweeper', 'workers', () => sweeper.close());
  shutdown.add('enrich-worker', 'workers', () => worker.close());
  for (const w of lookupWorkers) shutdown.add(`lookup-worker:${w.name}`, 'workers', () => w.close());
  shutdown.add('intel', 'queues', () => intel.close());
  shutdown.add('queues', 'queues', () => Promise.all([enrichQueue.close(), classifyQueue.close()]));
  shutdown.installSignals();
  logger.info(
    { concurrency: config.WORKER_CONCURRENCY, lookups: lookupWorkers.map((w) => w.name) },
    'enrich worker running',
  );
});
