/**
 * Alerts built to burn CPU go through the real pipeline in bounded time while other alerts keep
 * flowing. Before RE2 and linear URL trimming, the first alone held a classify worker for 36 s
 * (each extra `/**\/` doubled it, the job lost its lock and moved on to the next worker), and the
 * third held an enrich worker for 80 s.
 */
import {
  PIPELINE_HOOK_TIMEOUT_MS,
  type RedisFixture,
  type RunningPipeline,
  readJson,
  redisFixture,
  startPipeline,
  waitFor,
} from '@triage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let fx: RedisFixture;
let pipeline: RunningPipeline;

beforeAll(async () => {
  fx = await redisFixture('e2e-hostile');
  pipeline = await startPipeline({ env: { REDIS_URL: fx.url, QUEUE_PREFIX: fx.prefix } });
}, PIPELINE_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await pipeline?.stop();
  await fx?.close();
});

const KB = 1024;
/** The three inputs of the issue, at the sizes it measured them. */
const HOSTILE: Array<[string, Record<string, unknown>]> = [
  [
    'SQL injection URL: union + /**/ x 30, 756 bytes (36 s of CPU before)',
    { name: 'Web request', alert: { url: `http://shop.example/search.php?q=union${'/**/'.repeat(30)}` } },
  ],
  [
    'certutil command line without its flag, 8 KB',
    { name: 'Process execution', alert: { CommandLine: 'certutil.exe '.repeat((8 * KB) / 13) } },
  ],
  [
    'rundll32 command line without a script, 8 KB',
    { name: 'Process execution', alert: { CommandLine: 'rundll32.exe url.dll '.repeat((8 * KB) / 21) } },
  ],
  [
    'download-and-run shape without the pipe, 8 KB',
    { name: 'Process execution', alert: { command: 'curl wget -o /tmp/x '.repeat((8 * KB) / 20) } },
  ],
  [
    'a URL followed by 65 KB of closing brackets (URL trimming, 80 s before)',
    { name: 'Proxy log', alert: { message: `see http://203.0.113.9/${')'.repeat(65 * KB)}` } },
  ],
];

const plain = (i: number) => ({
  name: `Failed login ${i}`,
  alert: { user: `u${i}`, source_ip: '10.0.0.7', failed_logins: 1 },
});

async function post(alerts: unknown[]): Promise<string[]> {
  const res = await fetch(`${pipeline.url}/v1/alerts/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ alerts }),
  });
  expect(res.status).toBe(202);
  return (await readJson(res)).ids;
}

async function completed(id: string) {
  return waitFor(
    async () => {
      const v = await readJson(await fetch(`${pipeline.url}/v1/alerts/${id}`));
      return v.status === 'completed' && v;
    },
    { timeoutMs: 30_000, intervalMs: 50, message: `alert ${id}\n${pipeline.logs().slice(-2000)}` },
  );
}

describe('hostile inputs through the pipeline', () => {
  it('each completes in under a second while plain alerts keep flowing', async () => {
    // A warm pipeline (JIT, RE2's lazily built automata): what a running deployment is.
    const before = await post(Array.from({ length: 10 }, (_, i) => plain(i)));
    for (const id of before) await completed(id);
    const hostileIds = await post(HOSTILE.map(([, a]) => a));
    const after = await post(Array.from({ length: 10 }, (_, i) => plain(100 + i)));
    const timings: Array<[string, number, number]> = [];
    for (const [i, id] of hostileIds.entries()) {
      const v = await completed(id);
      timings.push([
        HOSTILE[i]![0],
        Date.parse(v.completed_at) - Date.parse(v.received_at),
        v.result.performance.processing_time,
      ]);
    }
    const plainTimes: number[] = [];
    for (const id of after) plainTimes.push((await completed(id)).result.performance.processing_time);
    console.log('[hostile e2e] [input, received → completed (ms), classify time (s)]:', timings, {
      plain_classify_s: plainTimes,
    });
    // The classify step, where the CPU goes, takes under a second for each: before RE2 the first
    // input alone held a worker for 36 s. Received → completed also counts the queue wait behind
    // the other alerts, which on a loaded CI box is seconds on its own: it is held to well under
    // the worker's lock duration (30 s), past which a stuck job was handed to the next worker.
    expect(timings.filter(([, , classifySeconds]) => classifySeconds >= 1)).toEqual([]);
    expect(timings.filter(([, ms]) => ms >= 10_000)).toEqual([]);
  });
});
