/**
 * `pnpm bench`: pipeline throughput and latency next to a raw-BullMQ baseline measured in the same
 * run on the same Redis (these machines are shared and noisy; only same-run ratios mean anything).
 * Writes bench-report/report.md and report.json. Numbers are reported, never asserted.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { readJson, redisFixture, startPipeline, startRedisServer, waitFor } from '@triage/testing';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import {
  backlogPipeline,
  postBacklogBatch,
  rawAddBulk,
  shippedMemoryArgs,
  usedMemory,
  waitForBatches,
  wazuhBacklog,
} from './backlog.support.ts';
import { worstInputs, worstInputsMd } from './worst-inputs.ts';

const N = Number(process.env.BENCH_ALERTS ?? 10_000);
const BATCH = 1000;
/**
 * Batches each side of the ingest comparison gets before it is timed: a long-running server is warm.
 * Both sides still got faster after 10 (CPU per alert of the raw client 73 → 34 µs and of ingest
 * 172 → 95 µs from the second to the sixth 10,000, `pnpm bench:ingest`); by 30 both are steady.
 */
const WARM_UP = 30;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
process.env.REDIS_URL = REDIS_URL;

function alertAt(i: number) {
  // 500 distinct detections, repeated: realistic for SIEM noise and exercises the caches.
  const k = i % 500;
  return {
    name: `Multiple failed logins ${k % 25}`,
    alert: {
      user: `user${k}`,
      source_ip: `198.51.100.${k % 200}`,
      failed_logins: (k % 30) + 1,
      success: k % 4 === 0,
      time: `0${k % 10}:15`,
      severity: ['Low', 'Medium', 'High', 'Critical'][k % 4],
    },
  };
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

/** Raw BullMQ, three chained queues with no-op processors: the floor our pipeline is compared to. */
async function baseline(): Promise<{ addPerSec: number; completePerSec: number }> {
  const fx = await redisFixture('bench-baseline');
  const conn = () => new Redis(fx.url, { maxRetriesPerRequest: null });
  const names = ['a', 'b', 'c'];
  const queues = names.map((n) => new Queue(n, { connection: conn(), prefix: fx.prefix }));
  let done = 0;
  const workers = names.map(
    (n, i) =>
      new Worker(
        n,
        async (job) => {
          const next = queues[i + 1];
          if (next) await next.add('x', job.data, { jobId: job.id!, removeOnComplete: { count: 1000 } });
          else done++;
        },
        {
          connection: conn(),
          prefix: fx.prefix,
          concurrency: CONCURRENCY,
          removeOnComplete: { count: 1000 },
        },
      ),
  );
  const t0 = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    await queues[0]!.addBulk(
      Array.from({ length: Math.min(BATCH, N - i) }, (_, j) => ({
        name: 'x',
        data: alertAt(i + j),
        opts: { jobId: `j${i + j}`, priority: 1 + ((i + j) % 4), removeOnComplete: { count: 1000 } },
      })),
    );
  }
  const tAdded = performance.now();
  await waitFor(() => done >= N, { timeoutMs: 600_000, intervalMs: 50, message: 'baseline' });
  const tDone = performance.now();
  await Promise.all(workers.map((w) => w.close()));
  await Promise.all(queues.map((q) => q.close()));
  await fx.close();
  return { addPerSec: N / ((tAdded - t0) / 1000), completePerSec: N / ((tDone - t0) / 1000) };
}

async function pipeline() {
  const fx = await redisFixture('bench-pipeline');
  const memBefore = Number((await fx.redis.info('memory')).match(/used_memory:(\d+)/)?.[1] ?? 0);
  const p = await startPipeline({
    env: {
      REDIS_URL: fx.url,
      QUEUE_PREFIX: fx.prefix,
      WORKER_CONCURRENCY: String(CONCURRENCY),
      LOG_LEVEL: 'error',
    },
  });
  try {
    // Latency of single alerts through /analyze on an idle pipeline.
    const lat: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      const res = await fetch(`${p.url}/analyze`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alertAt(100_000 + i)),
      });
      await readJson(res);
      lat.push(performance.now() - t);
    }

    const t0 = performance.now();
    const batches: string[] = [];
    for (let i = 0; i < N; i += BATCH) {
      const alerts = Array.from({ length: Math.min(BATCH, N - i) }, (_, j) => alertAt(i + j));
      const res = await fetch(`${p.url}/v1/alerts/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ alerts }),
      });
      if (res.status !== 202) throw new Error(`batch answered ${res.status}: ${await res.text()}`);
      batches.push((await readJson(res)).batch_id);
    }
    const tAccepted = performance.now();
    let summaries: Array<Record<string, number | string>> = [];
    await waitFor(
      async () => {
        summaries = await Promise.all(
          batches.map(async (b) => (await readJson(await fetch(`${p.url}/v1/batches/${b}`))).summary),
        );
        return summaries.reduce((a, s) => a + Number(s.completed) + Number(s.failed), 0) >= N;
      },
      { timeoutMs: 1_800_000, intervalMs: 250, message: 'pipeline completion' },
    );
    const tDone = performance.now();
    const sum = (k: string) => summaries.reduce((a, s) => a + Number(s[k]), 0);
    const mem = Number((await fx.redis.info('memory')).match(/used_memory:(\d+)/)?.[1] ?? 0);
    return {
      acceptPerSec: N / ((tAccepted - t0) / 1000),
      completePerSec: N / ((tDone - t0) / 1000),
      analyze: { p50: percentile(lat, 50), p95: percentile(lat, 95), max: Math.max(...lat) },
      verdicts: {
        tp: sum('true_positive'),
        fp: sum('false_positive'),
        nr: sum('needs_review'),
        failed: sum('failed'),
        ai_cache_hit: sum('ai_cache_hit'),
      },
      redisUsedMb: (mem - memBefore) / 1024 / 1024,
    };
  } finally {
    await p.stop();
    await fx.close();
  }
}

/**
 * An overnight backlog: real Wazuh alerts accepted while no worker runs, then drained by one process
 * of each worker. Measures, in the same run on the same Redis:
 * - ingest: the batch endpoint (NDJSON, lane=backlog, every validation) against raw BullMQ `addBulk`
 *   of the same records as job data — the floor of any ingest on this machine;
 * - the p99 latency of `GET /health` polled while one 10,000-item batch is accepted (does
 *   normalizing a large batch block the event loop?);
 * - Redis bytes per queued alert, and per completed alert still queryable after the drain (record +
 *   verdict + the share of retained completed jobs); extrapolated to a million.
 */
async function backlog() {
  // On a Redis with the memory settings the project ships (infra/redis.conf: small hashes as
  // listpacks), as a deployment runs it; raw addBulk and the endpoint both run on it.
  const memoryArgs = shippedMemoryArgs();
  const own = await startRedisServer(memoryArgs);
  const sharedUrl = process.env.REDIS_URL;
  process.env.REDIS_URL = own.url;
  try {
    return { ...(await backlogOn()), redisArgs: memoryArgs.join(' ') };
  } finally {
    process.env.REDIS_URL = sharedUrl;
    await own.stop();
  }
}

async function backlogOn() {
  const record = wazuhBacklog();
  const bodies: string[] = [];
  for (let i = 0; i < N; i += BATCH) {
    bodies.push(
      Array.from({ length: Math.min(BATCH, N - i) }, (_, j) => JSON.stringify(record(i + j))).join('\n'),
    );
  }

  // Both sides get WARM_UP batches of other records first, not counted: a long-running server is
  // warm (its JIT compiled, its worker threads too), and so is a client of raw addBulk.
  const warmUps = Array.from({ length: WARM_UP }, (_, b) =>
    Array.from({ length: BATCH }, (_, j) => JSON.stringify(record(3 * N + b * BATCH + j))).join('\n'),
  );

  // Raw addBulk of the same records, batches of BATCH, no worker: on a Redis of its own with the
  // same settings, so the endpoint's bytes below count its alerts alone.
  const rawServer = await startRedisServer(shippedMemoryArgs());
  const rawQueue = new Queue('raw', {
    connection: new Redis(rawServer.url, { maxRetriesPerRequest: null }),
    prefix: 'raw',
  });
  const { fx, p } = await backlogPipeline('bench-backlog', CONCURRENCY);
  try {
    const used = () => usedMemory(fx.redis);
    await rawAddBulk(rawQueue, warmUps, 'w');
    const beforeWarmUp = await used();
    const batches: string[] = [];
    for (const warmUp of warmUps) batches.push(await postBacklogBatch(p.url, warmUp));
    const before = await used();
    // Interleaved batch by batch, in turn first and second: both sides run on the machine as it is
    // at that moment (a shared VM's speed drifts by tens of percent within seconds, and timing all
    // of one side, then all of the other, measured that drift as much as the ingest).
    let rawMs = 0;
    let endpointMs = 0;
    const timed = async (fn: () => Promise<unknown>) => {
      const t = performance.now();
      await fn();
      return performance.now() - t;
    };
    for (const [b, body] of bodies.entries()) {
      const raw = () => rawAddBulk(rawQueue, [body], `r${b}-`);
      const endpoint = async () => {
        batches.push(await postBacklogBatch(p.url, body));
      };
      if (b % 2 === 0) {
        rawMs += await timed(raw);
        endpointMs += await timed(endpoint);
      } else {
        endpointMs += await timed(endpoint);
        rawMs += await timed(raw);
      }
    }
    const rawAddPerSec = N / (rawMs / 1000);
    const endpointPerSec = N / (endpointMs / 1000);
    const queuedBytes = (await used()) - before;

    // One 10,000-item batch while /health is polled back to back.
    const big = Array.from({ length: 10_000 }, (_, i) => JSON.stringify(record(N + i))).join('\n');
    const health: number[] = [];
    let posting = true;
    const poll = (async () => {
      while (posting) {
        const t = performance.now();
        await (await fetch(`${p.url}/health`)).arrayBuffer();
        health.push(performance.now() - t);
      }
    })();
    const tb = performance.now();
    const bigRes = await fetch(`${p.url}/v1/alerts/batch?lane=backlog`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: big,
    });
    const bigMs = performance.now() - tb;
    posting = false;
    await poll;
    if (bigRes.status !== 202) throw new Error(`10k batch answered ${bigRes.status}`);
    batches.push((await readJson(bigRes)).batch_id);
    const total = WARM_UP * BATCH + N + 10_000;

    const td = performance.now();
    await p.start('enrich');
    await p.start('classify');
    await p.start('deliver');
    await waitForBatches(p.url, batches, total);
    const drainPerSec = total / ((performance.now() - td) / 1000);
    const completedBytes = (await used()) - beforeWarmUp;
    return {
      rawAddPerSec,
      endpointPerSec,
      ingestRatio: endpointPerSec / rawAddPerSec,
      bigBatchMs: bigMs,
      health: {
        samples: health.length,
        p50: percentile(health, 50),
        p99: percentile(health, 99),
        max: Math.max(...health),
      },
      bytesPerQueuedAlert: queuedBytes / N,
      bytesPerCompletedAlert: completedBytes / total,
      drainPerSec,
      millionHours: 1e6 / drainPerSec / 3600,
      millionGb: ((queuedBytes / N) * 1e6) / 2 ** 30,
    };
  } finally {
    await rawQueue.close();
    await rawServer.stop();
    await p.stop();
    await fx.close();
  }
}

// First, before the pipeline's processes load the machine.
const worst = worstInputs();
const base = await baseline();
const pipe = await pipeline();
const back = await backlog();
const report = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, memGb: Math.round(totalmem() / 2 ** 30), node: process.version },
  alerts: N,
  concurrency: CONCURRENCY,
  baseline: base,
  pipeline: pipe,
  backlog: back,
  worstInputs: worst,
  ratio: {
    completeVsBaseline: pipe.completePerSec / base.completePerSec,
    ingestVsAddBulk: back.ingestRatio,
  },
};
mkdirSync('bench-report', { recursive: true });
writeFileSync('bench-report/report.json', `${JSON.stringify(report, null, 2)}\n`);
const f = (n: number) => n.toFixed(0);
const md = `# triage benchmark — ${report.date}

${report.machine.cpus} cores, ${report.machine.memGb} GB, Node ${report.machine.node}; ${N} alerts in batches of ${BATCH}; worker concurrency ${CONCURRENCY}; one process per service.

| | alerts/s accepted | alerts/s completed |
|---|---:|---:|
| raw BullMQ, 3 chained queues, no-op processors (baseline) | ${f(base.addPerSec)} | ${f(base.completePerSec)} |
| triage pipeline (HTTP batch → enrich → classify → results) | ${f(pipe.acceptPerSec)} | ${f(pipe.completePerSec)} |

Pipeline completion rate = ${(report.ratio.completeVsBaseline * 100).toFixed(0)}% of the raw-BullMQ baseline.

\`POST /analyze\` latency on an idle pipeline (50 calls): p50 ${f(pipe.analyze.p50)} ms, p95 ${f(pipe.analyze.p95)} ms, max ${f(pipe.analyze.max)} ms.

Verdicts: ${pipe.verdicts.tp} TRUE_POSITIVE, ${pipe.verdicts.fp} FALSE_POSITIVE, ${pipe.verdicts.nr} NEEDS_REVIEW, ${pipe.verdicts.failed} failed; verdict-cache hits ${pipe.verdicts.ai_cache_hit}.
Redis memory added by the run (records, verdicts, retained jobs, caches): ${pipe.redisUsedMb.toFixed(1)} MB.

Ingest of ${N} real Wazuh alerts (NDJSON batches of ${BATCH}, lane=backlog, no worker running; after ${WARM_UP} warm-up batches each, not counted): ${f(back.endpointPerSec)} alerts/s
against ${f(back.rawAddPerSec)}/s for raw BullMQ \`addBulk\` of the same records, batch by batch in turn: **ingest ratio ${back.ingestRatio.toFixed(2)}**.
\`GET /health\` polled while one 10,000-alert batch was accepted (${f(back.bigBatchMs)} ms): ${back.health.samples} answers, p50 ${f(back.health.p50)} ms, **p99 ${f(back.health.p99)} ms**, max ${f(back.health.max)} ms.

Redis per queued alert (on a Redis with the shipped memory settings, \`${back.redisArgs}\`): **${(back.bytesPerQueuedAlert / 1024).toFixed(2)} KiB** (${f(back.bytesPerQueuedAlert)} bytes; ≈ ${back.millionGb.toFixed(1)} GiB for a million);
per completed alert still queryable after the drain (record, verdict, retained jobs): **${(back.bytesPerCompletedAlert / 1024).toFixed(2)} KiB** (${f(back.bytesPerCompletedAlert)} bytes).
Drained by one process of each worker at ${f(back.drainPerSec)} alerts/s (≈ ${back.millionHours.toFixed(1)} h for a million on this machine; add worker processes or machines to go faster).

${worstInputsMd(worst)}`;
writeFileSync('bench-report/report.md', md);
process.stdout.write(md);
process.exit(0);
