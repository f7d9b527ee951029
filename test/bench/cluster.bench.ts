/**
 * `pnpm bench:cluster`: alerts/s through the whole pipeline (one process per service) on one
 * private Redis and on a private three-master Redis Cluster, in the same run so the ratio holds on
 * a busy machine. Needs redis-server and redis-cli. N alerts (default 2,000) in batches of 500.
 */
import { readJson, startPipeline, startRedisCluster, startRedisServer, waitFor } from '@triage/testing';

const N = Number(process.env.BENCH_ALERTS ?? 2000);

async function run(env: Record<string, string>): Promise<number> {
  const p = await startPipeline({ env: { ...env, LOG_LEVEL: 'warn' } });
  try {
    const alerts = Array.from({ length: N }, (_, i) => ({
      name: `Brute Force ${i % 50}`,
      alert: { user: `u${i}`, source_ip: `203.0.113.${i % 250}`, failed_logins: i % 20, severity: 'High' },
    }));
    const t0 = performance.now();
    const batches: string[] = [];
    for (let i = 0; i < N; i += 500) {
      const res = await fetch(`${p.url}/v1/alerts/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ alerts: alerts.slice(i, i + 500) }),
      });
      batches.push((await readJson(res)).batch_id);
    }
    await waitFor(
      async () => {
        const done = await Promise.all(
          batches.map(async (b) => (await readJson(await fetch(`${p.url}/v1/batches/${b}?limit=1`))).summary),
        );
        return done.every((s) => s.completed + s.failed === s.total);
      },
      { timeoutMs: 600_000, intervalMs: 250, message: 'all batches' },
    );
    return N / ((performance.now() - t0) / 1000);
  } finally {
    await p.stop();
  }
}

const single = await startRedisServer();
const one = await run({ REDIS_URL: single.url, QUEUE_PREFIX: '{bench}' }).finally(() => single.stop());
const cluster = await startRedisCluster(3);
const many = await run({
  REDIS_CLUSTER_NODES: cluster.addresses,
  REDIS_URL: `redis://${cluster.addresses.split(',')[0]}`,
  QUEUE_PREFIX: '{bench}',
}).finally(() => cluster.stop());
console.log(`| Redis | alerts/s (${N} alerts, accepted → verdict) |\n|---|---:|`);
console.log(`| one redis-server | ${one.toFixed(0)} |`);
console.log(`| 3-master Redis Cluster | ${many.toFixed(0)} |`);
console.log(`cluster / single = ${(many / one).toFixed(2)}`);
