import {
  hasPromtool,
  PIPELINE_HOOK_TIMEOUT_MS,
  PIPELINE_START_TIMEOUT_MS,
  promtoolCheckMetrics,
  type RedisFixture,
  type RunningPipeline,
  readJson,
  redisFixture,
  startPipeline,
  sumSamples,
  waitFor,
} from '@triage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Metrics and health of the real processes: each one serves its own counters (ingest on PORT,
 * every worker on WORKER_HTTP_PORT), so summing the scrapes gives the pipeline's totals; scrapes
 * taken while the pipeline is busy pass `promtool check metrics`.
 */
let fx: RedisFixture;
let pipeline: RunningPipeline;
// Enough alerts that the pipeline is still busy for a few status snapshots (cached for a second)
// on an idle machine, where a few hundred drain in under a second.
const N = 1000;

const scrape = async (url: string) => {
  try {
    return await (await fetch(`${url}/metrics`)).text();
  } catch (err) {
    throw new Error(`${url}: ${(err as Error).message}\n${pipeline.logs().slice(-3000)}`);
  }
};

beforeAll(async () => {
  fx = await redisFixture('e2e-metrics');
  pipeline = await startPipeline({
    env: { REDIS_URL: fx.url, QUEUE_PREFIX: fx.prefix, WORKER_CONCURRENCY: '8' },
    services: { classify: 2 },
  });
  // startPipeline returns once ingest answers; a worker still loading its modules has no ops
  // server yet (seconds on a loaded box), and this file scrapes every worker: wait for all of them.
  await waitFor(
    async () =>
      (
        await Promise.all(
          pipeline.workerUrls().map((u) =>
            fetch(`${u}/livez`)
              .then((r) => r.ok)
              .catch(() => false),
          ),
        )
      ).every(Boolean),
    { timeoutMs: PIPELINE_START_TIMEOUT_MS, intervalMs: 100, message: "every worker's /livez" },
  );
}, PIPELINE_HOOK_TIMEOUT_MS + PIPELINE_START_TIMEOUT_MS);

afterAll(async () => {
  await pipeline?.stop();
  await fx?.close();
});

describe('metrics and health of the running pipeline', () => {
  it('per-process counters sum to the pipeline totals; scrapes under load pass promtool', {
    timeout: 240_000,
  }, async () => {
    const alerts = Array.from({ length: N }, (_, i) => ({
      name: `Brute Force ${i % 7}`,
      alert: { user: `user${i}`, source_ip: `203.0.113.${i % 250}`, failed_logins: i % 20, severity: 'High' },
    }));
    const res = await fetch(`${pipeline.url}/v1/alerts/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ alerts }),
    });
    expect(res.status).toBe(202);
    const { batch_id } = await readJson(res);

    // Scrape every process while alerts are still moving: a round every 250 ms, at most 12 rounds
    // (each scrape is also run through promtool below).
    const busy: string[] = [];
    let rounds = 0;
    await waitFor(
      async () => {
        const summary = (await readJson(await fetch(`${pipeline.url}/v1/batches/${batch_id}?limit=1`)))
          .summary;
        if (rounds === 0 || (summary.completed < N && rounds < 12)) {
          rounds++;
          busy.push(...(await Promise.all([pipeline.url, ...pipeline.workerUrls()].map(scrape))));
        }
        return summary.completed === N;
      },
      { timeoutMs: 150_000, intervalMs: 250, message: 'the batch to complete' },
    );
    const underLoad = busy.filter((s) =>
      /triage_queue_jobs\{queue="(enrich|classify)",state="(prioritized|active)"\} [1-9]/.test(s),
    );
    expect(underLoad.length).toBeGreaterThan(0);
    if (hasPromtool()) {
      for (const s of busy) expect(await promtoolCheckMetrics(s)).toEqual([]);
    } else {
      console.warn('promtool not installed (Debian package prometheus): promtool check skipped');
    }

    const classify = await Promise.all(pipeline.workerUrls('classify').map(scrape));
    expect(classify).toHaveLength(2);
    expect(sumSamples(classify, 'triage_verdicts_total')).toBe(N);
    // Both classify processes took work, and neither reports the other's.
    for (const s of classify) expect(sumSamples([s], 'triage_verdicts_total')).toBeLessThan(N);
    expect(sumSamples(classify, 'triage_stage_duration_seconds_count', { stage: 'end_to_end' })).toBe(N);
    const enrich = await Promise.all(pipeline.workerUrls('enrich').map(scrape));
    expect(sumSamples(enrich, 'triage_stage_duration_seconds_count', { stage: 'enrich' })).toBe(N);
    const ingest = await scrape(pipeline.url);
    expect(sumSamples([ingest], 'triage_alerts_received_total')).toBe(N);
    expect(sumSamples([ingest], 'triage_verdicts_total')).toBe(0);
  });

  it('workers answer their probes; /health counts them and shows what they report', async () => {
    for (const url of pipeline.workerUrls()) {
      expect((await fetch(`${url}/livez`)).status).toBe(200);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
    }
    const health = await waitFor(
      async () => {
        const h = await readJson(await fetch(`${pipeline.url}/health`));
        return h.llm && h.providers && h;
      },
      { timeoutMs: 15_000, message: 'worker status snapshots in /health' },
    );
    expect(health.workers).toMatchObject({ enrich: 1, classify: 2, results: 1 });
    expect(health.providers.map((p: { provider: string }) => p.provider)).toContain('offline');
    expect(health.llm).toMatchObject({ configured: false });
  });
});
