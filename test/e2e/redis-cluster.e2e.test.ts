import {
  canStartRedisCluster,
  type OwnRedisCluster,
  type RunningPipeline,
  readJson,
  startPipeline,
  startRedisCluster,
  waitFor,
} from '@triage/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The whole pipeline (ingest + enrich, classify and deliver processes) on a real three-master Redis
 * Cluster on loopback ports, started here with `redis-server --cluster-enabled yes` and
 * `redis-cli --cluster create`. Skipped only when redis-server is not installed.
 */
const canRun = canStartRedisCluster();
const PREFIX = '{e2e-cluster}';
const N = 120;

let cluster: OwnRedisCluster | undefined;
let pipeline: RunningPipeline | undefined;

describe.skipIf(!canRun)('Redis Cluster: three masters, the whole pipeline', () => {
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    pipeline = await startPipeline({
      env: {
        REDIS_CLUSTER_NODES: cluster.addresses,
        REDIS_URL: `redis://${cluster.addresses.split(',')[0]}`,
        QUEUE_PREFIX: PREFIX,
        WORKER_CONCURRENCY: '8',
      },
    });
  }, 150_000);

  afterAll(async () => {
    await pipeline?.stop();
    await cluster?.stop();
  });

  it('runs alerts through ingest, enrich, classify and deliver; every key of the stack in one slot', {
    timeout: 120_000,
  }, async () => {
    const p = pipeline!;
    const alerts = Array.from({ length: N }, (_, i) => ({
      name: i % 2 ? 'Brute Force - TOR' : 'Port scan',
      alert: {
        user: `u${i}`,
        source_ip: i % 3 ? '185.220.101.52' : `10.0.0.${i % 200}`,
        failed_logins: i % 15,
        success: i % 4 === 0,
        severity: 'High',
      },
    }));
    const started = Date.now();
    const res = await fetch(`${p.url}/v1/alerts/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ alerts }),
    });
    expect(res.status).toBe(202);
    const { batch_id, ids } = await readJson(res);
    const summary = await waitFor(
      async () => {
        const s = (await readJson(await fetch(`${p.url}/v1/batches/${batch_id}?limit=1`))).summary;
        return s.completed + s.failed === N && s;
      },
      { timeoutMs: 90_000, intervalMs: 250, message: `${N} verdicts on the cluster` },
    );
    const seconds = (Date.now() - started) / 1000;
    expect(summary).toMatchObject({ total: N, completed: N, failed: 0 });
    const one = await readJson(await fetch(`${p.url}/v1/alerts/${ids[1]}`));
    expect(one.result.classification).toMatch(/TRUE_POSITIVE|FALSE_POSITIVE|NEEDS_REVIEW/);
    console.log(
      `[redis cluster e2e] ${N} alerts through the pipeline on a 3-master cluster in ${seconds.toFixed(1)} s (${(N / seconds).toFixed(0)} alerts/s)`,
    );

    // /health reads the cluster too: workers seen, queues drained.
    const health = await readJson(await fetch(`${p.url}/health`));
    expect(health).toMatchObject({ status: 'ok', redis: { ok: true } });
    expect(health.workers.enrich).toBeGreaterThanOrEqual(1);

    // The hash tag keeps the stack in one slot: all its keys on the master that owns that slot.
    const client = new Cluster(cluster!.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })));
    client.on('error', () => undefined);
    try {
      const slot = await client.cluster('KEYSLOT', `${PREFIX}:anything`);
      const masters = client.nodes('master');
      const keys = await Promise.all(masters.map((n) => n.dbsize()));
      const inSlot = await Promise.all(
        masters.map((n) => n.cluster('COUNTKEYSINSLOT', slot) as Promise<number>),
      );
      expect(keys.filter((c) => c > 0)).toHaveLength(1);
      expect(inSlot).toEqual(keys);
    } finally {
      client.disconnect();
    }
  });
});
