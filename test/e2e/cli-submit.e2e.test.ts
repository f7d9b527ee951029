/**
 * `triage submit` against a running pipeline (separate processes, real Redis): interrupted with
 * SIGINT half-way and resumed, every line is accepted exactly once and `--out` has one row per input
 * line in input order; a crash between the server's 202 and the state file is healed by the batch's
 * Idempotency-Key; CSV timelines, gzipped JSON arrays and stdin stream in; bad lines are listed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import {
  type RedisFixture,
  type RunningPipeline,
  redisFixture,
  startPipeline,
  waitFor,
} from '@triage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'triage-cli-'));
const N = 600;
const source = readFileSync(
  new URL('../fixtures/wazuh/aitads_russellmitchell_event_labeled.ndjson', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter((l) => l.trim());

let fx: RedisFixture;
let pipeline: RunningPipeline;

function cli(
  args: string[],
  input?: string,
): { child: ChildProcess; done: Promise<{ code: number; out: string; err: string }> } {
  const child = spawn(
    process.execPath,
    ['--conditions=source', 'packages/cli/src/triage.ts', '--url', pipeline.url, ...args],
    {
      cwd: ROOT,
      env: { ...process.env, INIT_CWD: dir },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  if (input !== undefined) child.stdin!.end(input);
  else child.stdin!.end();
  const done = new Promise<{ code: number; out: string; err: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code: code ?? (signal === 'SIGINT' ? 130 : -1), out, err })),
  );
  return { child, done };
}

const journal = (name: string) =>
  (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : '')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { t: string; batch_id?: string; accepted?: number });

async function alertRecords(): Promise<number> {
  let n = 0;
  let cursor = '0';
  do {
    const [next, keys] = await fx.redis.scan(cursor, 'MATCH', `${fx.prefix}:alert:*`, 'COUNT', 1000);
    cursor = next;
    n += keys.length;
  } while (cursor !== '0');
  return n;
}

beforeAll(async () => {
  fx = await redisFixture('e2e-cli');
  pipeline = await startPipeline({ env: { REDIS_URL: fx.url, QUEUE_PREFIX: fx.prefix } });
  // Distinct rows (the label columns are ground truth: kept out of what is posted is eval's job, not ours).
  writeFileSync(join(dir, 'alerts.ndjson'), `${source.slice(0, N).join('\n')}\n`);
}, 120_000);

afterAll(async () => {
  await pipeline?.stop();
  await fx?.close();
});

describe('triage submit', () => {
  it('SIGINT half-way, then --resume: every line accepted exactly once, --out complete and in order', async () => {
    const first = cli([
      'submit',
      'alerts.ndjson',
      '--lane',
      'backlog',
      '--batch-items',
      '40',
      '--state',
      'run.state',
    ]);
    await waitFor(() => journal('run.state').filter((e) => e.t === 'ok').length >= 4, {
      timeoutMs: 60_000,
      intervalMs: 20,
      message: 'a few batches accepted',
    });
    first.child.kill('SIGINT');
    const r1 = await first.done;
    expect(r1.code).toBe(130);
    expect(r1.err).toMatch(/--resume/);
    const okBefore = journal('run.state').filter((e) => e.t === 'ok').length;
    expect(okBefore).toBeLessThan(N / 40);

    const second = cli([
      'submit',
      'alerts.ndjson',
      '--lane',
      'backlog',
      '--batch-items',
      '40',
      '--state',
      'run.state',
      '--resume',
      '--out',
      'out.ndjson',
      '--json',
    ]);
    const r2 = await second.done;
    expect(r2.code, r2.err).toBe(0);
    const summary = JSON.parse(r2.out);
    expect(summary).toMatchObject({ read: N, accepted: N, rejected: 0, completed: N, failed: 0 });
    const oks = journal('run.state').filter((e) => e.t === 'ok');
    expect(oks.reduce((a, e) => a + (e.accepted ?? 0), 0)).toBe(N);
    expect(new Set(oks.map((e) => e.batch_id)).size).toBe(oks.length);
    // Exactly once on the server: one alert record per line, no more.
    expect(await alertRecords()).toBe(N);
    const rows = readFileSync(join(dir, 'out.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(N);
    expect(rows.map((r) => r.line)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(rows.every((r) => r.status === 'completed' && r.classification && r.alert_id)).toBe(true);
    expect(new Set(rows.map((r) => r.alert_id)).size).toBe(N);
  }, 240_000);

  it('a crash after the server accepted a batch but before the state file recorded it: resume is answered, not re-accepted', async () => {
    writeFileSync(join(dir, 'crash.ndjson'), `${source.slice(N, N + 90).join('\n')}\n`);
    const before = await alertRecords();
    const r = await cli(['submit', 'crash.ndjson', '--batch-items', '30', '--state', 'crash.state']).done;
    expect(r.code, r.err).toBe(0);
    // Cut the journal back to just after the last `send`: as if the process died waiting for the 202.
    const lines = readFileSync(join(dir, 'crash.state'), 'utf8').trim().split('\n');
    const lastSend = lines.map((l) => JSON.parse(l).t).lastIndexOf('send');
    writeFileSync(join(dir, 'crash.state'), `${lines.slice(0, lastSend + 1).join('\n')}\n`);
    const again = await cli([
      'submit',
      'crash.ndjson',
      '--batch-items',
      '30',
      '--state',
      'crash.state',
      '--resume',
      '--json',
    ]).done;
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ accepted: 90, rejected: 0 });
    expect((await alertRecords()) - before).toBe(90);
  }, 120_000);

  it('CSV timelines, gzipped JSON arrays and stdin stream in; a bad line is listed and exits 1; usage errors exit 2', async () => {
    writeFileSync(
      join(dir, 'hayabusa.csv'),
      'Timestamp,Computer,Channel,EventID,Level,RuleTitle,Details\n' +
        '2024-02-27 10:00:00.000 +00:00,WS01,Sec,4625,med,Failed Logon,"User: alice, IP: 185.220.101.5"\n' +
        '2024-02-27 10:00:05.000 +00:00,WS01,Sec,4624,info,Logon,"User: alice\nType: 3"\n',
    );
    writeFileSync(
      join(dir, 'arr.json.gz'),
      gzipSync(JSON.stringify(source.slice(700, 705).map((l) => JSON.parse(l)))),
    );
    const r = await cli(
      ['submit', 'hayabusa.csv', 'arr.json.gz', '-', '--wait', '--json', '--out', 'mixed.csv'],
      `${source[710]}\n{not json\n`,
    ).done;
    expect(r.code).toBe(1);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ read: 9, accepted: 8, rejected: 1 });
    expect(r.err).toMatch(/-:2 rejected INVALID_JSON/);
    const csv = readFileSync(join(dir, 'mixed.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(10);
    expect(csv[0]).toMatch(/^file,line,alert_id/);
    expect((await cli(['submit'], '').done).code).toBe(2);
    expect((await cli(['submit', 'alerts.ndjson', '--lane', 'sideways']).done).code).toBe(2);
    expect((await cli(['submit', 'missing.ndjson']).done).code).toBe(2);
  }, 120_000);
});
