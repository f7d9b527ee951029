/**
 * `pnpm docs:screenshot [URL] [OUT.png]`: opens the API docs (Swagger UI at /docs) in headless
 * Chromium and saves a screenshot. Without URL it starts an ingest app in this process (Redis at
 * REDIS_URL). Needs Debian's `chromium` (or CHROMIUM_PATH); the flags keep it off the network.
 */
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Loads `<url>/docs`, waits for the operations to render, saves `out`; returns the operations shown. */
export async function screenshotDocs(
  url: string,
  out: string,
): Promise<{ operations: string[]; title: string }> {
  // Playwright gives every launch a fresh, empty profile (--user-data-dir) of its own.
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    await page.goto(`${url}/docs`, { waitUntil: 'networkidle' });
    await page.waitForSelector('.swagger-ui .opblock-summary-path', { timeout: 30_000 });
    const operations = await page.$$eval('.opblock-summary', (els) =>
      els.map((e) => (e.textContent ?? '').replace(/\s+/g, ' ').trim()),
    );
    const title = (await page.textContent('.swagger-ui .title'))?.trim() ?? '';
    await page.screenshot({ path: out, fullPage: true });
    return { operations, title };
  } finally {
    await browser.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[3] ?? 'docs/img/api-docs.png';
  let url = process.argv[2];
  let stop = async () => {};
  if (!url) {
    const { buildApp, createIngestDeps } = await import('@triage/ingest');
    const { createLogger, loadConfig, Shutdown, waitForRedis } = await import('@triage/runtime');
    const config = loadConfig({
      ...process.env,
      QUEUE_PREFIX: 'docs-screenshot',
      LOG_LEVEL: 'warn',
      PORT: '0',
    });
    const logger = createLogger('docs-screenshot', 'warn');
    const shutdown = new Shutdown(logger, 5000);
    const deps = createIngestDeps(config, logger, shutdown);
    await waitForRedis(deps.redis, config.REDIS_URL);
    const app = await buildApp(deps);
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    stop = async () => {
      await app.close();
      await shutdown.run('done');
    };
  }
  try {
    const r = await screenshotDocs(url, out);
    console.log(`${out}: "${r.title}", ${r.operations.length} operations`);
  } finally {
    await stop();
  }
}
