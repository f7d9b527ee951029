import { type RedisFixture, redisFixture } from '@triage/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { evalScript, evalScriptBuffer, evalScriptMany } from './lua.ts';
import { createRedis } from './redis.ts';

let fx: RedisFixture;
beforeAll(async () => {
  fx = await redisFixture('lua');
});
afterAll(() => fx.close());

const INCR_BY = "return redis.call('INCRBY', KEYS[1], ARGV[1])";

it('runs scripts by SHA, loading them again after SCRIPT FLUSH, one at a time and pipelined', async () => {
  const k = `${fx.prefix}:n`;
  expect(await evalScript(fx.redis, INCR_BY, 1, k, 2)).toBe(2);
  await fx.redis.script('FLUSH');
  expect(await evalScript(fx.redis, INCR_BY, 1, k, 3)).toBe(5);
  await fx.redis.script('FLUSH');
  expect(
    await evalScriptMany(fx.redis, INCR_BY, 1, [
      [k, 1],
      [k, 10],
      [`${fx.prefix}:m`, 7],
    ]),
  ).toEqual([6, 16, 7]);
  expect(await evalScriptMany(fx.redis, INCR_BY, 1, [])).toEqual([]);
});

it('runs a script with its bulk replies as Buffers, loading it again after SCRIPT FLUSH', async () => {
  const k = `${fx.prefix}:bin`;
  const bytes = Buffer.from([0, 255, 1, 128]);
  await fx.redis.set(k, bytes);
  const GET_PAIR = "return {7, redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2])}";
  // The workers' general connection pipelines commands of one tick automatically.
  const client = createRedis(fx.url, 'client');
  try {
    for (const redis of [fx.redis, client]) {
      await fx.redis.script('FLUSH');
      const [a, b] = await Promise.all([
        evalScriptBuffer(redis, GET_PAIR, 2, k, `${fx.prefix}:none`),
        evalScriptBuffer(redis, GET_PAIR, 2, k, `${fx.prefix}:none`),
      ]);
      expect(a).toEqual([7, bytes, null]);
      expect(b).toEqual([7, bytes, null]);
      expect(await evalScriptBuffer(redis, GET_PAIR, 2, k, `${fx.prefix}:none`)).toEqual([7, bytes, null]);
    }
  } finally {
    client.disconnect();
  }
});
