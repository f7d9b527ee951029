import type { EvalOptions } from './eval.ts';
import { http, loadItems, truthOf } from './eval-client.ts';
import type { EvalItem } from './eval-input.ts';
import { type EvalReport, type EvalRow, type Outcome, scoreEval } from './eval-score.ts';

/**
 * `pnpm eval --replay [--feedback]`: the labelled alerts go through the running pipeline in time
 * order, a round at a time, as a SOC sees them. With `--feedback` an analyst reads every alert the
 * round escalated (NEEDS_REVIEW or TRUE_POSITIVE) and sends its true label through
 * `POST /v1/alerts/:id/feedback` before the next round arrives, so later verdicts can use it.
 * Every alert is scored by the verdict it had when the analyst saw it.
 */

export interface ReplayOptions extends EvalOptions {
  /** Send the true label of escalated alerts as feedback. */
  feedback: boolean;
  /** Alerts per round: the analyst answers between rounds. */
  roundSize: number;
  /** `time`: stable sort by the alerts' own time field when every alert has one; `file`: as given. */
  order: 'time' | 'file';
}

export interface ReplayReport {
  order: 'time' | 'file';
  round_size: number;
  /** Feedback the analyst sent: every escalated alert with a label, both verdicts. */
  feedback_calls: number;
  /** The same calls by verdict: FALSE_POSITIVE calls are the noise the analyst had to teach. */
  feedback_by_verdict: { TRUE_POSITIVE: number; FALSE_POSITIVE: number };
  /** Verdicts memory decided (`decided_by: memory`), over the whole stream and its second half. */
  decided_by_memory: { whole: number; second_half: number };
  whole: EvalReport;
  second_half: EvalReport;
}

interface AlertResult {
  id: string;
  status: string;
  result?: { classification: string; confidence: number; title: string; decided_by?: string };
}

const TIME_KEYS = ['@timestamp', 'timestamp', 'time', 'raw_time'];

/** The alert's own time (epoch number or ISO string) as a sortable number, or undefined. */
export function timeOf(payload: unknown): number | undefined {
  if (!payload || typeof payload !== 'object') return undefined;
  for (const k of TIME_KEYS) {
    const v = (payload as Record<string, unknown>)[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && v.trim() !== '') {
      const n = Number(v);
      if (Number.isFinite(n)) return n;
      const t = Date.parse(v);
      if (Number.isFinite(t)) return t;
    }
  }
  return undefined;
}

/** Input positions in replay order: by time (stable) when every alert has one, else as given. */
export function replayOrder(items: EvalItem[], order: 'time' | 'file'): number[] {
  const idx = items.map((_, i) => i);
  if (order === 'file') return idx;
  const times = items.map((it) => timeOf(it.payload));
  if (times.some((t) => t === undefined)) return idx;
  return idx.sort((a, b) => times[a]! - times[b]! || a - b);
}

async function pool<T>(tasks: Array<() => Promise<T>>, width: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const run = async () => {
    for (let i = next++; i < tasks.length; i = next++) out[i] = await tasks[i]!();
  };
  await Promise.all(Array.from({ length: Math.min(width, tasks.length) }, run));
  return out;
}

export async function runReplay(opts: ReplayOptions): Promise<ReplayReport> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const { items, labels } = await loadItems(opts);
  const order = replayOrder(items, opts.order);
  log(
    `replay of ${items.length} alerts in ${opts.order} order, rounds of ${opts.roundSize}${opts.feedback ? ', with analyst feedback' : ''}`,
  );
  const rows: EvalRow[] = [];
  const byMemory: boolean[] = [];
  const byVerdict = { TRUE_POSITIVE: 0, FALSE_POSITIVE: 0 };
  let calls = 0;
  const deadline = Date.now() + opts.timeoutMs;

  for (let start = 0; start < order.length; start += opts.roundSize) {
    const round = order.slice(start, start + opts.roundSize);
    const acc = await http<{ batch_id: string; ids: string[]; rejected?: Array<{ index: number }> }>(
      opts,
      'POST',
      '/v1/alerts/batch',
      { alerts: round.map((i) => items[i]!.payload) },
    );
    const bad = new Set((acc.rejected ?? []).map((r) => r.index));
    let k = 0;
    const ids = round.map((_, j) => (bad.has(j) ? undefined : acc.ids[k++]));
    const results = await roundResults(opts, acc.batch_id, ids, deadline);

    const feedback: Array<() => Promise<unknown>> = [];
    round.forEach((inputIndex, j) => {
      const id = ids[j];
      const r = id ? results.get(id) : undefined;
      const label = labels[inputIndex];
      const truth = truthOf(items[inputIndex]!, label);
      const cls = r?.result?.classification;
      const outcome: Outcome = !id
        ? 'failed'
        : !r
          ? 'missing'
          : r.status === 'failed'
            ? 'failed'
            : ((cls as Outcome) ?? 'missing');
      rows.push({
        index: rows.length,
        ...(label !== undefined ? { label } : {}),
        ...(truth ? { truth } : {}),
        outcome,
        ...(r?.result ? { confidence: r.result.confidence, title: r.result.title } : {}),
      });
      byMemory.push(r?.result?.decided_by === 'memory');
      const escalated = outcome === 'NEEDS_REVIEW' || outcome === 'TRUE_POSITIVE';
      if (opts.feedback && id && escalated && (truth === 'threat' || truth === 'benign')) {
        const verdict = truth === 'threat' ? 'TRUE_POSITIVE' : 'FALSE_POSITIVE';
        byVerdict[verdict]++;
        feedback.push(() =>
          http(opts, 'POST', `/v1/alerts/${encodeURIComponent(id)}/feedback`, {
            verdict,
            analyst: 'replay-analyst',
            comment: `replay: labelled ${label ?? truth}`,
          }),
        );
      }
    });
    await pool(feedback, 8);
    calls += feedback.length;
    if ((start / opts.roundSize) % 20 === 0 || start + opts.roundSize >= order.length) {
      log(
        `${Math.min(start + opts.roundSize, order.length)}/${order.length} replayed, ${calls} feedback calls`,
      );
    }
  }
  const half = Math.floor(rows.length / 2);
  return {
    order: opts.order,
    round_size: opts.roundSize,
    feedback_calls: calls,
    feedback_by_verdict: byVerdict,
    decided_by_memory: {
      whole: byMemory.filter(Boolean).length,
      second_half: byMemory.slice(half).filter(Boolean).length,
    },
    whole: scoreEval(rows),
    second_half: scoreEval(rows.slice(half)),
  };
}

/** Waits for the round's batch and reads every verdict of it. */
async function roundResults(
  opts: ReplayOptions,
  batchId: string,
  ids: Array<string | undefined>,
  deadline: number,
): Promise<Map<string, AlertResult>> {
  const path = `/v1/batches/${encodeURIComponent(batchId)}`;
  for (;;) {
    const peek = await http<{ summary: { total: number; completed: number; failed: number } }>(
      opts,
      'GET',
      `${path}?limit=1`,
    );
    const s = peek.summary;
    if (s.completed + s.failed >= s.total) break;
    if (Date.now() > deadline) throw new Error(`timed out waiting for batch ${batchId}`);
    await new Promise((r) => setTimeout(r, opts.pollMs));
  }
  const out = new Map<string, AlertResult>();
  const page = await http<{ results: AlertResult[] }>(opts, 'GET', `${path}?limit=1000`);
  for (const r of page.results) out.set(r.id, r);
  // Duplicates (same source id as an earlier alert) answer the earlier alert's id: read those one by one.
  for (const id of ids) {
    if (id && !out.has(id))
      out.set(id, await http<AlertResult>(opts, 'GET', `/v1/alerts/${encodeURIComponent(id)}`));
  }
  return out;
}
