import { randomUUID } from 'node:crypto';
import { type AlertJob, type DeadLetterJob, JOBS, jobPriority } from '@triage/contracts';
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { AlertProgress, AlertStore } from './alert-store.ts';
import { keys } from './keys.ts';
import type { Metrics } from './metrics.ts';
import type { Redis } from './redis.ts';

export interface StrandedSweeperOptions {
  /** General-purpose client (store, lock, job hashes). */
  redis: Redis;
  prefix: string;
  store: AlertStore;
  enrich: Queue<AlertJob>;
  classify: Queue<AlertJob>;
  deadLetter: Queue<DeadLetterJob>;
  metrics: Metrics;
  logger: Logger;
  /** How often to look (SWEEP_INTERVAL_MS). */
  intervalMs: number;
  /** An alert is judged only when it was accepted, or last found moving, this long ago (SWEEP_STRANDED_AFTER_MS). */
  strandedAfterMs: number;
  /** Re-drives of one alert before it is failed visibly instead (SWEEP_MAX_REDRIVES). */
  maxRedrives: number;
  /** Alerts judged per round. Default 500. */
  pageSize?: number;
}

export interface SweepOutcome {
  checked: number;
  redriven: number;
  failed: number;
}

/** A job of this id in this queue that BullMQ will still run (waiting, delayed, prioritized or active). */
const LIVE = (hash: Array<string | null>) => hash[0] !== null && hash[1] === null;

/**
 * Finds alerts whose records say they are in progress but that no job will ever move again, and
 * runs them again, or fails them visibly after `maxRedrives`. Such alerts come from a Redis that
 * refused writes at the wrong moment (out of memory: a job spent its attempts while the failure
 * record was refused too), or from an operator who cleaned a queue in Bull Board. Works from the
 * in-flight index (`<prefix>:inflight`, alert id → last checked), oldest first, a page per round;
 * one process sweeps at a time (a lock in Redis). While Redis is full the round simply fails and
 * the next one tries again.
 */
export class StrandedSweeper {
  private readonly opts: StrandedSweeperOptions;
  private readonly k: ReturnType<typeof keys>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(opts: StrandedSweeperOptions) {
    this.opts = opts;
    this.k = keys(opts.prefix);
  }

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweepOnce()
        .catch((err: unknown) =>
          this.opts.logger.warn({ err }, 'stranded-alert sweep failed; next round retries'),
        )
        .finally(() => {
          this.running = undefined;
        });
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One round. Returns what it did (nothing when another process holds the round). */
  async sweepOnce(now = Date.now()): Promise<SweepOutcome> {
    const out: SweepOutcome = { checked: 0, redriven: 0, failed: 0 };
    const { redis, store } = this.opts;
    const got = await redis.set(this.k.sweeperLock, randomUUID(), 'PX', this.opts.intervalMs, 'NX');
    if (got !== 'OK') return out;
    const ids = await store.inflightBefore(now - this.opts.strandedAfterMs, this.opts.pageSize ?? 500);
    if (ids.length === 0) return out;
    out.checked = ids.length;
    const [progress, live] = await Promise.all([store.progressOf(ids), this.liveJobs(ids)]);
    const moving: string[] = [];
    const gone: string[] = [];
    const stranded: AlertProgress[] = [];
    progress.forEach((p, i) => {
      if (!p.status || p.status === 'completed' || p.status === 'failed') gone.push(p.id);
      else if (live[i]) moving.push(p.id);
      else stranded.push(p);
    });
    await store.touchInflight(moving, gone, now);
    for (const p of stranded) {
      if (p.redrives >= this.opts.maxRedrives) {
        if (await this.fail(p)) out.failed++;
      } else {
        if (await this.redrive(p)) out.redriven++;
      }
    }
    return out;
  }

  /** Per id: whether an enrich or classify job of that id will still run. */
  private async liveJobs(ids: string[]): Promise<boolean[]> {
    const pipe = this.opts.redis.pipeline();
    for (const id of ids) {
      pipe.hmget(`${this.opts.prefix}:${JOBS.enrich.name}:${id}`, 'timestamp', 'finishedOn');
      pipe.hmget(`${this.opts.prefix}:${JOBS.classify.name}:${id}`, 'timestamp', 'finishedOn');
    }
    const res = (await pipe.exec()) ?? [];
    const hash = (i: number) => (res[i]?.[1] as Array<string | null> | undefined) ?? [null, null];
    return ids.map((_, i) => LIVE(hash(2 * i)) || LIVE(hash(2 * i + 1)));
  }

  /**
   * Adds the job of the alert's next stage again under the alert id (a finished job of that id is
   * removed first: BullMQ ignores an add whose id exists).
   */
  private async redrive(p: AlertProgress): Promise<boolean> {
    const { store, enrich, classify } = this.opts;
    const n = await store.countRedrive(p.id);
    if (n === 0) return false; // the record expired meanwhile: nothing left to run
    const queue = p.enriched ? classify : enrich;
    await Promise.all([enrich.remove(p.id), classify.remove(p.id)]);
    const [alert, lane] = await Promise.all([store.loadAlert(p.id), store.laneOf(p.batchId)]);
    await queue.add(
      queue.name as typeof JOBS.enrich.name,
      { alert_id: p.id, ...(p.batchId ? { batch_id: p.batchId } : {}) },
      { jobId: p.id, priority: jobPriority(alert?.severity ?? 'Medium', lane) },
    );
    this.opts.metrics.inc('triage_alerts_redriven_total', { queue: queue.name });
    this.opts.logger.warn(
      { alert_id: p.id, status: p.status, queue: queue.name, redrive: n },
      'alert in progress without a job: run again',
    );
    return true;
  }

  private async fail(p: AlertProgress): Promise<boolean> {
    const reason = `stranded: in progress (${p.status}) with no job after ${p.redrives} re-drives`;
    if (!(await this.opts.store.fail(p.id, reason, p.batchId))) return false;
    this.opts.metrics.inc('triage_alerts_failed_total', { stage: 'sweeper' });
    this.opts.logger.error({ alert_id: p.id, status: p.status }, 'stranded alert failed');
    await this.opts.deadLetter.add(
      JOBS.deadLetter.name,
      {
        queue: 'sweeper',
        job_id: p.id,
        data: { alert_id: p.id, ...(p.batchId ? { batch_id: p.batchId } : {}) },
        failed_reason: reason,
        failed_at: new Date().toISOString(),
      },
      { jobId: `sweeper.${p.id}` },
    );
    return true;
  }
}
