import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  type RunningPipeline,
  readJson,
  startPipeline,
  uniquePrefix,
  waitFor,
} from '@triage/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Feedback is the one piece of state an analyst builds by hand: it must survive a restart of every
 * process and of Redis. This test runs its own redis-server with AOF (fsync always, as a SOC would
 * run it for this data), kills it outright mid-life, and checks the restarted pipeline still
 * decides by the feedback.
 */
const hasRedis = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

let dir: string;
let port: number;
let server: ChildProcess | undefined;
let pipeline: RunningPipeline | undefined;
const prefix = uniquePrefix('memory-aof');

async function startRedis(): Promise<void> {
  server = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
    ],
    { stdio: 'ignore' },
  );
  await waitFor(
    async () => {
      const r = new Redis(port, '127.0.0.1', {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      r.on('error', () => undefined);
      try {
        await r.connect();
        return (await r.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        r.disconnect();
      }
    },
    { timeoutMs: 10_000, message: 'redis-server up' },
  );
}

async function killRedis(): Promise<void> {
  const s = server;
  server = undefined;
  if (!s || s.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    s.once('exit', () => resolve());
    s.kill('SIGKILL');
  });
}

const env = () => ({ REDIS_URL: `redis://127.0.0.1:${port}`, QUEUE_PREFIX: prefix });
const post = async (path: string, body: unknown) =>
  fetch(`${pipeline!.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const get = async (path: string) => readJson(await fetch(`${pipeline!.url}${path}`));

async function triaged(alert: unknown) {
  const { id } = await readJson(await post('/v1/alerts', alert));
  return waitFor(
    async () => {
      const v = await get(`/v1/alerts/${id}`);
      return v.status === 'completed' && v;
    },
    { timeoutMs: 20_000, message: 'verdict' },
  );
}

describe.skipIf(!hasRedis)('feedback survives a restart of every process and of Redis (AOF)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'triage-aof-'));
    port = await freePort();
    await startRedis();
    pipeline = await startPipeline({ env: env() });
  }, 60_000);

  afterAll(async () => {
    await pipeline?.stop();
    await killRedis();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores feedback, survives kill -9 of Redis and a restart of all services, then still decides', async () => {
    const scan = (n: number) => ({
      name: 'Port scan from workstation',
      host: 'ws-17',
      user: 'svc-scan',
      source_ip: '10.1.2.3',
      severity: 'Medium',
      run: n,
    });
    const routine = { name: 'Scheduled inventory job', host: 'srv-9', severity: 'Low', job: 'inventory' };

    const a = await triaged(scan(1));
    const tp = await readJson(
      await post(`/v1/alerts/${a.id}/feedback`, {
        verdict: 'TRUE_POSITIVE',
        analyst: 'dana',
        comment: 'not our scanner',
      }),
    );
    const b = await triaged(routine);
    const fp = await readJson(
      await post(`/v1/alerts/${b.id}/feedback`, {
        verdict: 'FALSE_POSITIVE',
        scope: 'alert',
        analyst: 'lee',
      }),
    );
    expect(tp.id).toMatch(/^fb_/);
    expect(fp.id).toMatch(/^fb_/);

    await pipeline!.stop();
    pipeline = undefined;
    await killRedis();
    await startRedis();
    pipeline = await startPipeline({ env: env() });

    const listed = await get('/v1/feedback');
    expect(listed.items.map((f: { id: string }) => f.id).sort()).toEqual([tp.id, fp.id].sort());
    const twin = await triaged(scan(2));
    expect(twin.result).toMatchObject({ classification: 'TRUE_POSITIVE', decided_by: 'memory' });
    expect(twin.result.reasoning[0]).toContain(tp.id);
    const again = await triaged(routine);
    expect(again.id).not.toBe(b.id);
    expect(again.result).toMatchObject({
      classification: 'FALSE_POSITIVE',
      decided_by: 'memory',
      disposition: 'recommended_close',
    });
    expect((await get(`/v1/feedback/${tp.id}`)).applied.count).toBe(1);
  }, 120_000);
});
