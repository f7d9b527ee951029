import { isIP } from 'node:net';
import { createLogger, loadConfig, redisTarget, Shutdown, waitForRedis } from '@triage/runtime';
import { buildApp } from './app.ts';
import { createIngestDeps } from './wiring.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger('ingest', config.LOG_LEVEL);
  const anyKey = [
    config.TRIAGE_API_KEYS,
    config.TRIAGE_INGEST_KEYS,
    config.TRIAGE_READ_KEYS,
    config.TRIAGE_ANALYST_KEYS,
  ].some((l) => l.length > 0);
  if (!anyKey && !LOOPBACK.has(config.HOST) && !(isIP(config.HOST) && config.HOST.startsWith('127.'))) {
    throw new Error(
      `HOST=${config.HOST} without TRIAGE_API_KEYS would expose an unauthenticated API; set TRIAGE_API_KEYS or bind 127.0.0.1`,
    );
  }
  const shutdown = new Shutdown(logger, config.SHUTDOWN_TIMEOUT_MS);
  const deps = createIngestDeps(config, logger, shutdown);
  await waitForRedis(deps.redis, redisTarget(config), 15_000);
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
