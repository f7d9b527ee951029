import { evalScriptMany } from './lua.ts';
import type { Redis } from './redis.ts';

/** Job counts of one queue by BullMQ state (the names `Queue.getJobCounts()` uses). */
export interface QueueCounts {
  waiting: number;
  paused: number;
  prioritized: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
  'waiting-children': number;
}
export const QUEUE_STATES = [
  'waiting',
  'paused',
  'prioritized',
  'active',
  'delayed',
  'completed',
  'failed',
  'waiting-children',
] as const satisfies ReadonlyArray<keyof QueueCounts>;

export interface QueueStats {
  counts: QueueCounts;
  /** Creation time (ms) of the oldest job waiting to run (wait, paused or prioritized), or null. */
  oldestWaitingAt: number | null;
}

/** The most priority levels one read walks (BullMQ allows 2^21; this project uses 5 severities). */
const MAX_PRIORITY_BANDS = 64;

/*
 * Every count in one call, plus the oldest waiting job. Every job of this project is prioritized
 * (severity → priority): BullMQ keeps those in the `prioritized` ZSET scored
 * `priority * 2^32 + insertion counter`, so the head of the set is the most urgent job, not the
 * oldest. The oldest is the first member of one of the priority bands: the script walks the bands
 * (one ZRANGEBYSCORE each) and compares their job timestamps with the tail of the plain wait list.
 *
 * KEYS[1] is the queue's key prefix (`<prefix>:<queue>:`), as in BullMQ's own getCounts; state and
 * job keys are built from it inside the script. Under Redis Cluster they all carry the prefix's
 * hash tag, so they live in KEYS[1]'s slot.
 */
const QUEUE_STATS_LUA = `
local p = KEYS[1]
local rcall = redis.call
local out = {
  rcall('LLEN', p .. 'wait'), rcall('LLEN', p .. 'paused'), rcall('ZCARD', p .. 'prioritized'),
  rcall('LLEN', p .. 'active'), rcall('ZCARD', p .. 'delayed'), rcall('ZCARD', p .. 'completed'),
  rcall('ZCARD', p .. 'failed'), rcall('ZCARD', p .. 'waiting-children')
}
local oldest = -1
local function consider(id)
  if not id then return end
  local ts = tonumber(rcall('HGET', p .. id, 'timestamp'))
  if ts and (oldest < 0 or ts < oldest) then oldest = ts end
end
consider(rcall('LINDEX', p .. 'wait', -1))
consider(rcall('LINDEX', p .. 'paused', -1))
if out[3] > 0 then
  local band = 4294967296
  local min = '-inf'
  for _ = 1, tonumber(ARGV[1]) do
    local r = rcall('ZRANGEBYSCORE', p .. 'prioritized', min, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
    if #r == 0 then break end
    consider(r[1])
    min = string.format('%.0f', (math.floor(tonumber(r[2]) / band) + 1) * band)
  end
end
out[#out + 1] = oldest
return out
`;

/** Counts and oldest waiting job of each queue, in one pipeline (one EVALSHA per queue). */
export async function readQueueStats(
  redis: Redis,
  prefix: string,
  queues: readonly string[],
): Promise<Map<string, QueueStats>> {
  const replies = (await evalScriptMany(
    redis,
    QUEUE_STATS_LUA,
    1,
    queues.map((q) => [`${prefix}:${q}:`, MAX_PRIORITY_BANDS]),
  )) as number[][];
  const out = new Map<string, QueueStats>();
  queues.forEach((q, i) => {
    const r = replies[i] ?? [];
    const counts = Object.fromEntries(QUEUE_STATES.map((s, j) => [s, Number(r[j] ?? 0)])) as unknown;
    const oldest = Number(r[QUEUE_STATES.length] ?? -1);
    out.set(q, { counts: counts as QueueCounts, oldestWaitingAt: oldest >= 0 ? oldest : null });
  });
  return out;
}
