import { HEARTBEAT_STALE_MS, type StatusReport } from './heartbeat.ts';
import { keys } from './keys.ts';
import { type QueueStats, readQueueStats } from './queue-stats.ts';
import { type Redis, type RedisMemory, readRedisMemory, withRedisTimeout } from './redis.ts';

export interface PipelineStatusOptions {
  /** A fail-fast client (`producer` role): a reader must answer "Redis down", not hang. */
  redis: Redis;
  /** QUEUE_PREFIX. */
  prefix: string;
  /** Queues to report on. */
  queues: readonly string[];
  /** Components whose snapshots (`Heartbeat.report`) to read, e.g. `intel`, `llm`. */
  components: readonly string[];
  /**
   * Numbers read along (same round trip), by name: a hash field (`['hget', key, field]`) or a set's
   * size (`['scard', key]`); 0 when absent. For the ETA: the `done` counter, pending lookups.
   */
  values?: Record<string, ['hget', string, string] | ['scard', string]>;
  /** A snapshot is served this long before Redis is read again. Default 1000 ms. */
  cacheMs?: number;
  /** Bound on one read. Default 2000 ms. */
  timeoutMs?: number;
}

export interface PipelineSnapshot {
  /** Epoch ms of the read. */
  at: number;
  /** Round trip of the read, ms. */
  latencyMs: number;
  queues: Map<string, QueueStats>;
  /** Worker processes with a fresh heartbeat, per queue. */
  workers: Map<string, number>;
  /** Latest snapshot per component, or undefined when no process reported recently. */
  components: Map<string, StatusReport | undefined>;
  /** The `values` asked for. */
  values: Map<string, number>;
  /** Redis memory against maxmemory (INFO memory). */
  memory: RedisMemory;
}

/**
 * The pipeline as Redis shows it, for `GET /health`, `/metrics` and anything else that watches:
 * queue counts and the oldest waiting job (one EVALSHA per queue), live workers (one ZCOUNT per
 * queue on the heartbeat sets), component snapshots (one MGET) and `INFO memory`, sent together.
 * Readers share one read per `cacheMs` (single flight), so a dashboard refreshing every second, a
 * load balancer probing and Prometheus scraping cost the same as one of them.
 */
export class PipelineStatus {
  private readonly opts: Required<PipelineStatusOptions>;
  private last: { at: number; value: Promise<PipelineSnapshot> } | undefined;

  constructor(opts: PipelineStatusOptions) {
    this.opts = { cacheMs: 1000, timeoutMs: 2000, values: {}, ...opts };
  }

  /** The cached snapshot, or a fresh read when it is older than `cacheMs`. Rejects when Redis is away. */
  read(now = Date.now()): Promise<PipelineSnapshot> {
    if (this.last && now - this.last.at < this.opts.cacheMs) return this.last.value;
    const value = withRedisTimeout(this.fetch(), this.opts.timeoutMs, 'pipeline status');
    this.last = { at: now, value };
    // A failed read is not served again: the next caller retries at once.
    value.catch(() => {
      if (this.last?.value === value) this.last = undefined;
    });
    return value;
  }

  private async fetch(): Promise<PipelineSnapshot> {
    const { redis, prefix, queues, components } = this.opts;
    const k = keys(prefix);
    const started = Date.now();
    const pipe = redis.pipeline();
    for (const q of queues) pipe.zcount(k.workers(q), started - HEARTBEAT_STALE_MS, '+inf');
    if (components.length) pipe.mget(...components.map((c) => k.status(c)));
    const wanted = Object.entries(this.opts.values);
    for (const [, read] of wanted) {
      if (read[0] === 'hget') pipe.hget(read[1], read[2]);
      else pipe.scard(read[1]);
    }
    const [stats, replies, memory] = await Promise.all([
      readQueueStats(redis, prefix, queues),
      pipe.exec(),
      readRedisMemory(redis),
    ]);
    const results = (replies ?? []).map(([err, v]) => {
      if (err) throw err;
      return v;
    });
    const workers = new Map(queues.map((q, i) => [q, Number(results[i] ?? 0)]));
    const raw = (components.length ? results[queues.length] : []) as Array<string | null>;
    const first = queues.length + (components.length ? 1 : 0);
    const values = new Map(wanted.map(([name], i) => [name, Number(results[first + i] ?? 0) || 0]));
    const reports = new Map<string, StatusReport | undefined>();
    components.forEach((c, i) => {
      const text = raw[i];
      reports.set(c, text ? (JSON.parse(text) as StatusReport) : undefined);
    });
    return {
      at: started,
      latencyMs: Date.now() - started,
      queues: stats,
      workers,
      components: reports,
      values,
      memory,
    };
  }
}
