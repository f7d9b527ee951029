import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

type Arg = string | number | Buffer;
const shas = new Map<string, string>();

/**
 * Runs a Lua script by its SHA1 (EVALSHA), loading it with EVAL only when Redis does not know it yet
 * (first call, restart, SCRIPT FLUSH). Hot paths call scripts per job: sending the source every time
 * costs bandwidth and socket writes for nothing.
 */
export async function evalScript(
  redis: Redis,
  lua: string,
  numKeys: number,
  ...args: Arg[]
): Promise<unknown> {
  let sha = shas.get(lua);
  if (!sha) {
    sha = createHash('sha1').update(lua).digest('hex');
    shas.set(lua, sha);
  }
  try {
    return await redis.evalsha(sha, numKeys, ...args);
  } catch (err) {
    if ((err as Error).message?.startsWith('NOSCRIPT')) return redis.eval(lua, numKeys, ...args);
    throw err;
  }
}
