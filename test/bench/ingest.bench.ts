/**
 * `pnpm bench:ingest`: the batch endpoint's intake rate against raw BullMQ `addBulk` of the same
 * real Wazuh records, alternating rounds in one run (the ratio `pnpm bench` reports, repeated so a
 * noisy machine shows its spread). Nothing runs behind ingest. Numbers are reported, never asserted.
 * BENCH_ROUNDS (default 3), BENCH_ALERTS per round (10,000), BENCH_BATCH lines per request (1,000);
 * BENCH_COMMANDSTATS=1 prints Redis's per-command statistics of the run, BENCH_LOGS=1 the ingest
 * process's output. Each round prints the CPU per alert of both sides: Redis and the raw client;
 * Redis and the ingest process, split into its event loop, its intake threads and V8's helper
 * threads (garbage collection, compilers).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { startRedisServer } from '@triage/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import {
  backlogPipeline,
  postBacklogBatch,
  rawAddBulk,
  redisCpuSeconds,
  shippedMemoryArgs,
  wazuhBacklog,
} from './backlog.support.ts';

const N = Number(process.env.BENCH_ALERTS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BATCH = Number(process.env.BENCH_BATCH ?? 1000);

/** The fields of a /proc stat line after the command name (which may hold spaces). */
const statFields = (st: string) => st.slice(st.lastIndexOf(')') + 2).split(' ');

/** CPU seconds (user + system) of one /proc stat line. */
function statCpu(st: string): number {
  const f = statFields(st);
  return (Number(f[11]) + Number(f[12])) / 100;
}

/**
 * CPU seconds of this run's ingest process: every thread, its main thread, its intake threads
 * (node names them WorkerThread) and V8's helper threads (garbage collection, compilers), from /proc.
 */
function ingestCpu(): { all: number; main: number; intake: number; v8: number } {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(statFields(stat)[1]);
      if (ppid !== process.pid || !cmd.includes('services/ingest/src/main.ts')) continue;
      let intake = 0;
      let v8 = 0;
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        try {
          const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
          const cpu = statCpu(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
          if (comm === 'WorkerThread') intake += cpu;
          else if (comm === 'V8Worker') v8 += cpu;
        } catch {
          // a thread that ended meanwhile
        }
      }
      const main = statCpu(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8'));
      return { all: statCpu(stat), main, intake, v8 };
    } catch {
      // a process that ended meanwhile
    }
  }
  return { all: Number.NaN, main: Number.NaN, intake: Number.NaN, v8: Number.NaN };
}

/** CPU seconds of this process (the raw baseline's client), every thread. */
function ownCpu(): number {
  return statCpu(readFileSync('/proc/self/stat', 'utf8'));
}

const own = await startRedisServer(shippedMemoryArgs());
process.env.REDIS_URL = own.url;
const record = wazuhBacklog();
const bodies = (round: number) => {
  const out: string[] = [];
  for (let i = 0; i < N; i += BATCH) {
    out.push(
      Array.from({ length: Math.min(BATCH, N - i) }, (_, j) =>
        JSON.stringify(record(round * N + i + j)),
      ).join('\n'),
    );
  }
  return out;
};

const { fx, p } = await backlogPipeline('bench-ingest', 16);
const raw = new Queue('raw', {
  connection: new Redis(own.url, { maxRetriesPerRequest: null }),
  prefix: 'raw',
});
const rows: Array<{ raw: number; endpoint: number }> = [];
const probe = new Redis(own.url);
const redisCpu = () => redisCpuSeconds(probe);
try {
  for (let r = 0; r < ROUNDS; r++) {
    const b = bodies(r);
    const cr = await redisCpu();
    const cc = ownCpu();
    const tr = performance.now();
    await rawAddBulk(raw, b, `r${r}-`);
    const clientUs = ((ownCpu() - cc) * 1e6) / N;
    const rawPerSec = N / ((performance.now() - tr) / 1000);
    const rawRedisUs = (((await redisCpu()) - cr) * 1e6) / N;
    const ce = await redisCpu();
    const ie = ingestCpu();
    const te = performance.now();
    for (const body of b) await postBacklogBatch(p.url, body);
    const endpointPerSec = N / ((performance.now() - te) / 1000);
    const endpointRedisUs = (((await redisCpu()) - ce) * 1e6) / N;
    const ia = ingestCpu();
    const ingestUs = ((ia.all - ie.all) * 1e6) / N;
    const us = (k: 'main' | 'intake' | 'v8') => (((ia[k] - ie[k]) * 1e6) / N).toFixed(0);
    rows.push({ raw: rawPerSec, endpoint: endpointPerSec });
    process.stdout.write(
      `round ${r + 1}: raw addBulk ${rawPerSec.toFixed(0)}/s, endpoint ${endpointPerSec.toFixed(0)}/s, ratio ${(endpointPerSec / rawPerSec).toFixed(2)}; CPU per alert: raw Redis ${rawRedisUs.toFixed(0)} µs + client ${clientUs.toFixed(0)} µs; endpoint Redis ${endpointRedisUs.toFixed(0)} µs + ingest ${ingestUs.toFixed(0)} µs (main thread ${us('main')}, intake threads ${us('intake')}, V8 helpers ${us('v8')})\n`,
    );
  }
} finally {
  await raw.close();
  if (process.env.BENCH_COMMANDSTATS) process.stdout.write(await probe.info('commandstats'));
  probe.disconnect();
  if (process.env.BENCH_LOGS) process.stdout.write(p.logs());
  await p.stop();
  await fx.close();
  await own.stop();
}
const ratios = rows.map((x) => x.endpoint / x.raw).sort((a, b) => a - b);
process.stdout.write(
  `ingest ratio median ${ratios[Math.floor(ratios.length / 2)]!.toFixed(2)} (${ratios.map((x) => x.toFixed(2)).join(', ')})\n`,
);
process.exit(0);
