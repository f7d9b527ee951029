/**
 * `node --conditions=source test/bench/baseline-memory.bench.ts [alerts]`: Redis memory used by the
 * entity baselines after N alerts (default 100,000), on a private redis-server (so nothing else
 * moves the numbers). The alerts follow a SOC's shape: 2,000 hosts, 400 detections of which each
 * host fires ~25, 600 process lineages of which each host runs ~40, spread over 20 days (so the
 * 14-day trimming and expiry are exercised). A second run makes every alert a new (detection,
 * host, lineage): the worst case, bounded by the key TTLs rather than by reuse.
 */
import { spawn } from 'node:child_process';
import { BaselineStore } from '@triage/memory';
import { freePort, waitFor } from '@triage/testing';
import { Redis } from 'ioredis';

const N = Number(process.argv[2] ?? 100_000);
const DAY = 86_400_000;

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

async function run(redis: Redis, prefix: string, worst: boolean) {
  await redis.flushall(); // a private server started by this script, never the shared one
  const before = await usedMemory(redis);
  const store = new BaselineStore({ redis, prefix });
  const r = rng(42);
  const t0 = Date.UTC(2025, 0, 1);
  const batch: Promise<unknown>[] = [];
  for (let i = 0; i < N; i++) {
    const host = worst ? `host-${i}` : `host-${Math.floor(r() * 2000)}`;
    const hostSeed = Number(host.slice(5));
    const det = worst ? i : (hostSeed * 7 + Math.floor(r() * 25)) % 400;
    const lin = worst ? i : (hostSeed * 11 + Math.floor(r() * 40)) % 600;
    batch.push(
      store.observe(
        {
          detection: `wazuh/${det} | Detection number ${det}`,
          entity: host,
          host,
          parentImage: `c:\\windows\\system32\\parent-${lin % 50}.exe`,
          image: `c:\\program files\\vendor\\child-${lin}.exe`,
        },
        t0 + Math.floor((i / N) * 20 * DAY),
      ),
    );
    if (batch.length >= 500) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  const after = await usedMemory(redis);
  const keys = await redis.dbsize();
  return { alerts: N, keys, bytes: after - before };
}

const port = await freePort();
const server = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
  stdio: 'ignore',
});
const redis = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 3 });
try {
  await waitFor(async () => (await redis.ping().catch(() => '')) === 'PONG', { timeoutMs: 10_000 });
  for (const worst of [false, true]) {
    const res = await run(redis, 'bench', worst);
    const mib = (res.bytes / 1024 / 1024).toFixed(1);
    process.stdout.write(
      `${worst ? 'worst case (every alert new)' : 'SOC-shaped'}: ${res.alerts} alerts → ${res.keys} keys, ${mib} MiB of Redis (${Math.round(res.bytes / res.alerts)} B/alert)\n`,
    );
  }
} finally {
  redis.disconnect();
  server.kill('SIGTERM');
}
