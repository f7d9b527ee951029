import { Redis, type RedisOptions } from 'ioredis';

export type { Redis } from 'ioredis';

/**
 * `worker`: blocking BullMQ connections, retry forever (`maxRetriesPerRequest: null`, as BullMQ requires).
 * `producer`: the HTTP path fails fast when Redis is away so ingest can answer 503 instead of hanging.
 * `client`: general commands from workers (caches, ledgers): retry, but never block forever.
 */
export type RedisRole = 'worker' | 'producer' | 'client';

export function createRedis(url: string, role: RedisRole, extra: RedisOptions = {}): Redis {
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
  const redis = new Redis(url, { ...base, ...byRole[role], ...extra });
  // Connection errors surface on the commands that need Redis (and in /health); without a listener
  // ioredis would also print every reconnect attempt as an unhandled error event.
  redis.on('error', () => undefined);
  return redis;
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
export async function waitForRedis(redis: Redis, url: string, timeoutMs = 5000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(
          `Redis did not answer at ${redactUrl(url)} within ${timeoutMs} ms. Start one (e.g. \`redis-server\`) or set REDIS_URL.`,
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
