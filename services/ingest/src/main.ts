import { isIP } from 'node:net';
import { Classifier } from '@triage/classifier';
import { IntelService } from '@triage/intel';
import { createLogger, createRedis, loadConfig, Metrics, Shutdown, waitForRedis } from '@triage/runtime';
import { buildApp } from './app.ts';
import { createIngestDeps } from './wiring.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger('ingest', config.LOG_LEVEL);
  if (
    config.TRIAGE_API_KEYS.length === 0 &&
    !LOOPBACK.has(config.HOST) &&
    !(isIP(config.HOST) && config.HOST.startsWith('127.'))
  ) {
    throw new Error(
      `HOST=${config.HOST} without TRIAGE_API_KEYS would expose an unauthenticated API; set TRIAGE_API_KEYS or bind 127.0.0.1`,
    );
  }
  const shutdown = new Shutdown(logger, config.SHUTDOWN_TIMEOUT_MS);
  // Read-only views of the intel and LLM ledgers in Redis, for /health (no lookup workers here).
  const statusRedis = createRedis(config.REDIS_URL, 'client');
  const statusMetrics = new Metrics(statusRedis, config.QUEUE_PREFIX);
  const common = { redis: statusRedis, prefix: config.QUEUE_PREFIX, config, logger, metrics: statusMetrics };
  const intel = new IntelService({ ...common, connection: statusRedis });
  const classifier = new Classifier(common);
  shutdown.add('status', 'queues', () =>
    Promise.allSettled([intel.close(), classifier.close(), statusMetrics.close()]),
  );
  shutdown.add('status-redis', 'redis', () => statusRedis.quit());
  const status = async () => ({ providers: await intel.status(), ...(await classifier.status()) });
  const deps = createIngestDeps(config, logger, shutdown, status);
  await waitForRedis(deps.redis, config.REDIS_URL, 15_000);
  const app = await buildApp(deps);
  shutdown.add('http', 'http', () => app.close());
  shutdown.add('logs', 'logs', () => logger.flush());
  shutdown.installSignals();
  await app.listen({ host: config.HOST, port: config.PORT });
  logger.info({ host: config.HOST, port: config.PORT }, 'ingest listening');
}

main().catch((err: unknown) => {
  console.error(`ingest failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
