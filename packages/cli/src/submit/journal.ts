import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { InputFile } from './input.ts';

/** A run of consecutive input lines of one file: `[file, first line, count]`. */
export type LineRun = [number, number, number];

export interface RunEntry {
  t: 'run';
  v: 1;
  run: string;
  url: string;
  lane: string;
  format: string;
  inputs: InputFile[];
  started_at: string;
}
/** Written (and fsync'd) BEFORE the batch is sent: records `from..to` and its idempotency key. */
export interface SendEntry {
  t: 'send';
  seq: number;
  key: string;
  /** Ordinals of the batch's records across all inputs, `[from, to)`. */
  from: number;
  to: number;
  lines: LineRun[];
}
/** Written (and fsync'd) once the server accepted the batch. */
export interface OkEntry {
  t: 'ok';
  seq: number;
  batch_id: string;
  accepted: number;
  rejected: Array<{ index: number; code: string; message: string }>;
}
export interface DoneEntry {
  t: 'done';
  records: number;
}
export type Entry = RunEntry | SendEntry | OkEntry | DoneEntry;

/** What a state file says about a run. */
export interface RunState {
  run: RunEntry;
  sends: SendEntry[];
  oks: Map<number, OkEntry>;
  done?: DoneEntry;
}

/**
 * The state file of `triage submit`: an append-only NDJSON journal, fsync'd after every entry, so
 * what it says survives Ctrl-C, a crash or a power cut. The order of writes is what makes a resume
 * exact: `send` (with the batch's idempotency key) is on disk before the request leaves, `ok` after
 * the server accepted it. A resume re-sends a `send` without `ok` with the SAME key and the same
 * lines — the server answers what it answered the first time if it had accepted it — and continues
 * after the last sent record. So no line is accepted twice and none is skipped.
 */
export class Journal {
  private readonly fd: number;

  private constructor(fd: number) {
    this.fd = fd;
  }

  static read(path: string): RunState | undefined {
    if (!existsSync(path)) return undefined;
    const entries: Entry[] = [];
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        entries.push(JSON.parse(line) as Entry);
      } catch {
        // A torn last line (power cut mid-write) is dropped: its `send` will be redone, same key.
      }
    }
    const run = entries.find((e): e is RunEntry => e.t === 'run');
    if (!run) return undefined;
    const sends = entries.filter((e): e is SendEntry => e.t === 'send');
    const oks = new Map(entries.filter((e): e is OkEntry => e.t === 'ok').map((e) => [e.seq, e]));
    const done = entries.find((e): e is DoneEntry => e.t === 'done');
    return { run, sends, oks, ...(done ? { done } : {}) };
  }

  static open(path: string): Journal {
    mkdirSync(dirname(path), { recursive: true });
    return new Journal(openSync(path, 'a'));
  }

  static newRun(fields: Omit<RunEntry, 't' | 'v' | 'run' | 'started_at'>): RunEntry {
    return { t: 'run', v: 1, run: randomUUID(), started_at: new Date().toISOString(), ...fields };
  }

  append(entry: Entry): void {
    writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Appends a line to a run list, extending the last run when it continues it. */
export function addLine(runs: LineRun[], file: number, line: number): void {
  const last = runs[runs.length - 1];
  if (last && last[0] === file && last[1] + last[2] === line) last[2]++;
  else runs.push([file, line, 1]);
}

/** The lines of a batch, in order: `[file, line]` for item i. */
export function* linesOf(runs: LineRun[]): Generator<[number, number]> {
  for (const [file, first, count] of runs) for (let i = 0; i < count; i++) yield [file, first + i];
}
