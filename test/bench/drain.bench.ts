/**
 * `pnpm bench:drain`: how fast one process of each worker drains a backlog. Real Wazuh alerts (the
 * AIT-ADS file `triage submit` is checked against) are queued to the backlog lane while no worker
 * runs; then enrich, classify and deliver start and the drain is timed from the first verdict to
 * the last, on a Redis server of its own with the shipped memory settings. Reported per round:
 * alerts/s, Redis CPU and commands per alert (the heaviest commands by Redis time, script calls
 * included), and each worker process's CPU per alert. Numbers are reported, never asserted.
 *
 * BENCH_ALERTS (default: the whole file, 13,961), BENCH_ROUNDS (2), WORKER_CONCURRENCY (16).
 * BENCH_CPU_PROF=<dir> writes a V8 CPU profile of every process of the pipeline there.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { startRedisServer, waitFor } from '@triage/testing';
import { Redis } from 'ioredis';
import {
  backlogPipeline,
  postBacklogBatch,
  redisCpuSeconds,
  shippedMemoryArgs,
  waitForBatches,
} from './backlog.support.ts';

const lines = readFileSync(
  new URL('../fixtures/wazuh/aitads_russellmitchell_event_labeled.ndjson', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter((l) => l.trim());
const N = Math.min(Number(process.env.BENCH_ALERTS ?? lines.length), lines.length);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONCURRENCY = Number(process.env.WORKER_CONCURRENCY ?? 16);
const BATCH = 5000;
const PROF = process.env.BENCH_CPU_PROF;

const own = await startRedisServer(shippedMemoryArgs());
process.env.REDIS_URL = own.url;
const probe = new Redis(own.url);

const redisCpu = () => redisCpuSeconds(probe);

/** Calls and µs per command (commands run by scripts are counted too, and inside `evalsha`). */
const commandStats = async () => {
  const out = new Map<string, { calls: number; usec: number }>();
  for (const m of (await probe.info('commandstats')).matchAll(/cmdstat_(\S+):calls=(\d+),usec=(\d+)/g)) {
    out.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
  }
  return out;
};

/** CPU seconds of a worker process, from its own /metrics (prom-client's process metrics). */
const processCpu = async (url: string) => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(text.match(/^process_cpu_seconds_total (\S+)$/m)?.[1] ?? Number.NaN);
};

const WORKERS = ['enrich', 'classify', 'deliver'] as const;

try {
  for (let r = 0; r < ROUNDS; r++) {
    // A fresh prefix per round: the same SIEM ids again would be answered as duplicates.
    // Every process of the pipeline inherits this (ingest's profile is written too).
    if (PROF) process.env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${PROF}`;
    const { fx, p } = await backlogPipeline(`bench-drain-${r}`, CONCURRENCY);
    delete process.env.NODE_OPTIONS;
    try {
      const batches: string[] = [];
      for (let i = 0; i < N; i += BATCH) {
        batches.push(await postBacklogBatch(p.url, lines.slice(i, Math.min(N, i + BATCH)).join('\n')));
      }
      for (const w of WORKERS) await p.start(w);
      // Timed from the first verdict (the workers have loaded their sources) to the last.
      await waitFor(async () => Number((await probe.hget(`${fx.prefix}:progress`, 'done')) ?? 0) > 0, {
        timeoutMs: 300_000,
        intervalMs: 20,
        message: 'the first verdict',
      });
      const done0 = Number(await probe.hget(`${fx.prefix}:progress`, 'done'));
      const cpu0 = await redisCpu();
      const stats0 = await commandStats();
      const urls = WORKERS.map((w) => p.workerUrls(w)[0]!);
      const proc0 = await Promise.all(urls.map(processCpu));
      const t0 = performance.now();
      await waitForBatches(p.url, batches, N);
      const secs = (performance.now() - t0) / 1000;
      const n = N - done0;
      const redisUs = (((await redisCpu()) - cpu0) * 1e6) / n;
      const stats1 = await commandStats();
      const proc1 = await Promise.all(urls.map(processCpu));
      const cmds = [...stats1]
        .map(([name, s]) => {
          const b = stats0.get(name) ?? { calls: 0, usec: 0 };
          return { name, calls: (s.calls - b.calls) / n, usec: (s.usec - b.usec) / n };
        })
        .filter((c) => c.calls > 0)
        .sort((a, b) => b.usec - a.usec);
      const perProc = WORKERS.map(
        (w, i) => `${w} ${((((proc1[i] ?? 0) - (proc0[i] ?? 0)) * 1e6) / n).toFixed(0)} µs`,
      );
      process.stdout.write(
        `round ${r + 1}: ${n} alerts drained in ${secs.toFixed(1)} s = ${(n / secs).toFixed(0)} alerts/s; ` +
          `Redis CPU ${redisUs.toFixed(0)} µs/alert; worker CPU per alert: ${perProc.join(', ')}\n` +
          `  commands per alert: ${cmds
            .slice(0, 12)
            .map((c) => `${c.name} ${c.calls.toFixed(2)} (${c.usec.toFixed(0)} µs)`)
            .join(', ')}\n`,
      );
    } finally {
      await p.stop();
      await fx.close();
    }
  }
} finally {
  probe.disconnect();
  await own.stop();
}
process.stdout.write(
  `load average: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(', ')}\n`,
);
process.exit(0);
