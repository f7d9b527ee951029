import { type RedisFixture, redisFixture } from '@triage/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { evalScript, evalScriptMany } from './lua.ts';

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
