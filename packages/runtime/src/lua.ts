import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

type Arg = string | number | Buffer;
const shas = new Map<string, string>();

function shaOf(lua: string): string {
  let sha = shas.get(lua);
  if (!sha) {
    sha = createHash('sha1').update(lua).digest('hex');
    shas.set(lua, sha);
  }
  return sha;
}

/**
 * Runs a Lua script by its SHA1 (EVALSHA), loading it with EVAL only when Redis does not know it yet
 * (first call, restart, SCRIPT FLUSH). Hot paths call scripts per job: sending the source every time
 * costs bandwidth and socket writes for nothing.
 */
export function evalScript(redis: Redis, lua: string, numKeys: number, ...args: Arg[]): Promise<unknown> {
  return runScript(
    (sha) => redis.evalsha(sha, numKeys, ...args),
    () => redis.eval(lua, numKeys, ...args),
    lua,
  );
}

/** The Buffer-reply forms of EVALSHA / EVAL ioredis generates for every command (not in its types). */
type BufferEval = Record<
  'evalshaBuffer' | 'evalBuffer',
  (s: string, n: number, ...a: Arg[]) => Promise<unknown>
>;

/**
 * `evalScript` with bulk replies as Buffers (a script that returns compressed record fields). Not
 * `callBuffer`: with auto-pipelining ioredis 6 sends it without its command name.
 */
export function evalScriptBuffer(
  redis: Redis,
  lua: string,
  numKeys: number,
  ...args: Arg[]
): Promise<unknown> {
  const r = redis as unknown as BufferEval;
  return runScript(
    (sha) => r.evalshaBuffer(sha, numKeys, ...args),
    () => r.evalBuffer(lua, numKeys, ...args),
    lua,
  );
}

async function runScript(
  bySha: (sha: string) => Promise<unknown>,
  bySource: () => Promise<unknown>,
  lua: string,
): Promise<unknown> {
  try {
    return await bySha(shaOf(lua));
  } catch (err) {
    if ((err as Error).message?.startsWith('NOSCRIPT')) return bySource();
    throw err;
  }
}

/**
 * Runs the same script for many key/argument sets in one pipeline (one round trip), loading it
 * first when Redis does not know it. Results are in call order; a failed call rejects the whole batch.
 */
export async function evalScriptMany(
  redis: Redis,
  lua: string,
  numKeys: number,
  calls: Arg[][],
): Promise<unknown[]> {
  if (calls.length === 0) return [];
  const sha = shaOf(lua);
  const run = async () => {
    const pipe = redis.pipeline();
    for (const args of calls) pipe.evalsha(sha, numKeys, ...args);
    return (await pipe.exec()) ?? [];
  };
  let res = await run();
  if (res.some(([err]) => err?.message?.startsWith('NOSCRIPT'))) {
    // EVAL, not SCRIPT LOAD: on a Redis Cluster SCRIPT LOAD would reach some node, and the script
    // must be known on the node that owns the keys. EVAL runs there and caches it for next time.
    const pipe = redis.pipeline();
    for (const args of calls) pipe.eval(lua, numKeys, ...args);
    res = (await pipe.exec()) ?? [];
  }
  const failed = res.find(([err]) => err);
  if (failed) throw failed[0];
  return res.map(([, v]) => v);
}
