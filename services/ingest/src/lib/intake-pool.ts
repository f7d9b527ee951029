import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AlertFormat } from '@triage/contracts';
import type { GuardLimits } from './body-guard.ts';
import { type PreparedLine, type PrepareTask, prepareLines } from './intake-prepare.ts';

/** Lines per message to a worker: big enough that a message costs little, small enough to share out. */
export const LINES_PER_TASK = 64;

/**
 * Tasks posted to one thread and not answered yet. Two keep it busy (one read, one waiting);
 * the rest wait here and are posted as answers come back: posting a 60 MB batch's tasks at once
 * copied all its lines into messages in one go, holding the event loop for a quarter of a second.
 */
const IN_FLIGHT_PER_THREAD = 2;

/** A thread lost within EARLY_MS of its start, MAX_EARLY_LOSSES times in a row, is not replaced. */
const EARLY_MS = 5_000;
const MAX_EARLY_LOSSES = 5;

interface Pending {
  resolve: (results: PreparedLine[]) => void;
  reject: (err: Error) => void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
}

interface Queued extends Pending {
  task: PrepareTask;
}

/**
 * Worker threads that do the CPU part of accepting NDJSON lines (parse under the guards, read
 * without signals, compress the submission: ~45 µs of a Wazuh line's ~90 µs at intake), so the
 * event loop only claims, stores and enqueues, and stays free for other requests while a large
 * batch is read. Lines are shared out in tasks of LINES_PER_TASK and come back in order.
 *
 * A thread that fails or exits fails its tasks and is replaced; those lines are then read on the
 * event loop instead, so a request never fails for it. `INGEST_THREADS=0` runs no thread.
 */
export class IntakePool {
  private readonly threads: Thread[] = [];
  private readonly limits: GuardLimits;
  private readonly script: URL;
  /** Tasks not posted yet, first in first out across requests. */
  private readonly queued: Queued[] = [];
  private seq = 0;
  private closed = false;
  /** Threads lost soon after they started, in a row: one that cannot start is not started forever. */
  private earlyLosses = 0;

  /** `script`: the thread's module (intake-worker; another only in tests). */
  constructor(size: number, limits: GuardLimits, script?: URL) {
    this.limits = limits;
    this.script =
      script ?? new URL(`./intake-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
    for (let i = 0; i < size; i++) this.threads.push(this.spawn());
  }

  /** Threads running (fewer than asked for only when they could not start). */
  get threadCount(): number {
    return this.threads.length;
  }

  private spawn(): Thread {
    const worker = this.newWorker();
    // A thread never keeps the process alive: shutdown closes the pool, a crash must not hang it.
    worker.unref();
    const thread: Thread = { worker, pending: new Map() };
    const startedAt = Date.now();
    worker.on('message', (msg: { id: number; results?: PreparedLine[]; failure?: string }) => {
      const p = thread.pending.get(msg.id);
      if (!p) return;
      thread.pending.delete(msg.id);
      if (msg.results) p.resolve(msg.results);
      else p.reject(new Error(`intake thread: ${msg.failure ?? 'no answer'}`));
      this.pump();
    });
    const lost = (why: string) => {
      for (const p of thread.pending.values()) p.reject(new Error(`intake thread ${why}`));
      thread.pending.clear();
      const at = this.threads.indexOf(thread);
      if (at < 0 || this.closed) return;
      this.earlyLosses = Date.now() - startedAt < EARLY_MS ? this.earlyLosses + 1 : 0;
      // Lines then go to the other threads, or are read on the event loop when none is left.
      if (this.earlyLosses >= MAX_EARLY_LOSSES) this.threads.splice(at, 1);
      else this.threads[at] = this.spawn();
      this.pump();
    };
    worker.on('error', (err) => lost(`failed: ${err.message}`));
    worker.on('exit', (code) => lost(`exited (${code})`));
    return thread;
  }

  /**
   * A thread inherits the process's Node options (V8 flags such as --max-old-space-size included:
   * given to a Worker explicitly they are refused, and ingest would not start). From the sources it
   * also needs the `source` condition the workspace packages resolve by (.ts from the sources, .js
   * from a build), which a test runner's process may not have.
   */
  private newWorker(): Worker {
    const source = extname(fileURLToPath(import.meta.url)) === '.ts';
    if (!source || process.execArgv.includes('--conditions=source')) return new Worker(this.script);
    try {
      return new Worker(this.script, { execArgv: [...process.execArgv, '--conditions=source'] });
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
      return new Worker(this.script, { execArgv: ['--conditions=source'] });
    }
  }

  private run(task: PrepareTask): Promise<PreparedLine[]> {
    if (this.threads.length === 0 || this.closed) return Promise.resolve(prepareLines(task));
    return new Promise<PreparedLine[]>((resolve, reject) => {
      this.queued.push({ task, resolve, reject });
      this.pump();
    }).catch(() => prepareLines(task));
  }

  /** Posts waiting tasks to the least busy threads, up to IN_FLIGHT_PER_THREAD each. */
  private pump(): void {
    while (this.queued.length > 0) {
      if (this.closed || this.threads.length === 0) {
        // No thread left to read them (closed, or none could start): the event loop does.
        for (const q of this.queued.splice(0)) q.resolve(prepareLines(q.task));
        return;
      }
      let thread = this.threads[0]!;
      for (const t of this.threads) if (t.pending.size < thread.pending.size) thread = t;
      if (thread.pending.size >= IN_FLIGHT_PER_THREAD) return;
      const { task, resolve, reject } = this.queued.shift()!;
      const id = ++this.seq;
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage({ id, task });
    }
  }

  /**
   * Every line prepared, as one task per LINES_PER_TASK lines in order, all queued at once: a
   * caller can take the first chunks while the threads read the rest. `rejected[].index` is the
   * line's place in `texts`.
   */
  prepareTasks(texts: string[], format?: AlertFormat): Array<Promise<PreparedLine[]>> {
    const tasks: Array<Promise<PreparedLine[]>> = [];
    for (let i = 0; i < texts.length; i += LINES_PER_TASK) {
      tasks.push(
        this.run({
          texts: texts.slice(i, i + LINES_PER_TASK),
          first: i,
          limits: this.limits,
          ...(format ? { format } : {}),
        }),
      );
    }
    return tasks;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.pump();
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}
