import { Classifier } from '@triage/classifier';
import { JOBS, type ResultJob } from '@triage/contracts';
import { autonomyPolicy, VerdictMemory } from '@triage/memory';
import { createQueue, createWorker, onFinalFailure, runMain, startWorkerProcess } from '@triage/runtime';
import type { Queue } from 'bullmq';
import { classifyProcessor } from './processors/classify.processor.ts';

/** The classify worker process. */
runMain('classify-worker', async () => {
  const p = await startWorkerProcess('classify-worker', process.env);
  const { config, logger, shutdown, store, metrics } = p;
  const resultsQueue = createQueue(JOBS.results, p.connection, p.prefix) as Queue<ResultJob>;
  const classifier = new Classifier({
    redis: p.redis,
    prefix: p.prefix,
    config,
    logger: logger.child({ component: 'classifier' }),
    metrics,
  });

  const memory = new VerdictMemory({
    redis: p.redis,
    prefix: p.prefix,
    policy: autonomyPolicy(config),
    incidentWindowMs: config.INCIDENT_WINDOW_MINUTES * 60_000,
    ttlSeconds: config.RESULT_TTL_SECONDS,
    baselineDays: config.BASELINE_DAYS,
    metadataEntity: config.MEMORY_REQUIRE_METADATA_ENTITY,
  });

  const worker = createWorker(
    JOBS.classify,
    classifyProcessor({ store, classifier, memory, resultsQueue, metrics }),
    p.workerOptions,
  );
  onFinalFailure(worker, { store, deadLetter: p.deadLetter, metrics, logger });
  worker.on('error', (err) => logger.error({ err }, 'classify worker error'));
  p.heartbeat.watch(worker);
  // /health reads this snapshot instead of building a Classifier in the ingest process.
  p.heartbeat.report('llm', async () => (await classifier.status()).llm);

  shutdown.add('classify-worker', 'workers', () => worker.close());
  shutdown.add('classifier', 'queues', () => classifier.close());
  shutdown.add('results-queue', 'queues', () => resultsQueue.close());
  shutdown.installSignals();
  logger.info({ concurrency: config.WORKER_CONCURRENCY }, 'classify worker running');
});
