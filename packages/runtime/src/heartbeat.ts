import { hostname } from 'node:os';
import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import { keys } from './keys.ts';
import type { Redis } from './redis.ts';

/** How often a worker process reports. */
export const HEARTBEAT_INTERVAL_MS = 5000;
/** A report older than this (three missed beats) no longer counts: the process is gone or wedged. */
export const HEARTBEAT_STALE_MS = 3 * HEARTBEAT_INTERVAL_MS;

export interface HeartbeatOptions {
  /** General Redis client. Owned by the caller. */
  redis: Redis;
  /** QUEUE_PREFIX. */
  prefix: string;
  /** This process in the worker sets. Default `<hostname>:<pid>` (the pod name under Kubernetes). */
  instance?: string;
  /** Default {@link HEARTBEAT_INTERVAL_MS}. */
  intervalMs?: number;
  logger?: Logger;
}

/** What a status snapshot holds in Redis. */
export interface StatusReport<T = unknown> {
  /** Epoch ms of the report. */
  at: number;
  instance: string;
  data: T;
}

/**
 * A worker process's reports to Redis, so readers (`GET /health`, `/metrics`) get worker counts and
 * component status from a few keys instead of `CLIENT LIST` or building the components themselves:
 *
 * - `workers:<queue>`: a ZSET instance → last beat (ms) per queue this process works. A running
 *   BullMQ worker is counted; a closed or crashed one ages out after {@link HEARTBEAT_STALE_MS}.
 * - `status:<component>`: a JSON snapshot (provider quotas, LLM spend...) with a TTL, written by the
 *   process that owns the component. Several replicas write the same snapshot: the last one wins.
 */
export class Heartbeat {
  readonly instance: string;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly intervalMs: number;
  private readonly logger: Logger | undefined;
  private readonly workers: Worker[] = [];
  private readonly reports = new Map<string, () => Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  /** Epoch ms of the last beat Redis accepted (0 before the first). */
  lastBeatAt = 0;

  constructor(opts: HeartbeatOptions) {
    this.redis = opts.redis;
    this.prefix = opts.prefix;
    this.instance = opts.instance ?? `${hostname()}:${process.pid}`;
    this.intervalMs = opts.intervalMs ?? HEARTBEAT_INTERVAL_MS;
    this.logger = opts.logger;
  }

  /** Counts this process among the workers of `worker`'s queue while the worker runs. */
  watch(worker: Worker): void {
    this.workers.push(worker);
    this.soon();
  }

  /** Publishes `read()` as the `component` snapshot with every beat. */
  report(component: string, read: () => Promise<unknown>): void {
    this.reports.set(component, read);
    this.soon();
  }

  /** The workers watched so far (liveness reads their state). */
  watched(): readonly Worker[] {
    return this.workers;
  }

  /** Beats now and every interval until `close()`. */
  start(): void {
    if (this.timer) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** One beat: every running worker's queue set and every snapshot, in one pipeline. */
  async beat(now = Date.now()): Promise<void> {
    const k = keys(this.prefix);
    const staleMs = Math.max(HEARTBEAT_STALE_MS, 3 * this.intervalMs);
    const snapshots = await Promise.all(
      [...this.reports].map(async ([component, read]) => {
        try {
          return [component, await read()] as const;
        } catch (err) {
          this.logger?.warn({ err, component }, 'status snapshot failed');
          return undefined;
        }
      }),
    );
    const pipe = this.redis.pipeline();
    for (const queue of new Set(this.workers.filter((w) => w.isRunning()).map((w) => w.name))) {
      const key = k.workers(queue);
      pipe.zadd(key, now, this.instance);
      pipe.zremrangebyscore(key, '-inf', now - staleMs);
      pipe.pexpire(key, staleMs * 4);
    }
    for (const s of snapshots) {
      if (!s) continue;
      const report: StatusReport = { at: now, instance: this.instance, data: s[1] };
      pipe.set(k.status(s[0]), JSON.stringify(report), 'PX', staleMs);
    }
    const res = (await pipe.exec()) ?? [];
    const failed = res.find(([err]) => err)?.[0];
    if (failed) throw failed;
    this.lastBeatAt = now;
  }

  /** Stops beating and takes this process out of the worker sets at once. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
    const k = keys(this.prefix);
    const queues = new Set(this.workers.map((w) => w.name));
    if (queues.size === 0) return;
    const pipe = this.redis.pipeline();
    for (const q of queues) pipe.zrem(k.workers(q), this.instance);
    await pipe.exec();
  }

  /** Once started, a new worker or report is published at once rather than at the next beat. */
  private soon(): void {
    if (this.timer) setImmediate(() => void this.tick());
  }

  private async tick(): Promise<void> {
    if (this.running) {
      // A slow Redis: never pile up beats, but do not lose a requested one either.
      this.again = true;
      return;
    }
    this.running = this.beat()
      .catch((err: unknown) => this.logger?.warn({ err }, 'heartbeat failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again && this.timer) {
          this.again = false;
          void this.tick();
        }
      });
    await this.running;
  }
}
