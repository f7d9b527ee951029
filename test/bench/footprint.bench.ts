/**
 * `pnpm bench:footprint`: where the Redis bytes of `pnpm bench`'s backlog go, per key family. The
 * same run as the bench's backlog (real Wazuh records, NDJSON batches, lane=backlog, no worker until
 * every alert is queued, then one process of each worker drains it, on a Redis with the shipped
 * memory settings), with every key's MEMORY USAGE summed by family after the intake and again after
 * the drain, and the alert record's fields by size. Numbers are reported, never asserted.
 */
import { writeFileSync } from 'node:fs';
import { QUEUE } from '@triage/contracts';
import { AlertStore } from '@triage/runtime';
import { startRedisServer } from '@triage/testing';
import type { Redis } from 'ioredis';
import {
  backlogPipeline,
  postBacklogBatch,
  shippedMemoryArgs,
  usedMemory,
  waitForBatches,
  wazuhBacklog,
} from './backlog.support.ts';

const N = Number(process.env.BENCH_ALERTS ?? 20_000);
const BATCH = 1000;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

const QUEUES = new Set<string>(Object.values(QUEUE));
/** BullMQ's per-queue structures (anything else under a queue is a job: `<queue>:<id>[:lock|:logs]`). */
const BULL_KEYS = new Set([
  'wait',
  'paused',
  'active',
  'prioritized',
  'pc',
  'delayed',
  'completed',
  'failed',
  'stalled',
  'stalled-check',
  'limiter',
  'meta',
  'id',
  'events',
  'marker',
  'de',
  'repeat',
  'waiting-children',
]);

function family(key: string, prefix: string): string {
  const parts = key.slice(prefix.length + 1).split(':');
  const [head = '', second = ''] = parts;
  if (QUEUES.has(head)) {
    if (BULL_KEYS.has(second)) return `bull ${head}:${second}`;
    return parts.length > 2 ? `bull ${head} job:${parts.at(-1)}` : `bull ${head} job hash`;
  }
  if (head === 'batch') return parts.length > 2 ? `batch:*:${parts.at(-1)}` : 'batch hash';
  if (head === 'alert') return 'alert record';
  return parts.length > 1 ? `${head}:${second.replace(/[0-9a-f-]{8,}.*/i, '*')}` : head;
}

interface Breakdown {
  families: Map<string, { keys: number; bytes: number }>;
  fields: Map<string, { n: number; bytes: number }>;
  encodings: Map<string, number>;
}

async function breakdown(redis: Redis, prefix: string): Promise<Breakdown> {
  const families = new Map<string, { keys: number; bytes: number }>();
  const fields = new Map<string, { n: number; bytes: number }>();
  const encodings = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    const pipe = redis.pipeline();
    for (const k of found) {
      pipe.call('MEMORY', 'USAGE', k, 'SAMPLES', '0');
      pipe.object('ENCODING', k);
    }
    const res = (await pipe.exec()) ?? [];
    const records: string[] = [];
    found.forEach((k, i) => {
      const f = family(k, prefix);
      const e = families.get(f) ?? { keys: 0, bytes: 0 };
      e.keys++;
      e.bytes += Number(res[2 * i]?.[1] ?? 0);
      families.set(f, e);
      const enc = `${f} ${String(res[2 * i + 1]?.[1])}`;
      encodings.set(enc, (encodings.get(enc) ?? 0) + 1);
      if (f === 'alert record' || f.endsWith('job hash')) records.push(k);
    });
    const fp = redis.pipeline();
    for (const k of records) fp.hgetallBuffer(k);
    const hs = (await fp.exec()) ?? [];
    records.forEach((k, i) => {
      const f = family(k, prefix);
      for (const [name, value] of Object.entries((hs[i]?.[1] as Record<string, Buffer>) ?? {})) {
        const fk = `${f}.${name}`;
        const e = fields.get(fk) ?? { n: 0, bytes: 0 };
        e.n++;
        e.bytes += value.length;
        fields.set(fk, e);
      }
    });
  } while (cursor !== '0');
  return { families, fields, encodings };
}

function print(title: string, b: Breakdown, alerts: number, usedDelta: number): void {
  const total = [...b.families.values()].reduce((a, e) => a + e.bytes, 0);
  process.stdout.write(
    `\n## ${title}: used_memory +${usedDelta} bytes = ${(usedDelta / alerts).toFixed(0)} per alert; ` +
      `MEMORY USAGE of the keys ${total} = ${(total / alerts).toFixed(0)} per alert\n\n` +
      '| key family | keys | bytes per key | bytes per alert |\n|---|---:|---:|---:|\n',
  );
  for (const [f, e] of [...b.families].sort((x, y) => y[1].bytes - x[1].bytes)) {
    process.stdout.write(
      `| ${f} | ${e.keys} | ${(e.bytes / e.keys).toFixed(0)} | ${(e.bytes / alerts).toFixed(1)} |\n`,
    );
  }
  process.stdout.write('\n| hash field | count | mean bytes |\n|---|---:|---:|\n');
  for (const [f, e] of [...b.fields].sort((x, y) => y[1].bytes - x[1].bytes)) {
    process.stdout.write(`| ${f} | ${e.n} | ${(e.bytes / e.n).toFixed(0)} |\n`);
  }
  process.stdout.write(`\nencodings: ${[...b.encodings].map(([k, n]) => `${k} ×${n}`).join(', ')}\n`);
}

const own = await startRedisServer(shippedMemoryArgs());
process.env.REDIS_URL = own.url;
const record = wazuhBacklog();
const { fx, p } = await backlogPipeline('bench-footprint', CONCURRENCY);
try {
  const used = () => usedMemory(fx.redis);
  const before = await used();
  const batches: string[] = [];
  for (let i = 0; i < N; i += BATCH) {
    const n = Math.min(BATCH, N - i);
    batches.push(
      await postBacklogBatch(
        p.url,
        Array.from({ length: n }, (_, j) => JSON.stringify(record(i + j))).join('\n'),
      ),
    );
  }
  print('queued', await breakdown(fx.redis, fx.prefix), N, (await used()) - before);
  await p.start('enrich');
  await p.start('classify');
  await p.start('deliver');
  await waitForBatches(p.url, batches, N);
  print('completed', await breakdown(fx.redis, fx.prefix), N, (await used()) - before);
  if (process.env.FOOTPRINT_DUMP) {
    const ids = await fx.redis.lrange(`${fx.prefix}:batch:${batches[0]}:ids`, 0, 199);
    const store = new AlertStore(fx.redis, fx.prefix, 3600);
    const views = await Promise.all(ids.map((id) => store.get(id)));
    writeFileSync(process.env.FOOTPRINT_DUMP, views.map((v) => JSON.stringify(v)).join('\n'));
  }
} finally {
  await p.stop();
  await fx.close();
  await own.stop();
}
process.exit(0);
