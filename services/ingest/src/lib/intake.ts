import { randomUUID } from 'node:crypto';
import {
  type AlertFormat,
  type AlertJob,
  JOBS,
  jobPriority,
  type Lane,
  type NormalizedAlert,
  type Rejected,
} from '@triage/contracts';
import type { PendingLookups } from '@triage/intel';
import { normalize } from '@triage/normalizers';
import {
  type AlertIdentity,
  type AlertStore,
  AppError,
  type BatchEntry,
  eventLoopSlicer,
  type IntakeAlert,
  isRedisOom,
  type Metrics,
  validated,
  withRedisTimeout,
} from '@triage/runtime';
import type { Queue } from 'bullmq';
import { type GuardLimits, parseGuarded } from './body-guard.ts';
import { type IntakePool, LINES_PER_TASK } from './intake-pool.ts';
import { type PreparedLine, parseError, rejection } from './intake-prepare.ts';

export interface IntakeItem {
  /** Index in the request, for `rejected[].index`. */
  index: number;
  value?: unknown;
  /** The value's JSON text as received (an NDJSON line, parsed by intake), stored as is. */
  text?: string;
}

export interface IntakeResult {
  ids: string[];
  /** Per accepted item: true when it was a re-sent source alert answered with the first id. */
  duplicate: boolean[];
  /** Per accepted item: true when its SIEM id was seen before with other content (a new alert). */
  sourceIdReused: boolean[];
  rejected: Rejected[];
  batchId?: string;
}

/** Below this many lines a request is read on the event loop: a round trip to a thread costs more. */
const THREAD_MIN_LINES = 64;

/** An item read: what intake needs of its alert, and its submission (or its record's encoding of it). */
interface Candidate {
  index: number;
  alert: AlertIdentity | NormalizedAlert;
  value?: unknown;
  text?: string;
  encoded?: Buffer;
}

/** Redis did not take the alerts (away, or out of memory): nothing was accepted, retry later. */
function refused(err: unknown): AppError {
  return new AppError(isRedisOom(err) ? 'REDIS_FULL' : 'REDIS_UNAVAILABLE', {
    message: isRedisOom(err)
      ? 'Redis is out of memory and refused the alerts; nothing was accepted, retry later'
      : 'Could not enqueue the alerts; nothing was accepted',
    cause: err,
    retryable: true,
  });
}

/** The error of a request whose one alert was rejected: the standard body, naming the field. */
export function rejectedAlertError(r: Rejected): AppError {
  return new AppError(r.error.code as AppError['code'], {
    message: r.error.message,
    ...(r.error.path ? { details: [{ path: r.error.path, message: r.error.message }] } : {}),
  });
}

/** The error of a batch of which no alert was accepted: each item's error, by its place and field. */
export function rejectedBatchError(rejected: Rejected[]): AppError {
  return new AppError('VALIDATION_FAILED', {
    message: 'No alert in the batch could be accepted',
    details: rejected.slice(0, 20).map((r) => ({
      path: `alerts[${r.index}]${r.error.path ? `.${r.error.path}` : ''}`,
      message: `${r.error.code}: ${r.error.message}`,
    })),
  });
}

/**
 * The accept path: normalize → recognise re-sent source alerts → store the record → enqueue.
 * Answers only after `addBulk` succeeded, so every id handed out has a job behind it.
 */
export class Intake {
  private readonly store: AlertStore;
  private readonly enrich: Queue<AlertJob>;
  private readonly metrics: Metrics;
  private readonly lookups: PendingLookups | undefined;
  private readonly limits: GuardLimits;
  private readonly pool: IntakePool | undefined;

  constructor(
    store: AlertStore,
    enrich: Queue<AlertJob>,
    metrics: Metrics,
    opts: { limits: GuardLimits; lookups?: PendingLookups; pool?: IntakePool },
  ) {
    this.store = store;
    this.enrich = enrich;
    this.metrics = metrics;
    this.lookups = opts.lookups;
    this.limits = opts.limits;
    this.pool = opts.pool;
  }

  /**
   * The items read, a chunk at a time in request order: each chunk's alerts (what intake needs of
   * each, and its submission) and refusals. The NDJSON lines of a large request are read on the
   * worker threads, every chunk queued at once (they run ahead while the event loop claims and
   * stores the chunks before); otherwise on the event loop — no threads, a small request, or the
   * lookup estimate needs each alert's signals.
   */
  private *chunks(
    items: IntakeItem[],
    format: AlertFormat | undefined,
    tracking: boolean,
  ): Generator<Promise<{ read: Candidate[]; rejected: Rejected[] }>> {
    const lines = items.every((i) => i.text !== undefined && i.value === undefined);
    if (this.pool && !tracking && lines && items.length >= THREAD_MIN_LINES) {
      const texts = items.map((i) => i.text!);
      for (const [k, task] of this.pool.prepareTasks(texts, format).entries()) {
        yield task.then((prepared) => fromThreads(items, k * LINES_PER_TASK, prepared));
      }
      return;
    }
    const normalizeOpts = { ...(format ? { format } : {}), signals: tracking };
    // Normalizing 10,000 alerts takes a CPU second or more: give the event loop back every few ms.
    const slice = eventLoopSlicer();
    for (let at = 0; at < items.length; at += LINES_PER_TASK) {
      yield (async () => {
        const read: Candidate[] = [];
        const rejected: Rejected[] = [];
        for (const item of items.slice(at, at + LINES_PER_TASK)) {
          await slice();
          const r = this.readOne(item, normalizeOpts);
          if ('rejected' in r) rejected.push(r.rejected);
          else read.push(r);
        }
        return { read, rejected };
      })();
    }
  }

  /** One item read on the event loop. */
  private readOne(
    item: IntakeItem,
    normalizeOpts: { format?: AlertFormat; signals: boolean },
  ): Candidate | { rejected: Rejected } {
    let value = item.value;
    if (value === undefined && item.text !== undefined) {
      try {
        value = parseGuarded(item.text, this.limits);
      } catch (err) {
        return { rejected: rejection(item.index, parseError(err)) };
      }
    }
    try {
      return {
        index: item.index,
        alert: normalize(value, normalizeOpts),
        value,
        ...(item.text !== undefined ? { text: item.text } : {}),
      };
    } catch (err) {
      return { rejected: rejection(item.index, err) };
    }
  }

  async accept(
    items: IntakeItem[],
    opts: { format?: AlertFormat; batch: boolean; lane?: Lane },
  ): Promise<IntakeResult> {
    const lane = opts.lane ?? 'live';
    // What intake needs of an alert (accept or refuse, format, source id, fingerprint, name,
    // severity) comes alike without its typed signals, a good part of normalizing; enrich
    // normalizes the stored submission again with them. Only the lookup estimate reads them.
    const tracking = this.lookups?.tracking === true;
    const batchId = opts.batch ? randomUUID() : undefined;
    const receivedAt = new Date().toISOString();
    const rejected: Rejected[] = [];
    const fresh: FreshAlert[] = [];
    const ids: string[] = [];
    const duplicate: boolean[] = [];
    const sourceIdReused: boolean[] = [];
    const entries: BatchEntry[] = [];
    // Every alert sent to Redis: on a failure any of them may have a claim and a record to withdraw.
    const sent: IntakeAlert[] = [];
    // Each chunk's jobs, added once its claims and records are in (a job never finds its record
    // missing), on their way to Redis while the next chunks are read, claimed and stored.
    const writes: Array<Promise<void>> = [];
    const enqueued: FreshAlert[][] = [];
    let failure: { reason: unknown } | undefined;
    let storedChunks: Array<Promise<StoredChunk>> = [];
    try {
      // Each chunk is claimed and stored (one script call) as soon as it is read and the chunk
      // before it was sent: claims run in request order (on one connection), so a source alert
      // repeated inside one request is caught too, and the event loop waits for the threads and for
      // Redis at once.
      let previous: Promise<unknown> = Promise.resolve();
      storedChunks = [...this.chunks(items, opts.format, tracking)].map((read) => {
        const next = Promise.all([read, previous]).then(([chunk]): StoredChunk => {
          // Nothing more is sent once the request failed: what was sent is withdrawn.
          if (failure) throw failure.reason;
          const candidates = chunk.read.map(
            (c): IntakeAlert => ({
              id: randomUUID(),
              alert: c.alert,
              input: {
                value: c.value,
                ...(c.text !== undefined ? { text: c.text } : {}),
                ...(c.encoded ? { encoded: c.encoded } : {}),
                ...(opts.format ? { format: opts.format } : {}),
              },
            }),
          );
          sent.push(...candidates);
          return {
            rejected: chunk.rejected,
            candidates,
            stored: this.store.claimAndCreate(candidates, { receivedAt, batchId }),
          };
        });
        // Awaited in order below; a refusal is raised there, never left unhandled.
        next.then((c) => c.stored).catch(() => undefined);
        previous = next.catch(() => undefined);
        return next;
      });
      // The batch's summary and lane exist before any of its jobs can run (while the first chunks
      // are read).
      if (batchId) await this.store.openBatch(batchId, items.length, lane);
      for (const next of storedChunks) {
        const { rejected: refusals, candidates, stored } = await next;
        rejected.push(...refusals);
        const answers = await stored;
        const freshHere: FreshAlert[] = [];
        candidates.forEach((c, i) => {
          const { duplicate: prior, reused = false } = answers[i] ?? {};
          if (prior) {
            ids.push(prior);
            duplicate.push(true);
            sourceIdReused.push(false);
            entries.push({ id: prior, duplicate: true });
            this.metrics.inc('triage_alerts_duplicate_total', { format: c.alert.format });
            return;
          }
          freshHere.push({ id: c.id, alert: c.alert });
          if (reused) this.metrics.inc('triage_alerts_source_id_reused_total', { format: c.alert.format });
          ids.push(c.id);
          duplicate.push(false);
          sourceIdReused.push(reused);
          entries.push({ id: c.id });
        });
        fresh.push(...freshHere);
        if (freshHere.length > 0) {
          enqueued.push(freshHere);
          const write = withRedisTimeout(
            this.enrich.addBulk(freshHere.map((a) => job(a, lane, batchId))),
            10_000,
            'enqueue',
          ).then(() => undefined);
          write.catch((reason: unknown) => {
            failure ??= { reason };
          });
          writes.push(write);
        }
        if (failure) throw failure.reason;
      }
      // The batch's total accepted, duplicates and listing, now that every item is claimed (sent
      // with the last chunks' jobs: the batch was opened with a total no smaller). The lookups
      // these alerts will need (for the ETA; nothing without a provider key): an estimate only,
      // failing to record it never refuses alerts.
      await Promise.all([
        ...writes,
        batchId ? this.store.closeBatch(batchId, entries, lane) : undefined,
        tracking
          ? this.lookups?.track(fresh.map((a) => a.alert as NormalizedAlert)).catch(() => undefined)
          : undefined,
      ]);
    } catch (err) {
      failure ??= { reason: err };
      // Every alert sent is in `sent` once each chunk settled: none is left behind.
      await Promise.allSettled(storedChunks.map((c) => c.then((x) => x.stored)));
      // Chunks still being read on the threads are left to finish; their results are dropped.
      await Promise.allSettled(writes);
      // Jobs that went in are removed again (best effort: a job left behind finds no record and
      // fails alone), and the claims and records of every alert sent (those Redis took before it
      // refused: out of memory, away) are withdrawn, or the client's retry would be answered as a
      // duplicate of alerts never kept. A claim is withdrawn only while it names this request's
      // alert, so an earlier alert that one of these repeated keeps its claim.
      await Promise.allSettled(enqueued.flat().map((a) => this.enrich.remove(a.id)));
      await this.store.forget(sent, batchId).catch(() => undefined);
      throw refused(err);
    }
    // Counted once per label value, not per alert: each increment hashes its labels.
    for (const [code, n] of tally(rejected.map((r) => r.error.code))) {
      this.metrics.inc('triage_alerts_rejected_total', { code }, n);
    }
    for (const [format, n] of tally(fresh.map((a) => a.alert.format))) {
      this.metrics.inc('triage_alerts_received_total', { format }, n);
    }
    return { ids, duplicate, sourceIdReused, rejected, ...(batchId ? { batchId } : {}) };
  }
}

/** A chunk read and sent to be claimed and stored: the claims' answers come in `stored`. */
interface StoredChunk {
  rejected: Rejected[];
  candidates: IntakeAlert[];
  stored: ReturnType<AlertStore['claimAndCreate']>;
}

/** An alert accepted as new: its job is added. */
type FreshAlert = Pick<IntakeAlert, 'id' | 'alert'>;

/** A chunk prepared on a thread, as candidates and refusals at their places in the request. */
function fromThreads(
  items: IntakeItem[],
  first: number,
  prepared: PreparedLine[],
): { read: Candidate[]; rejected: Rejected[] } {
  const read: Candidate[] = [];
  const rejected: Rejected[] = [];
  prepared.forEach((p, n) => {
    const index = items[first + n]!.index;
    if (!p.ok) {
      rejected.push({ ...p.rejected, index });
      return;
    }
    const { ok: _, input, ...alert } = p;
    read.push({ index, alert, encoded: Buffer.from(input.buffer, input.byteOffset, input.byteLength) });
  });
  return { read, rejected };
}

/** How many times each value occurs. */
function tally<T>(values: T[]): Map<T, number> {
  const out = new Map<T, number>();
  for (const v of values) out.set(v, (out.get(v) ?? 0) + 1);
  return out;
}

/** The enrich job of a new alert. */
function job(a: FreshAlert, lane: Lane, batchId: string | undefined) {
  return {
    name: JOBS.enrich.name,
    data: validated(JOBS.enrich, { alert_id: a.id, ...(batchId ? { batch_id: batchId } : {}) }),
    opts: { jobId: a.id, priority: jobPriority(a.alert.severity, lane) },
  };
}
