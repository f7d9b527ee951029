import type { Heartbeat } from './heartbeat.ts';
import type { Redis } from './redis.ts';

/** How long the heartbeat may fail to reach Redis before the process counts as disconnected. */
export const DISCONNECTED_AFTER_MS = 60_000;

export interface HealthCheck {
  ok: boolean;
  /** What is wrong, one line each (empty when ok). */
  problems: string[];
}

export interface WorkerHealthOptions {
  /** The process's heartbeat: its watched workers and the time of its last beat. */
  heartbeat: Heartbeat;
  /** Connections that must be ready for the process to take work. */
  connections: Redis[];
  /** A job running longer than this means the process is stuck (WORKER_STUCK_MS). */
  stuckAfterMs: number;
  /** Default {@link DISCONNECTED_AFTER_MS}. */
  disconnectedAfterMs?: number;
}

/**
 * Liveness and readiness of a worker process, for its `/livez` and `/readyz` (Kubernetes probes,
 * compose healthchecks). A process that merely exists is not healthy:
 *
 * - live: no job has run longer than WORKER_STUCK_MS (every call the processors make is time-boxed,
 *   so one that has not returned is hung), the heartbeat reached Redis within the last minute, and
 *   no watched worker stopped on its own. A failure gets the process restarted; its jobs are taken
 *   over by BullMQ's stalled-job recovery.
 * - ready: Redis connections up, every worker running and not paused, not shutting down.
 *
 * During shutdown the process stays live (it is draining its jobs) and stops being ready.
 */
export class WorkerHealth {
  private readonly opts: WorkerHealthOptions;
  private readonly started = Date.now();
  private readonly inflight = new Map<number, number>();
  private seq = 0;
  private stopping = false;

  constructor(opts: WorkerHealthOptions) {
    this.opts = opts;
  }

  /** Runs one job, timing it for the stuck-job check. */
  track = async <T>(run: () => Promise<T>): Promise<T> => {
    const id = this.seq++;
    this.inflight.set(id, Date.now());
    try {
      return await run();
    } finally {
      this.inflight.delete(id);
    }
  };

  /** The process is draining: not ready any more, still live. */
  shuttingDown(): void {
    this.stopping = true;
  }

  live(now = Date.now()): HealthCheck {
    const problems: string[] = [];
    const oldest = Math.min(...this.inflight.values());
    if (Number.isFinite(oldest) && now - oldest > this.opts.stuckAfterMs) {
      problems.push(`a job has been running for ${Math.round((now - oldest) / 1000)} s (WORKER_STUCK_MS)`);
    }
    const lastBeat = this.opts.heartbeat.lastBeatAt || this.started;
    const limit = this.opts.disconnectedAfterMs ?? DISCONNECTED_AFTER_MS;
    if (now - lastBeat > limit) {
      problems.push(`Redis has not taken a heartbeat for ${Math.round((now - lastBeat) / 1000)} s`);
    }
    if (!this.stopping) {
      for (const w of this.opts.heartbeat.watched()) {
        if (!w.isRunning()) problems.push(`the ${w.name} worker stopped`);
      }
    }
    return { ok: problems.length === 0, problems };
  }

  ready(): HealthCheck {
    const problems: string[] = [];
    if (this.stopping) problems.push('shutting down');
    for (const c of this.opts.connections) {
      // A Cluster may report 'connect' once its nodes are connected (BullMQ treats it as ready too).
      if (c.status !== 'ready' && c.status !== 'connect') problems.push(`a Redis connection is ${c.status}`);
    }
    for (const w of this.opts.heartbeat.watched()) {
      if (!w.isRunning()) problems.push(`the ${w.name} worker is not running`);
      else if (w.isPaused()) problems.push(`the ${w.name} worker is paused`);
    }
    if (this.opts.heartbeat.lastBeatAt === 0) problems.push('no heartbeat yet');
    return { ok: problems.length === 0, problems: [...new Set(problems)] };
  }
}
