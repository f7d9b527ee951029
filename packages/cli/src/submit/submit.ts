import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { HttpError, Interrupted, TriageClient } from './client.ts';
import { expandInputs, type InputFile, type InputFormat, type InputRecord, readRecords } from './input.ts';
import {
  addLine,
  Journal,
  type LineRun,
  linesOf,
  type OkEntry,
  type RunState,
  type SendEntry,
} from './journal.ts';
import { type Counts, type EtaView, emptyCounts, Progress, summaryTable } from './progress.ts';

export interface SubmitOptions {
  files: string[];
  /** Where relative paths (and the default state directory) are resolved. */
  cwd: string;
  url: string;
  apiKey?: string;
  format: InputFormat;
  lane: 'live' | 'backlog';
  wait: boolean;
  out?: string;
  state?: string;
  resume: boolean;
  json: boolean;
  /** At most this many alerts per request (the server's BATCH_MAX_ITEMS caps it). */
  batchItems: number;
  /** At most this many bytes per request (the server's BATCH_BODY_LIMIT_BYTES caps it). */
  batchBytes: number;
  pollMs: number;
  stdin: Readable;
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean; columns?: number };
  /** Aborted on Ctrl-C: the batch in flight finishes and is recorded, then the run stops. */
  signal?: AbortSignal;
}

export class UsageError extends Error {}

interface Summary {
  total: number;
  duplicates: number;
  completed: number;
  failed: number;
  true_positive: number;
  false_positive: number;
  needs_review: number;
  total_cost: string;
}
interface Limits {
  batch_max_items: number;
  batch_body_limit_bytes: number;
}
interface Accepted {
  batch_id: string;
  accepted: number;
  rejected: Array<{ index: number; error: { code: string; message: string } }>;
}
interface ListedResult {
  id: string;
  status: string;
  source_id?: string;
  duplicate?: boolean;
  result?: {
    classification: string;
    confidence: number;
    severity: string;
    title: string;
    decided_by: string;
    reasoning: string[];
  };
}

function defaultStatePath(cwd: string, inputs: InputFile[], url: string, lane: string): string {
  const h = createHash('sha256')
    .update(JSON.stringify([inputs.map((i) => i.path), url, lane]))
    .digest('hex')
    .slice(0, 16);
  return join(cwd, '.triage', `submit-${h}.ndjson`);
}

/** `triage submit`: returns the exit code (0 all done, 1 some rejected or failed). */
export async function submit(o: SubmitOptions): Promise<number> {
  const inputs = await expandInputs(o.files, o.cwd).catch((err: Error) => {
    throw new UsageError(err.message);
  });
  if (inputs.length === 0) throw new UsageError('no input files (give files, directories or -)');
  if (o.resume && inputs.some((i) => i.path === '-'))
    throw new UsageError('--resume cannot re-read standard input');
  const statePath = o.state ? resolve(o.cwd, o.state) : defaultStatePath(o.cwd, inputs, o.url, o.lane);
  const prior = Journal.read(statePath);
  if (prior && !o.resume) {
    throw new UsageError(
      `${statePath} already records a run of these files: continue it with --resume, or pass another --state`,
    );
  }
  if (o.resume && !prior) throw new UsageError(`nothing to resume: no state file at ${statePath}`);
  if (prior) {
    const same =
      prior.run.inputs.length === inputs.length &&
      prior.run.inputs.every((p, i) => p.path === inputs[i]!.path && p.size === inputs[i]!.size);
    if (!same)
      throw new UsageError(`the input files changed since the run in ${statePath}; cannot resume it`);
  }

  const progress = new Progress(o.stderr);
  const client = new TriageClient({
    url: o.url,
    ...(o.apiKey ? { apiKey: o.apiKey } : {}),
    onWait: (why, ms) => progress.setNote(`${why}, retrying in ${(ms / 1000).toFixed(0)} s`),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const limits = await client.get<Limits>('/v1/limits');
  const maxItems = Math.max(1, Math.min(o.batchItems, limits.batch_max_items));
  const maxBytes = Math.max(1024, Math.min(o.batchBytes, limits.batch_body_limit_bytes - 64 * 1024));

  const journal = Journal.open(statePath);
  const run = prior?.run ?? Journal.newRun({ url: o.url, lane: o.lane, format: o.format, inputs });
  if (!prior) journal.append(run);
  const state: RunState = prior ?? { run, sends: [], oks: new Map() };
  const started = Date.now();
  const counts = emptyCounts();
  for (const ok of state.oks.values()) {
    counts.accepted += ok.accepted;
    counts.rejected += ok.rejected.length;
  }
  const acceptedBefore = counts.accepted;
  let doneBefore: number | undefined;
  const lastSend = state.sends[state.sends.length - 1];
  const pending = lastSend && !state.oks.has(lastSend.seq) ? lastSend : undefined;
  let seq = lastSend ? lastSend.seq + 1 : 0;
  const startAt = lastSend?.to ?? 0;
  counts.read = startAt;

  const sendBatch = async (send: SendEntry, texts: string[]): Promise<void> => {
    let ok: OkEntry;
    try {
      const res = await client.request<Accepted>('POST', `/v1/alerts/batch?lane=${o.lane}`, {
        body: texts.join('\n'),
        headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': send.key },
      });
      ok = {
        t: 'ok',
        seq: send.seq,
        batch_id: res.body.batch_id,
        accepted: res.body.accepted,
        rejected: res.body.rejected.map((r) => ({ index: r.index, ...r.error })),
      };
    } catch (err) {
      // The server refused the whole request (no item acceptable, or one line over the body limit):
      // nothing was accepted; every line is reported rejected with the server's reason.
      if (!(err instanceof HttpError) || err.status >= 500 || err.status === 401 || err.status === 403)
        throw err;
      const details = ((err.body as { error?: { details?: Array<{ path?: string; message: string }> } })
        ?.error?.details ?? []) as Array<{ path?: string; message: string }>;
      const byIndex = new Map(
        details.flatMap((d) => {
          const m = /^alerts\[(\d+)\]$/.exec(d.path ?? '');
          return m ? [[Number(m[1]), d.message] as const] : [];
        }),
      );
      ok = {
        t: 'ok',
        seq: send.seq,
        batch_id: '',
        accepted: 0,
        rejected: texts.map((_, index) => ({
          index,
          code: err.code ?? `HTTP_${err.status}`,
          message: byIndex.get(index) ?? err.message,
        })),
      };
    }
    journal.append(ok);
    state.oks.set(ok.seq, ok);
    counts.accepted += ok.accepted;
    counts.rejected += ok.rejected.length;
  };

  let stopped = false;
  const follow = new Follower(client, state, counts);
  let lastPoll = 0;
  const maybePoll = async () => {
    if (o.wait && Date.now() - lastPoll > o.pollMs) {
      lastPoll = Date.now();
      await follow.poll();
    }
    progress.update(counts, o.lane === 'backlog' ? 'backlog' : 'submit', false, follow.eta);
  };

  // One pass over the inputs: skip what earlier runs sent, re-send the pending batch exactly, go on.
  let texts: string[] = [];
  let bytes = 0;
  let lines: LineRun[] = [];
  let from = startAt;
  let ordinal = 0;
  const pendingTexts: string[] = [];
  const flush = async (to: number) => {
    if (texts.length === 0) return;
    const send: SendEntry = { t: 'send', seq: seq++, key: `${run.run}.${seq - 1}`, from, to, lines };
    journal.append(send);
    state.sends.push(send);
    await sendBatch(send, texts);
    texts = [];
    bytes = 0;
    lines = [];
    from = to;
    await maybePoll();
  };
  const iterator = readRecords(inputs, o.format, o.stdin);
  try {
    for await (const rec of iterator as AsyncIterable<InputRecord>) {
      const ord = ordinal++;
      if (pending && ord >= pending.from && ord < pending.to) {
        pendingTexts.push(rec.text);
        if (ord === pending.to - 1) {
          await sendBatch(pending, pendingTexts);
          await maybePoll();
        }
        continue;
      }
      if (ord < startAt) continue;
      if (o.signal?.aborted) {
        stopped = true;
        break;
      }
      counts.read = ord + 1;
      const size = Buffer.byteLength(rec.text) + 1;
      if (texts.length > 0 && (texts.length >= maxItems || bytes + size > maxBytes)) await flush(ord);
      texts.push(rec.text);
      bytes += size;
      addLine(lines, rec.file, rec.line);
    }
    if (!stopped) await flush(ordinal);
  } catch (err) {
    // Ctrl-C while a batch waited out backpressure: it stays `send` without `ok`; --resume re-sends it, same key.
    if (!(err instanceof Interrupted)) throw err;
    stopped = true;
  } finally {
    if (stopped) await iterator.return(undefined);
  }
  if (!stopped && pending && !state.oks.has(pending.seq)) {
    journal.close();
    throw new UsageError(
      `the inputs ended before the pending batch ${pending.seq}; they changed since the last run`,
    );
  }
  if (stopped) {
    progress.finish();
    journal.close();
    o.stderr.write(
      `interrupted after ${counts.accepted} accepted alerts; continue with: triage submit ${o.files.join(' ')} --resume${o.state ? ` --state ${o.state}` : ''}\n`,
    );
    return 130;
  }
  if (!state.sends.length || !state.oks.has(state.sends[state.sends.length - 1]!.seq)) {
    throw new Error('submission ended with a batch not acknowledged');
  }
  journal.append({ t: 'done', records: ordinal });
  journal.close();
  counts.read = ordinal;

  const waitForAll = o.wait || o.out !== undefined;
  if (waitForAll) {
    if (acceptedBefore > 0) {
      await follow.poll();
      doneBefore = counts.completed + counts.failed;
    }
    while (!(await follow.poll())) {
      progress.update(counts, 'waiting', false, follow.eta);
      if (o.signal?.aborted) {
        progress.finish();
        o.stderr.write('stopped waiting; the pipeline goes on. Follow it with: triage status <batch id>\n');
        return 130;
      }
      await new Promise((r) => setTimeout(r, o.pollMs));
    }
    progress.update(counts, 'done', true);
  }
  progress.finish();
  const seconds = (Date.now() - started) / 1000;

  const problems: string[] = [];
  for (const send of state.sends) {
    const ok = state.oks.get(send.seq)!;
    const where = [...linesOf(send.lines)];
    for (const r of ok.rejected) {
      const [file, line] = where[r.index] ?? [0, 0];
      problems.push(`${inputs[file]?.path ?? '?'}:${line} rejected ${r.code}: ${r.message}`);
    }
  }
  if (o.out) {
    const failed = await writeOut(o.out, o.cwd, client, state, inputs);
    problems.push(...failed);
  }
  const batches = state.sends.map((s) => state.oks.get(s.seq)!.batch_id).filter(Boolean);
  if (o.json) {
    o.stdout.write(
      `${JSON.stringify({ ...counts, seconds, batches, state: statePath, ...(o.out ? { out: o.out } : {}) }, null, 2)}\n`,
    );
  } else {
    o.stdout.write(
      `${summaryTable(counts, seconds, [], {
        accepted: counts.accepted - acceptedBefore,
        done: counts.completed + counts.failed - (doneBefore ?? 0),
      })}\nstate file: ${statePath}\n`,
    );
  }
  for (const p of problems.slice(0, 20)) o.stderr.write(`${p}\n`);
  if (problems.length > 20)
    o.stderr.write(`… and ${problems.length - 20} more${o.out ? ` (see ${o.out})` : ''}\n`);
  return counts.rejected > 0 || counts.failed > 0 ? 1 : 0;
}

/** Follows the accepted batches' summaries, 100 per request; finished batches are not asked again. */
class Follower {
  private readonly client: TriageClient;
  private readonly state: RunState;
  private readonly counts: Counts;
  private readonly finished = new Map<string, Summary>();
  private readonly latest = new Map<string, Summary>();

  constructor(client: TriageClient, state: RunState, counts: Counts) {
    this.client = client;
    this.state = state;
    this.counts = counts;
  }

  /** The pipeline's ETA at the last poll (GET /health); undefined when the key may not read it. */
  eta: EtaView | undefined;

  /** Returns true when every accepted batch is finished. */
  async poll(): Promise<boolean> {
    this.eta = await this.client
      .get<{ eta?: EtaView }>('/health')
      .then((h) => h.eta)
      .catch(() => undefined);
    const ids = [...this.state.oks.values()]
      .map((o) => o.batch_id)
      .filter((id) => id && !this.finished.has(id));
    for (let i = 0; i < ids.length; i += 100) {
      const chunk = ids.slice(i, i + 100);
      const res = await this.client.get<{ batches: Array<{ batch_id: string; summary: Summary | null }> }>(
        `/v1/batches?ids=${chunk.map(encodeURIComponent).join(',')}`,
      );
      for (const b of res.batches) {
        if (!b.summary) continue;
        this.latest.set(b.batch_id, b.summary);
        if (b.summary.completed + b.summary.failed >= b.summary.total)
          this.finished.set(b.batch_id, b.summary);
      }
    }
    const c = this.counts;
    c.completed = c.failed = c.tp = c.fp = c.nr = c.duplicates = c.costUsd = 0;
    for (const s of this.latest.values()) {
      c.completed += s.completed;
      c.failed += s.failed;
      c.tp += s.true_positive;
      c.fp += s.false_positive;
      c.nr += s.needs_review;
      c.duplicates += s.duplicates ?? 0;
      c.costUsd += Number(String(s.total_cost).replace('$', '')) || 0;
    }
    return ids.length === 0 || ids.every((id) => this.finished.has(id));
  }
}

const OUT_COLUMNS = [
  'file',
  'line',
  'alert_id',
  'source_id',
  'status',
  'classification',
  'confidence',
  'severity',
  'title',
  'decided_by',
  'reasons',
  'duplicate',
  'error',
] as const;

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  // A cell starting with = + - @ would run as a formula in a spreadsheet: alert text is attacker-written.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * One row per input line, in input order: the verdict of its alert (a duplicate: the earlier alert's),
 * or why it was rejected. Pages each batch's listing (1,000 rows a request): memory stays flat.
 * Returns a line per failed alert.
 */
async function writeOut(
  path: string,
  cwd: string,
  client: TriageClient,
  state: RunState,
  inputs: InputFile[],
): Promise<string[]> {
  const csv = /\.csv$/i.test(path);
  // Paths as the user would type them from where they ran the command.
  const shown = (p: string | undefined) => (p?.startsWith(`${cwd}/`) ? relative(cwd, p) : p);
  const out = createWriteStream(resolve(cwd, path));
  const write = (s: string) =>
    out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r()));
  const failed: string[] = [];
  if (csv) await write(`${OUT_COLUMNS.join(',')}\n`);
  for (const send of state.sends) {
    const ok = state.oks.get(send.seq)!;
    const rejected = new Map(ok.rejected.map((r) => [r.index, r]));
    let page: ListedResult[] = [];
    let pageAt = 0;
    let cursor = 0;
    let k = 0;
    for (const [file, line] of linesOf(send.lines)) {
      const rej = rejected.get(k++);
      let row: Record<(typeof OUT_COLUMNS)[number], unknown>;
      if (rej) {
        row = {
          ...blank(),
          file: shown(inputs[file]?.path),
          line,
          status: 'rejected',
          error: `${rej.code}: ${rej.message}`,
        };
      } else {
        if (pageAt >= page.length) {
          const res = await client.get<{ results: ListedResult[] }>(
            `/v1/batches/${encodeURIComponent(ok.batch_id)}?limit=1000&cursor=${cursor}`,
          );
          page = res.results;
          pageAt = 0;
          cursor += page.length;
        }
        const r = page[pageAt++];
        const v = r?.result;
        row = {
          ...blank(),
          file: shown(inputs[file]?.path),
          line,
          alert_id: r?.id,
          source_id: r?.source_id,
          status: r?.status ?? 'missing',
          classification: v?.classification,
          confidence: v?.confidence,
          severity: v?.severity,
          title: v?.title,
          decided_by: v?.decided_by,
          reasons: v?.reasoning,
          duplicate: r?.duplicate ? true : undefined,
        };
        if (r?.status === 'failed') failed.push(`${inputs[file]?.path}:${line} failed (alert ${r.id})`);
      }
      if (csv) {
        await write(
          `${OUT_COLUMNS.map((c) => csvCell(Array.isArray(row[c]) ? (row[c] as string[]).join(' | ') : row[c])).join(',')}\n`,
        );
      } else {
        const clean = Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined));
        await write(`${JSON.stringify(clean)}\n`);
      }
    }
  }
  await new Promise<void>((r) => out.end(() => r()));
  return failed;
}

const blank = (): Record<(typeof OUT_COLUMNS)[number], unknown> =>
  Object.fromEntries(OUT_COLUMNS.map((c) => [c, undefined])) as Record<(typeof OUT_COLUMNS)[number], unknown>;
