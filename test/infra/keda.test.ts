import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JOBS } from '@triage/contracts';
import { buildApp, createIngestDeps } from '@triage/ingest';
import { createLogger, createQueue, loadConfig, Shutdown, waitForRedis } from '@triage/runtime';
import { freePort, type RedisFixture, readJson, redisFixture, waitFor } from '@triage/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

/**
 * The KEDA triggers of infra/k8s/base/keda.yaml, run as KEDA would: their exact PromQL against a
 * real Prometheus that scrapes two ingest replicas, while every job is prioritized. The usual
 * BullMQ recipe (KEDA's Redis scaler on `LLEN <prefix>:<queue>:wait`) reads 0 meanwhile.
 */
const hasPrometheus = spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasPrometheus)
  console.warn('prometheus not installed (Debian package prometheus): KEDA trigger test skipped');

type Trigger = {
  spec: { scaleTargetRef: { name: string }; triggers: Array<{ metadata: { query: string } }> };
};
const triggers = parseAllDocuments(
  readFileSync(new URL('../../infra/k8s/base/keda.yaml', import.meta.url), 'utf8'),
)
  .map((d) => d.toJSON() as Trigger)
  .map((o) => [o.spec.scaleTargetRef.name, o.spec.triggers[0]!.metadata.query] as const);
const query = (target: string) => triggers.find(([t]) => t === target)![1];

let fx: RedisFixture;
let shutdown: Shutdown;
const replicas: FastifyInstance[] = [];
let prometheus: ChildProcess | undefined;
let promUrl = '';
let dir = '';

describe.skipIf(!hasPrometheus)('KEDA triggers read the prioritized backlog', () => {
  beforeAll(async () => {
    fx = await redisFixture('keda');
    const logger = createLogger('test', 'silent');
    shutdown = new Shutdown(logger, 5000);
    const targets: string[] = [];
    for (let i = 0; i < 2; i++) {
      const deps = createIngestDeps(
        loadConfig({ REDIS_URL: fx.url, QUEUE_PREFIX: fx.prefix, LOG_LEVEL: 'silent' }),
        logger,
        shutdown,
      );
      await waitForRedis(deps.redis, fx.url);
      const app = await buildApp(deps);
      const port = await freePort();
      await app.listen({ host: '127.0.0.1', port });
      replicas.push(app);
      targets.push(`127.0.0.1:${port}`);
    }
    dir = mkdtempSync(join(tmpdir(), 'triage-prometheus-'));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: ingest\n    static_configs:\n      - targets: ${JSON.stringify(targets)}\n`,
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: 'ignore' },
    );
    await waitFor(async () => (await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.ok, {
      timeoutMs: 30_000,
      intervalMs: 200,
      message: 'prometheus ready',
    });
  }, 60_000);

  afterAll(async () => {
    prometheus?.kill('SIGKILL');
    await Promise.all(replicas.map((a) => a.close()));
    await shutdown?.run('test');
    await fx?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const value = async (q: string) => {
    const body = await readJson(await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`));
    const sample = body.data?.result?.[0]?.value?.[1];
    return sample === undefined ? undefined : Number(sample);
  };

  it('counts prioritized jobs once across ingest replicas, while LLEN of the wait list reads 0', {
    timeout: 60_000,
  }, async () => {
    const enrich = createQueue(JOBS.enrich, fx.redis, fx.prefix);
    const classify = createQueue(JOBS.classify, fx.redis, fx.prefix);
    await enrich.addBulk(
      Array.from({ length: 42 }, (_, i) => ({
        name: 'a',
        data: { alert_id: `e${i}` },
        opts: { priority: 1 + (i % 5) },
      })),
    );
    await classify.addBulk(
      Array.from({ length: 7 }, (_, i) => ({
        name: 'a',
        data: { alert_id: `c${i}` },
        opts: { priority: 2 },
      })),
    );
    // What KEDA's Redis list scaler would read with the usual BullMQ recipe.
    expect(await fx.redis.llen(`${fx.prefix}:${JOBS.enrich.name}:wait`)).toBe(0);

    await waitFor(async () => (await value(query('enrich-worker'))) === 42, {
      timeoutMs: 30_000,
      intervalMs: 250,
      message: `enrich trigger = 42: ${query('enrich-worker')}`,
    });
    await waitFor(async () => (await value(query('classify-worker'))) === 7, {
      timeoutMs: 30_000,
      intervalMs: 250,
      message: 'classify trigger = 7',
    });
    // Both replicas are scraped, each exporting the same gauge: the trigger does not double it.
    await waitFor(
      async () => (await value(`count(triage_queue_jobs{queue="enrich",state="prioritized"})`)) === 2,
      {
        timeoutMs: 30_000,
        intervalMs: 250,
        message: 'both replicas scraped',
      },
    );
    expect(await value(query('enrich-worker'))).toBe(42);

    // The backlog grows; the trigger follows.
    await enrich.addBulk(
      Array.from({ length: 10 }, (_, i) => ({
        name: 'a',
        data: { alert_id: `f${i}` },
        opts: { priority: 3 },
      })),
    );
    await waitFor(async () => (await value(query('enrich-worker'))) === 52, {
      timeoutMs: 30_000,
      intervalMs: 250,
      message: 'enrich trigger = 52',
    });
    console.log(
      `[keda] ${query('enrich-worker')} = 52 with 52 prioritized enrich jobs (LLEN wait = 0), over 2 ingest replicas`,
    );
    await Promise.all([enrich.close(), classify.close()]);
  });
});
