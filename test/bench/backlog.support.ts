/**
 * What `pnpm bench`'s backlog and `pnpm bench:footprint` share: the Redis memory settings the
 * project ships, the real Wazuh records they queue, and their intake and drain over HTTP.
 */
import { readFileSync } from 'node:fs';
import {
  type RedisFixture,
  type RunningPipeline,
  readJson,
  redisFixture,
  startPipeline,
  waitFor,
} from '@triage/testing';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** `redis-server` arguments for the memory settings of infra/redis.conf (small hashes as listpacks). */
export function shippedMemoryArgs(): string[] {
  const conf = readFileSync(new URL('../../infra/redis.conf', import.meta.url), 'utf8');
  return [...conf.matchAll(/^(hash-max-listpack-\S+)\s+(\S+)\s*$/gm)].flatMap((m) => [`--${m[1]}`, m[2]!]);
}

/**
 * The i-th alert of a backlog: real Wazuh records (the AIT-ADS attack window), each made distinct
 * (a varying alert and agent id), as a real backlog would be.
 */
export function wazuhBacklog(): (i: number) => Record<string, unknown> {
  const lines = readFileSync(
    new URL('../fixtures/wazuh/wazuh_alerts_aitads_attack_window_100.ndjson', import.meta.url),
    'utf8',
  )
    .split('\n')
    .filter((l) => l.trim());
  return (i) => {
    const a = JSON.parse(lines[i % lines.length]!);
    a.id = `${a.id}-${i}`;
    a.agent = { ...a.agent, id: String(i) };
    return a;
  };
}

/** Redis `used_memory`, bytes. */
export async function usedMemory(redis: Redis): Promise<number> {
  return Number((await redis.info('memory')).match(/used_memory:(\d+)/)?.[1] ?? 0);
}

/** Redis CPU seconds (user + system) so far, from INFO. */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  return Number(info.match(/used_cpu_user:([\d.]+)/)?.[1]) + Number(info.match(/used_cpu_sys:([\d.]+)/)?.[1]);
}

/** Submits one NDJSON body to the backlog lane; returns its batch id. */
export async function postBacklogBatch(url: string, body: string): Promise<string> {
  const res = await fetch(`${url}/v1/alerts/batch?lane=backlog`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body,
  });
  if (res.status !== 202) throw new Error(`batch answered ${res.status}: ${await res.text()}`);
  return (await readJson(res)).batch_id;
}

/** Waits until `total` alerts of these batches are final (completed or failed). */
export async function waitForBatches(url: string, batches: string[], total: number): Promise<void> {
  await waitFor(
    async () => {
      const sums = await Promise.all(
        batches.map(async (b) => (await readJson(await fetch(`${url}/v1/batches/${b}?limit=1`))).summary),
      );
      return sums.reduce((a, x) => a + Number(x.completed) + Number(x.failed), 0) >= total;
    },
    { timeoutMs: 1_800_000, intervalMs: 500, message: 'backlog drain' },
  );
}

/** A pipeline on its own key prefix with ingest only (start the workers with `p.start`). */
export async function backlogPipeline(
  name: string,
  concurrency: number,
): Promise<{ fx: RedisFixture; p: RunningPipeline }> {
  const fx = await redisFixture(name);
  const p = await startPipeline({
    env: {
      REDIS_URL: fx.url,
      QUEUE_PREFIX: fx.prefix,
      WORKER_CONCURRENCY: String(concurrency),
      LOG_LEVEL: 'error',
    },
    services: { enrich: 0, classify: 0, deliver: 0 },
  });
  return { fx, p };
}

/**
 * The raw BullMQ baseline of an ingest comparison: each NDJSON body's lines as job data, one
 * `addBulk` per body, job ids `<prefix><body>-<line>`, the priority the backlog lane's jobs get.
 */
export async function rawAddBulk(queue: Queue, bodies: string[], prefix: string): Promise<void> {
  for (const [b, body] of bodies.entries()) {
    await queue.addBulk(
      body.split('\n').map((l, j) => ({
        name: 'x',
        data: JSON.parse(l),
        opts: { jobId: `${prefix}${b}-${j}`, priority: 3 },
      })),
    );
  }
}
