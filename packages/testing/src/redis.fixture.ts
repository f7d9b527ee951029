import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

let containerUrl: Promise<string> | undefined;

/**
 * The Redis tests run against: `REDIS_URL` when set (CI and dev machines have one), otherwise a
 * Redis testcontainer started once per test process (needs a Docker engine).
 */
export async function testRedisUrl(): Promise<string> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) return fromEnv;
  containerUrl ??= (async () => {
    const { GenericContainer, Wait } = await import('testcontainers');
    const c = await new GenericContainer('redis:7-alpine')
      .withExposedPorts(6379)
      .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
      .start();
    return `redis://${c.getHost()}:${c.getMappedPort(6379)}`;
  })();
  return containerUrl;
}

/** A unique key/queue prefix per test file, so files never see each other's jobs. */
export function uniquePrefix(name: string): string {
  return `test-${name}-${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under a prefix (BullMQ keys included). */
export async function cleanupPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (found.length) await redis.unlink(...found);
  } while (cursor !== '0');
}

export interface RedisFixture {
  url: string;
  prefix: string;
  redis: Redis;
  /** Call in afterAll: removes the prefix's keys and closes the connection. */
  close(): Promise<void>;
}

export async function redisFixture(name: string): Promise<RedisFixture> {
  const url = await testRedisUrl();
  const prefix = uniquePrefix(name);
  const redis = new Redis(url, { maxRetriesPerRequest: 3 });
  return {
    url,
    prefix,
    redis,
    async close() {
      await cleanupPrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

/** Polls `check` until it returns a truthy value or the deadline passes (no fixed sleeps in tests). */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  { timeoutMs = 10_000, intervalMs = 25, message = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Adds a job to a BullMQ queue under `jobId` and waits until it has failed; returns it (its
 * `failedReason`, attempts).
 */
export async function runToFailure<D, J extends { failedReason?: string }>(
  queue: {
    add(name: string, data: D, opts: { jobId: string }): Promise<unknown>;
    getJob(id: string): Promise<J | undefined>;
  },
  name: string,
  data: D,
  jobId: string,
): Promise<J> {
  await queue.add(name, data, { jobId });
  return waitFor(
    async () => {
      const j = await queue.getJob(jobId);
      return j?.failedReason ? j : undefined;
    },
    { message: `job ${jobId} failed` },
  );
}
