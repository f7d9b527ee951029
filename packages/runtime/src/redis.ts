import { Cluster, Redis, type RedisOptions } from 'ioredis';

export type { Redis } from 'ioredis';

/** Where Redis is: one server (REDIS_URL), or a cluster (REDIS_CLUSTER_NODES, credentials from the URL). */
export interface RedisTarget {
  url: string;
  clusterNodes?: readonly string[];
}

/** The target a process's config names. */
export function redisTarget(config: {
  REDIS_URL: string;
  REDIS_CLUSTER_NODES: readonly string[];
}): RedisTarget {
  return { url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES };
}

/**
 * `worker`: blocking BullMQ connections, retry forever (`maxRetriesPerRequest: null`, as BullMQ requires).
 * `producer`: the HTTP path fails fast when Redis is away so ingest can answer 503 instead of hanging.
 * `client`: general commands from workers (caches, ledgers): retry, but never block forever.
 */
export type RedisRole = 'worker' | 'producer' | 'client';

/**
 * A connection for `role`. With cluster nodes it is an ioredis Cluster: it speaks the same command
 * API (and BullMQ takes it as is), so it is handed out typed as `Redis`. Code shared by both must
 * keep every key of one call in one slot (the prefix's hash tag does) and use no single-node
 * command (SCAN, KEYS, SELECT, CLIENT).
 */
export function createRedis(target: string | RedisTarget, role: RedisRole, extra: RedisOptions = {}): Redis {
  const t = typeof target === 'string' ? { url: target } : target;
  const base: RedisOptions = {
    connectionName: `triage-${role}`,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(times * 200, 5000),
  };
  const byRole: Record<RedisRole, RedisOptions> = {
    worker: { maxRetriesPerRequest: null, enableReadyCheck: false },
    producer: { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 },
    // Commands issued in the same tick go out in one write (store, cache and ledger calls per job).
    client: { maxRetriesPerRequest: 3, enableAutoPipelining: true },
  };
  const options: RedisOptions = { ...base, ...byRole[role], ...extra };
  const redis = t.clusterNodes?.length
    ? createCluster(t.url, t.clusterNodes, options)
    : new Redis(t.url, options);
  // Connection errors surface on the commands that need Redis (and in /health); without a listener
  // ioredis would also print every reconnect attempt as an unhandled error event.
  redis.on('error', () => undefined);
  return redis;
}

function createCluster(url: string, nodes: readonly string[], options: RedisOptions): Redis {
  const u = new URL(url);
  const { enableOfflineQueue, enableAutoPipelining, retryStrategy, ...nodeOptions } = options;
  const cluster = new Cluster(
    nodes.map((n) => {
      const i = n.lastIndexOf(':');
      return { host: n.slice(0, i), port: Number(n.slice(i + 1)) };
    }),
    {
      // Per-node options: the role's retry policy (BullMQ reads maxRetriesPerRequest here) and the
      // credentials and TLS of REDIS_URL.
      redisOptions: {
        ...nodeOptions,
        ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
        ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
        ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
      },
      enableOfflineQueue: enableOfflineQueue ?? true,
      enableAutoPipelining: enableAutoPipelining ?? false,
      enableReadyCheck: true,
      clusterRetryStrategy: (times) => Math.min(times * 200, 5000),
      // Masters only: a replica may lag, and queues must read what they just wrote.
      scaleReads: 'master',
    },
  );
  void retryStrategy;
  return cluster as unknown as Redis;
}

/**
 * Bounds a Redis-backed operation on the request path: BullMQ waits for its connection to come back
 * rather than failing, and an HTTP client must get a 503 instead of a hung request.
 */
export async function withRedisTimeout<T>(op: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      op,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new RedisTimeoutError(`${what}: Redis did not answer within ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export class RedisTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisTimeoutError';
  }
}

/**
 * A Redis URL fit for a message: the password (and a lone userinfo, which ioredis also reads as a
 * password) becomes `***`. Works on strings that are not valid URLs too: those are what end in errors.
 */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/?#]*)@/, (_m, info: string) => {
    const colon = info.indexOf(':');
    return colon < 0 ? '//***@' : `//${info.slice(0, colon)}:***@`;
  });
}

/** Resolves once the connection is ready, or rejects after `timeoutMs` with a message saying how to get Redis. */
export async function waitForRedis(
  redis: Redis,
  target: string | RedisTarget,
  timeoutMs = 5000,
): Promise<void> {
  const t = typeof target === 'string' ? { url: target } : target;
  const where = t.clusterNodes?.length
    ? `the Redis Cluster at ${t.clusterNodes.join(',')}`
    : redactUrl(t.url);
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(
          `Redis did not answer at ${where} within ${timeoutMs} ms. Start one (e.g. \`redis-server\`) or set REDIS_URL.`,
        ),
      );
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}

/**
 * True when Redis refused a write because it is at `maxmemory` with `noeviction` (the reply starts
 * with `OOM`, also from inside a Lua script). Looks through `cause` chains: callers wrap it.
 */
export function isRedisOom(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && message.includes('OOM command not allowed')) return true;
  }
  return false;
}

/** Redis memory use against its `maxmemory` (0 = no limit); on a cluster, the fullest master. */
export interface RedisMemory {
  usedBytes: number;
  maxBytes: number;
}

function parseMemory(info: string): RedisMemory {
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  return { usedBytes: field('used_memory'), maxBytes: field('maxmemory') };
}

/** `INFO memory` of the server (every master of a cluster: the one closest to its limit). */
export async function readRedisMemory(redis: Redis): Promise<RedisMemory> {
  const masters = (redis as unknown as Partial<Cluster>).nodes?.('master');
  if (!masters) return parseMemory(await redis.info('memory'));
  const all = await Promise.all(masters.map(async (n) => parseMemory(await n.info('memory'))));
  const ratio = (m: RedisMemory) => (m.maxBytes > 0 ? m.usedBytes / m.maxBytes : 0);
  return all.reduce((a, b) => (ratio(b) > ratio(a) ? b : a), { usedBytes: 0, maxBytes: 0 });
}

/**
 * Whether Redis memory is at the watermark (a share of maxmemory past which new work is refused, so
 * work already accepted keeps room to finish) and whether it is full (at maxmemory: with noeviction
 * every write is refused). A Redis without maxmemory is never either.
 */
export function memoryPressure(
  m: RedisMemory,
  watermark: number,
): { high: boolean; full: boolean; ratio: number } {
  if (m.maxBytes <= 0) return { high: false, full: false, ratio: 0 };
  const ratio = m.usedBytes / m.maxBytes;
  return { high: ratio >= watermark, full: ratio >= 1, ratio };
}
