import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createLogger, loadConfig, Metrics } from '@triage/runtime';
import { AbuseIpdbFake, type RedisFixture, redisFixture, VirusTotalFake, waitFor } from '@triage/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntelService } from './intel-service.ts';
import { driveGather, testAlert, WakeHub } from './test-support/gather-driver.ts';

const CHILD = fileURLToPath(new URL('./test-support/lookup-workers.process.ts', import.meta.url));
const PROCESSES = 3;

// Each fake enforces 5 req/s on its own; the pipeline is configured at 4/s.
const abuse = new AbuseIpdbFake({ rateLimit: { max: 5, perMs: 1000 } });
const vt = new VirusTotalFake({ rateLimit: { max: 5, perMs: 1000 } });
let fx: RedisFixture;
let env: Record<string, string>;
const children: ChildProcess[] = [];
let subscriber: Redis;
const hub = new WakeHub();

function startChild(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--conditions=source', CHILD], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`lookup worker process exited (${code}): ${err}`)));
  });
}

beforeAll(async () => {
  await abuse.start();
  await vt.start();
  fx = await redisFixture('intel-multiproc');
  env = {
    PATH: process.env.PATH ?? '',
    REDIS_URL: fx.url,
    QUEUE_PREFIX: fx.prefix,
    LOG_LEVEL: 'warn',
    ABUSEIPDB_API_KEY: abuse.apiKey,
    ABUSEIPDB_BASE_URL: abuse.url,
    ABUSEIPDB_RATE_LIMIT: '4/s',
    VIRUSTOTAL_API_KEY: vt.apiKey,
    VIRUSTOTAL_BASE_URL: vt.url,
    VIRUSTOTAL_RATE_LIMIT: '4/s',
    INTEL_TIMEOUT_MS: '2000',
    INTEL_WAIT_MS: '30000',
    INTEL_POLL_MS: '2000',
  };
  subscriber = new Redis(fx.url);
  await subscriber.subscribe(`${fx.prefix}:test-wake`);
  subscriber.on('message', (_channel, message: string) => void hub.wake(JSON.parse(message) as string[]));
  await Promise.all(Array.from({ length: PROCESSES }, startChild));
  // Waits on each child's "ready" line; starting Node processes on a loaded CI box can take long.
}, 150_000);

afterAll(async () => {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
  subscriber?.disconnect();
  await fx?.close();
  await abuse.close();
  await vt.close();
});

describe('lookup limits across processes', () => {
  it('200 alerts sharing 20 IPs: one request per IP per provider, never above the rate, zero 429s', async () => {
    const metrics = new Metrics({ processMetrics: false });
    // The gathering side runs here; the lookups run only in the child processes.
    const service = new IntelService({
      redis: fx.redis,
      connection: { url: fx.url, maxRetriesPerRequest: null },
      prefix: fx.prefix,
      config: loadConfig(env),
      logger: createLogger('intel-test', 'silent'),
      metrics,
      wake: hub.wake,
    });
    const ips = Array.from({ length: 20 }, (_, i) => `45.20.0.${i + 1}`);
    const t0 = Date.now();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        driveGather(
          service,
          hub,
          testAlert({
            src_ip: ips[i % 20],
            dst_ip: `10.1.0.${i % 250}`,
            description: 'lateral move to 192.168.7.7 and 127.0.0.1',
          }),
          `mp-${i}`,
        ),
      ),
    );
    const elapsed = Date.now() - t0;
    try {
      for (const r of results) {
        expect(r.enrichment.partial).toBe(false);
        expect(Object.keys(r.enrichment.intel[r.enrichment.observables[0]!.value]!.providers).sort()).toEqual(
          ['abuseipdb', 'offline', 'virustotal'],
        );
      }
      const a = abuse.stats();
      const v = vt.stats();
      for (const s of [a, v]) {
        expect(s.requests).toBe(20);
        expect(Object.values(s.byValue)).toEqual(Array(20).fill(1));
        expect(s.seen.sort()).toEqual([...ips].sort());
        expect(s.rateLimited).toBe(0);
        expect(s.maxInWindow).toBeLessThanOrEqual(4);
      }
      // 20 calls at 4/s need ~4 s; the limiter must not make it much slower either.
      expect(elapsed).toBeGreaterThan(3500);
      expect(elapsed).toBeLessThan(15_000);
      const misses = results.reduce((n, r) => n + r.enrichment.cache.misses, 0);
      const hits = results.reduce((n, r) => n + r.enrichment.cache.hits, 0);
      console.log(
        `[intel multiprocess] ${PROCESSES} worker processes, 200 alerts / 20 IPs: abuseipdb ${a.requests} requests ` +
          `(max ${a.maxInWindow}/s, ${a.rateLimited} × 429), virustotal ${v.requests} requests ` +
          `(max ${v.maxInWindow}/s, ${v.rateLimited} × 429), cache hits ${hits} / misses ${misses}, ` +
          `wakes ${hub.wakes}, ${elapsed} ms`,
      );
      // Workers in every process took part: the rate was shared, not one process doing it all.
      await waitFor(
        async () =>
          Number(
            await fx.redis.get(`${fx.prefix}:intel:quota:abuseipdb:${new Date().toISOString().slice(0, 10)}`),
          ) === 20,
      );
    } finally {
      await service.close();
      await metrics.close();
    }
  }, 30_000);
});
