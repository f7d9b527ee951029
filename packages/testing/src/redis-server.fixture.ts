import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './pipeline.fixture.ts';
import { waitFor } from './redis.fixture.ts';

/** True when `redis-server` is on PATH (tests that need their own Redis skip otherwise). */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface OwnRedis {
  port: number;
  url: string;
  /** Working directory (AOF, nodes.conf); removed by `stop()`. */
  dir: string;
  stop(): Promise<void>;
}

/**
 * A private `redis-server` on a free loopback port, for tests that need settings the shared Redis
 * must not get (maxmemory, cluster mode, command statistics of their own). `args` are added to the
 * command line, e.g. `['--cluster-enabled', 'yes']`.
 */
export async function startRedisServer(
  args: string[] = [],
  opts: { ports?: readonly number[] } = {},
): Promise<OwnRedis> {
  const port = opts.ports ? await freePortAmong(opts.ports) : await freePort();
  const dir = mkdtempSync(join(tmpdir(), `triage-redis-${port}-`));
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      ...args,
    ],
    { stdio: 'ignore' },
  );
  const probe = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // Refused connects while the server starts are expected: the loop below asks again.
  probe.on('error', () => undefined);
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
        try {
          if (probe.status !== 'ready') await probe.connect();
          return (await probe.ping()) === 'PONG';
        } catch {
          probe.disconnect();
          return false;
        }
      },
      { timeoutMs: 10_000, intervalMs: 50, message: `redis-server on port ${port}` },
    );
  } finally {
    probe.disconnect();
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Ports for the extra redis-servers of tests that need their own settings (maxmemory): a range kept
 * for them on shared machines, so they never land on another service's port.
 */
export const EXTRA_REDIS_PORTS: readonly number[] = Array.from({ length: 10 }, (_, i) => 6390 + i);

/** The first of `ports` nobody listens on (a machine may reserve a range for extra Redis servers). */
async function freePortAmong(ports: readonly number[]): Promise<number> {
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port among ${ports.join(', ')}`);
}

/** Calls per command since the last `CONFIG RESETSTAT` (from `INFO commandstats`). */
export async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  const out = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

/** True when both redis-server and redis-cli are on PATH (a cluster needs `redis-cli --cluster`). */
export function canStartRedisCluster(): boolean {
  return hasRedisServer() && spawnSync('redis-cli', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface OwnRedisCluster {
  nodes: OwnRedis[];
  /** `host:port,...` for REDIS_CLUSTER_NODES. */
  addresses: string;
  stop(): Promise<void>;
}

/**
 * A private Redis Cluster of `masters` masters (no replicas) on free loopback ports:
 * `redis-server --cluster-enabled yes` per node, joined with `redis-cli --cluster create`, resolved
 * once every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(masters = 3): Promise<OwnRedisCluster> {
  const nodes = await Promise.all(
    Array.from({ length: masters }, () =>
      startRedisServer([
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        '5000',
      ]),
    ),
  );
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  const addrs = nodes.map((n) => `127.0.0.1:${n.port}`);
  const create = spawnSync(
    'redis-cli',
    ['--cluster', 'create', ...addrs, '--cluster-replicas', '0', '--cluster-yes'],
    {
      encoding: 'utf8',
    },
  );
  if (create.status !== 0) {
    await stop();
    throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
  }
  await waitFor(
    () =>
      nodes.every((n) =>
        spawnSync('redis-cli', ['-p', String(n.port), 'cluster', 'info'], {
          encoding: 'utf8',
        }).stdout.includes('cluster_state:ok'),
      ),
    { timeoutMs: 30_000, intervalMs: 200, message: 'cluster_state:ok on every node' },
  );
  return { nodes, addresses: addrs.join(','), stop };
}
