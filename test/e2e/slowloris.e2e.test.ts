/**
 * Slow clients do not hold the ingest process: 1,000 sockets trickling a byte a second (headers
 * never finished; a 10 MB body without a key; a 500 KB body with a key) against the real ingest
 * process, while a normal client submits alerts and reads /health. The refused ones are closed at
 * once without reading their bodies, the others at the header and request deadlines.
 */
import { connect, type Socket } from 'node:net';
import {
  PIPELINE_HOOK_TIMEOUT_MS,
  type RedisFixture,
  type RunningPipeline,
  redisFixture,
  startPipeline,
  waitFor,
} from '@triage/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

const KEY = 'slowloris-e2e-admin-key';
const HEADERS_TIMEOUT_MS = 4000;
const REQUEST_TIMEOUT_MS = 8000;
/** Node checks those deadlines once a second (connectionsCheckingInterval); a loaded box adds more. */
const SLACK_MS = 4000;
const KINDS = { slowHeaders: 400, unauthenticatedBody: 300, authenticatedBody: 300 } as const;
type Kind = keyof typeof KINDS;

let fx: RedisFixture;
let pipeline: RunningPipeline;

beforeAll(async () => {
  fx = await redisFixture('e2e-slowloris');
  pipeline = await startPipeline({
    env: {
      REDIS_URL: fx.url,
      QUEUE_PREFIX: fx.prefix,
      TRIAGE_API_KEYS: KEY,
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    },
    // Ingest alone: what is measured is its HTTP server.
    services: { enrich: 0, classify: 0, deliver: 0 },
  });
}, PIPELINE_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await pipeline?.stop();
  await fx?.close();
});

interface Slow {
  kind: Kind;
  socket: Socket;
  openedAt: number;
  closedAt?: number;
  answer: string;
}

function openSlow(kind: Kind, port: number): Promise<Slow> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const s: Slow = { kind, socket, openedAt: 0, answer: '' };
    socket.setNoDelay(true);
    socket.on('data', (d) => {
      s.answer += d.toString('latin1');
    });
    socket.on('close', () => {
      s.closedAt ??= Date.now();
    });
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      s.openedAt = Date.now();
      const head = 'POST /v1/alerts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n';
      if (kind === 'slowHeaders') socket.write(head);
      else {
        // With a key, a length under the alert body limit: only the request deadline can end it.
        const [auth, length] =
          kind === 'authenticatedBody' ? [`Authorization: Bearer ${KEY}\r\n`, 500_000] : ['', 10_000_000];
        socket.write(`${head}${auth}Content-Length: ${length}\r\n\r\n{`);
      }
      resolve(s);
    });
    socket.once('error', reject);
  });
}

it('1,000 slow sockets do not stop a normal client; each is closed at its deadline', async () => {
  const port = Number(new URL(pipeline.url).port);
  const slow: Slow[] = [];
  for (const [kind, n] of Object.entries(KINDS) as Array<[Kind, number]>) {
    for (let i = 0; i < n; i += 100) {
      slow.push(
        ...(await Promise.all(Array.from({ length: Math.min(100, n - i) }, () => openSlow(kind, port)))),
      );
    }
  }
  // A byte a second on every socket still open (a header line, or one more byte of the body).
  const trickle = setInterval(() => {
    for (const s of slow) {
      if (s.closedAt || s.socket.destroyed) continue;
      s.socket.write(s.kind === 'slowHeaders' ? 'X-Slow: 1\r\n' : ' ');
    }
  }, 1000);

  // The normal client, for as long as the slowest sockets could live.
  const latencies: number[] = [];
  const statuses: number[] = [];
  const until = Date.now() + REQUEST_TIMEOUT_MS + 2000;
  let i = 0;
  try {
    while (Date.now() < until) {
      const t0 = performance.now();
      const [posted, health] = await Promise.all([
        fetch(`${pipeline.url}/v1/alerts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
          body: JSON.stringify({ name: `Normal ${i++}`, alert: { user: 'n', source_ip: '203.0.113.9' } }),
        }),
        fetch(`${pipeline.url}/health`, { headers: { authorization: `Bearer ${KEY}` } }),
      ]);
      latencies.push(performance.now() - t0);
      statuses.push(posted.status, health.status);
      await Promise.all([posted.arrayBuffer(), health.arrayBuffer()]);
      await new Promise((r) => setTimeout(r, 200));
    }
    await waitFor(() => slow.every((s) => s.closedAt), {
      timeoutMs: REQUEST_TIMEOUT_MS + SLACK_MS + 10_000,
      intervalMs: 200,
      message: 'every slow socket closed by the server',
    });
  } finally {
    clearInterval(trickle);
    for (const s of slow) s.socket.destroy();
  }

  const lived = (kind: Kind) =>
    slow.filter((s) => s.kind === kind).map((s) => (s.closedAt ?? Infinity) - s.openedAt);
  const max = (xs: number[]) => Math.max(...xs);
  const sorted = [...latencies].sort((a, b) => a - b);
  const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  console.log(
    `[slowloris e2e] ${slow.length} slow sockets (${Object.entries(KINDS)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')}); normal client: ${latencies.length} rounds (POST /v1/alerts + GET /health), ` +
      `p50 ${p(0.5).toFixed(0)} ms, p99 ${p(0.99).toFixed(0)} ms, max ${max(latencies).toFixed(0)} ms, statuses ${[...new Set(statuses)].join('/')}; ` +
      `closed by the server after at most: unauthenticated body ${(max(lived('unauthenticatedBody')) / 1000).toFixed(1)} s, ` +
      `slow headers ${(max(lived('slowHeaders')) / 1000).toFixed(1)} s, authenticated slow body ${(max(lived('authenticatedBody')) / 1000).toFixed(1)} s`,
  );

  expect(statuses.every((s) => s === 202 || s === 200)).toBe(true);
  expect(latencies.length).toBeGreaterThan(5);
  expect(max(latencies)).toBeLessThan(5000);
  // Refused at the auth hook: answered 401 and closed without reading the 10 MB body.
  for (const s of slow.filter((x) => x.kind === 'unauthenticatedBody')) {
    expect(s.answer).toMatch(/^HTTP\/1\.1 401/);
    expect(s.answer.toLowerCase()).toContain('connection: close');
  }
  expect(max(lived('unauthenticatedBody'))).toBeLessThan(SLACK_MS);
  expect(max(lived('slowHeaders'))).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
  expect(max(lived('authenticatedBody'))).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
  // ...and not before it: those were cut by the deadline, not refused for another reason.
  expect(Math.min(...lived('authenticatedBody'))).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 1000);
}, 120_000);
