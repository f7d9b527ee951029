import type { Writable } from 'node:stream';

/** Counts a submission shows while it runs and at the end. */
export interface Counts {
  read: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  completed: number;
  failed: number;
  tp: number;
  fp: number;
  nr: number;
  costUsd: number;
}

export const emptyCounts = (): Counts => ({
  read: 0,
  accepted: 0,
  rejected: 0,
  duplicates: 0,
  completed: 0,
  failed: 0,
  tp: 0,
  fp: 0,
  nr: 0,
  costUsd: 0,
});

export function duration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

const n = (x: number) => x.toLocaleString('en-US');

/** The ETA of /health or a batch, as the server computed it (what limits it, when it is reached). */
export interface EtaView {
  seconds: number | null;
  remaining?: number;
  limited_by?: string;
  bounds?: Array<{ seconds: number | null; detail: string }>;
}

export function etaText(eta: EtaView): string {
  return `${eta.seconds == null ? '?' : duration(eta.seconds)}${eta.limited_by ? ` — ${eta.limited_by}` : ''}`;
}

/**
 * One live line on a TTY (rewritten in place), or a plain line every `everyMs` otherwise (logs,
 * CI). Rates are measured over a sliding window, so the ETA follows the pipeline's real pace.
 */
export class Progress {
  private readonly out: Writable & { isTTY?: boolean; columns?: number };
  private readonly everyMs: number;
  private readonly started = Date.now();
  private lastPrint = 0;
  private samples: Array<{ at: number; done: number }> = [];
  private note = '';
  private drawn = false;

  constructor(out: Writable & { isTTY?: boolean; columns?: number }, everyMs = 5000) {
    this.out = out;
    this.everyMs = everyMs;
  }

  /** A passing remark (waiting for backpressure, a retry), shown on the next line drawn. */
  setNote(note: string): void {
    this.note = note;
  }

  /**
   * Updates the line. `server`: the pipeline's own ETA (GET /health), which knows the provider
   * quotas and rates; without it (a key that may not read /health) the local pace is used.
   */
  update(c: Counts, phase: string, force = false, server?: EtaView): void {
    const now = Date.now();
    const done = c.completed + c.failed;
    this.samples.push({ at: now, done });
    while (this.samples.length > 2 && now - this.samples[0]!.at > 30_000) this.samples.shift();
    const tty = this.out.isTTY === true;
    if (!force && now - this.lastPrint < (tty ? 200 : this.everyMs)) return;
    this.lastPrint = now;
    const first = this.samples[0]!;
    const rate = now > first.at ? ((done - first.done) * 1000) / (now - first.at) : 0;
    const left = c.accepted - done;
    const local = rate > 0 && left > 0 ? duration(left / rate) : left <= 0 && c.accepted > 0 ? '0 s' : '?';
    const eta = server && left > 0 ? etaText(server) : local;
    const width = 20;
    const filled = c.accepted > 0 ? Math.round((done / c.accepted) * width) : 0;
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const line = `${phase} ${bar} read ${n(c.read)} accepted ${n(c.accepted)} done ${n(done)} (TP ${n(c.tp)} FP ${n(c.fp)} NR ${n(c.nr)}${c.failed ? ` failed ${n(c.failed)}` : ''}) ${rate.toFixed(0)} alerts/s ETA ${eta} [${duration((now - this.started) / 1000)}]${this.note ? ` — ${this.note}` : ''}`;
    this.note = '';
    if (tty) {
      const cols = this.out.columns ?? 160;
      this.out.write(`\r\x1b[2K${line.slice(0, cols - 1)}`);
      this.drawn = true;
    } else {
      this.out.write(`${line}\n`);
    }
  }

  /** Ends the live line so what follows starts on its own line. */
  finish(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}

/** The end-of-run table (stdout). */
export function summaryTable(
  c: Counts,
  seconds: number,
  extra: Array<[string, string]> = [],
  /** What this invocation did (a resumed run counts the earlier runs' work in `c`). */
  thisRun: { accepted: number; done: number } = { accepted: c.accepted, done: c.completed + c.failed },
): string {
  const rows: Array<[string, string]> = [
    ['lines read', n(c.read)],
    ['accepted', n(c.accepted)],
    ['rejected', n(c.rejected)],
    ['duplicates (earlier verdicts)', n(c.duplicates)],
    ['completed', n(c.completed)],
    ['failed', n(c.failed)],
    ['TRUE_POSITIVE', n(c.tp)],
    ['FALSE_POSITIVE', n(c.fp)],
    ['NEEDS_REVIEW', n(c.nr)],
    ['time', duration(seconds)],
    ['accepted/s', seconds > 0 && thisRun.accepted > 0 ? (thisRun.accepted / seconds).toFixed(0) : '-'],
    ['completed/s', seconds > 0 && thisRun.done > 0 ? (thisRun.done / seconds).toFixed(0) : '-'],
    ['cost', `$${c.costUsd.toFixed(4)}`],
    ...extra,
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  const v = Math.max(...rows.map(([, x]) => x.length));
  return rows.map(([k, x]) => `${k.padEnd(w)}  ${x.padStart(v)}`).join('\n');
}
