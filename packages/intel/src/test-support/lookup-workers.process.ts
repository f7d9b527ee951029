/**
 * A lookup-worker process for the multi-process rate-limit test: it runs IntelService lookup
 * workers against the Redis / QUEUE_PREFIX in its environment, announces readiness on stdout and
 * publishes wake-ups on `${prefix}:test-wake` so the parent's gathers can continue.
 * Usage: `node --conditions=source lookup-workers.process.ts` with the intel env vars set.
 */
import { createLogger, createRedis, loadConfig, Metrics } from '@triage/runtime';
import { IntelService } from '../intel-service.ts';

const config = loadConfig(process.env);
const prefix = config.QUEUE_PREFIX;
const redis = createRedis(config.REDIS_URL, 'client');
const publisher = createRedis(config.REDIS_URL, 'client');
const metrics = new Metrics({ processMetrics: false });
const service = new IntelService({
  redis,
  connection: { url: config.REDIS_URL, maxRetriesPerRequest: null },
  prefix,
  config,
  logger: createLogger('intel-lookup-child', config.LOG_LEVEL),
  metrics,
  wake: async (ids) => {
    await publisher.publish(`${prefix}:test-wake`, JSON.stringify(ids));
  },
});
const workers = service.startLookupWorkers({ concurrency: 4 });
await Promise.all(workers.map((w) => w.waitUntilReady()));
process.stdout.write('ready\n');

process.once('SIGTERM', () => {
  void (async () => {
    await service.close();
    await metrics.close();
    redis.disconnect();
    publisher.disconnect();
  })();
});
