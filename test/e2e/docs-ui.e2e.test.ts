import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, createIngestDeps } from '@triage/ingest';
import { createLogger, loadConfig, Shutdown, waitForRedis } from '@triage/runtime';
import { type RedisFixture, redisFixture } from '@triage/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH, screenshotDocs } from '../../scripts/screenshot-docs.ts';

/** /docs renders as Swagger UI in a real headless Chromium (Debian's), screenshot included. */
const hasChromium = existsSync(CHROMIUM_PATH);
if (!hasChromium)
  console.warn(`no Chromium at ${CHROMIUM_PATH} (Debian package chromium): /docs UI test skipped`);

let fx: RedisFixture;
let app: FastifyInstance;
let shutdown: Shutdown;
let url = '';

describe.skipIf(!hasChromium)('the API docs UI', () => {
  beforeAll(async () => {
    fx = await redisFixture('docs-ui');
    const logger = createLogger('test', 'silent');
    shutdown = new Shutdown(logger, 5000);
    const deps = createIngestDeps(
      loadConfig({ REDIS_URL: fx.url, QUEUE_PREFIX: fx.prefix, LOG_LEVEL: 'silent' }),
      logger,
      shutdown,
    );
    await waitForRedis(deps.redis, fx.url);
    app = await buildApp(deps);
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await shutdown?.run('test');
    await fx?.close();
  });

  it('shows every operation in headless Chromium', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'triage-docs-ui-'));
    try {
      const out = join(dir, 'docs.png');
      const page = await screenshotDocs(url, out);
      expect(page.title).toContain('triage');
      const shown = page.operations.join('\n');
      for (const route of [
        '/v1/alerts',
        '/v1/alerts/batch',
        '/v1/alerts/{id}',
        '/v1/batches/{id}',
        '/analyze',
        '/health',
        '/metrics',
      ])
        expect(shown).toContain(route);
      expect(statSync(out).size).toBeGreaterThan(30_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
