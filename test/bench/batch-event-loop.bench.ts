/**
 * `pnpm bench:batch-loop`: what one large batch costs the ingest process while it is accepted. An
 * in-process ingest (the real app on a real port and Redis) takes a 10,000-alert NDJSON batch of
 * real Wazuh alerts padded to about 6.4 KB each (64 MB, as the issue measured), while a second
 * client keeps submitting single alerts; prints the event-loop delay during the batch (perf_hooks
 * monitorEventLoopDelay, p50/p99/max), the single alerts' latency and the RSS growth. Reported,
 * never asserted.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildApp, createIngestDeps } from '@triage/ingest';
import { createLogger, loadConfig, Shutdown, waitForRedis } from '@triage/runtime';
import { redisFixture } from '@triage/testing';

const N = Number(process.env.BENCH_ALERTS ?? 10_000);
const TARGET_BYTES = 6_400;
process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';

const fixture = readFileSync(
  new URL('../fixtures/wazuh/wazuh_alerts_aitads_attack_window_100.ndjson', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Record<string, unknown>);

function line(i: number): string {
  const a = structuredClone(fixture[i % fixture.length]!);
  a.id = `1796100000.${i}`;
  const log = String(a.full_log ?? '');
  const pad = Math.max(0, TARGET_BYTES - JSON.stringify(a).length);
  a.full_log = `${log} ${'context '.repeat(Math.ceil(pad / 8))}`.slice(0, log.length + pad);
  return JSON.stringify(a);
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

const fx = await redisFixture('bench-batch-loop');
const logger = createLogger('bench', 'silent');
const shutdown = new Shutdown(logger, 5000);
const deps = createIngestDeps(
  loadConfig({ REDIS_URL: fx.url, QUEUE_PREFIX: fx.prefix, LOG_LEVEL: 'silent' }),
  logger,
  shutdown,
);
await waitForRedis(deps.redis, fx.url);
const app = await buildApp(deps);
const url = await app.listen({ host: '127.0.0.1', port: 0 });
// Bytes, encoded before the measurement: the client runs in this process, and fetch encoding a
// 60 MB string is a 0.2 s block of its own that the ingest is not to blame for.
const body = Buffer.from(Array.from({ length: N }, (_, i) => line(i)).join('\n'));
const single = JSON.stringify({ name: 'Concurrent', alert: { user: 'c', source_ip: '203.0.113.7' } });
await fetch(`${url}/v1/alerts`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: single,
});

global.gc?.();
const rssBefore = process.memoryUsage().rss;
let rssPeak = rssBefore;
const rssTimer = setInterval(() => {
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
}, 20);
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
let batchDone = false;
const latencies: number[] = [];
const concurrent = (async () => {
  while (!batchDone) {
    const t0 = performance.now();
    const res = await fetch(`${url}/v1/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: single,
    });
    await res.arrayBuffer();
    latencies.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 20));
  }
})();
const t0 = performance.now();
const res = await fetch(`${url}/v1/alerts/batch`, {
  method: 'POST',
  headers: { 'content-type': 'application/x-ndjson' },
  body,
});
const answer = (await res.json()) as { accepted: number; rejected: unknown[] };
const acceptMs = performance.now() - t0;
batchDone = true;
await concurrent;
loop.disable();
clearInterval(rssTimer);

const ms = (ns: number) => (ns / 1e6).toFixed(1);
console.log(
  `[batch event loop] ${N} Wazuh alerts, ${(body.length / 1024 / 1024).toFixed(1)} MB NDJSON: HTTP ${res.status}, ` +
    `${answer.accepted} accepted, ${answer.rejected.length} rejected in ${(acceptMs / 1000).toFixed(2)} s; ` +
    `ingest event-loop delay p50 ${ms(loop.percentile(50))} ms, p99 ${ms(loop.percentile(99))} ms, max ${ms(loop.max)} ms; ` +
    `${latencies.length} single alerts meanwhile: p50 ${pct(latencies, 50).toFixed(0)} ms, p99 ${pct(latencies, 99).toFixed(0)} ms, ` +
    `max ${Math.max(...latencies).toFixed(0)} ms; RSS +${((rssPeak - rssBefore) / 1024 / 1024).toFixed(0)} MB at peak; ` +
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
);
await app.close();
await shutdown.run('bench');
await fx.close();
