import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { http, loadItems, truthOf } from './eval-client.ts';
import { type ReplayReport, runReplay } from './eval-replay.ts';
import { type EvalRow, formatReport, formatSets, type Outcome, scoreEval, scoreSets } from './eval-score.ts';

/**
 * `pnpm eval <alerts...> [--labels labels.csv]`: posts labelled alerts to a RUNNING pipeline
 * (TRIAGE_URL, default http://127.0.0.1:3000; TRIAGE_API_KEY as Bearer), waits for every verdict
 * and prints the confusion table. Imports only node builtins and relative files, so it runs before
 * the workspace is installed.
 */

export interface EvalOptions {
  files: string[];
  labels?: string;
  url: string;
  apiKey?: string;
  batchSize: number;
  timeoutMs: number;
  pollMs: number;
  log?: (line: string) => void;
}

interface BatchAccepted {
  batch_id: string;
  ids: string[];
  rejected?: Array<{ index: number; error?: { code?: string; message?: string } }>;
}
interface BatchView {
  summary: { total: number; completed: number; failed: number };
  results: Array<{
    id: string;
    status: string;
    result?: { classification: string; confidence: number; title: string };
  }>;
  next_cursor: string | null;
}

/** Submits, waits, pages the results. Returns one row per input alert, in input order. */
export async function runEval(opts: EvalOptions): Promise<EvalRow[]> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const { items, labels } = await loadItems(opts);
  log(`${items.length} alerts, ${labels.filter((l) => l !== undefined).length} labelled → ${opts.url}`);

  const idOf = new Array<string | undefined>(items.length);
  const rejected = new Set<number>();
  const batches: string[] = [];
  for (let start = 0; start < items.length; start += opts.batchSize) {
    const chunk = items.slice(start, start + opts.batchSize);
    const acc = await http<BatchAccepted>(opts, 'POST', '/v1/alerts/batch', {
      alerts: chunk.map((i) => i.payload),
    });
    const bad = new Set((acc.rejected ?? []).map((r) => r.index));
    let next = 0;
    chunk.forEach((_, i) => {
      if (bad.has(i)) rejected.add(start + i);
      else idOf[start + i] = acc.ids[next++];
    });
    batches.push(acc.batch_id);
  }
  if (rejected.size) log(`${rejected.size} alerts rejected by ingest (counted as failed)`);

  const results = new Map<string, BatchView['results'][number]>();
  const deadline = Date.now() + opts.timeoutMs;
  for (const [n, batchId] of batches.entries()) {
    for (;;) {
      const peek = await http<BatchView>(opts, 'GET', `/v1/batches/${encodeURIComponent(batchId)}?limit=1`);
      const s = peek.summary;
      log(`batch ${n + 1}/${batches.length}: ${s.completed + s.failed}/${s.total} done`);
      if (s.completed + s.failed >= s.total) break;
      if (Date.now() > deadline) throw new Error(`timed out waiting for batch ${batchId}`);
      await new Promise((r) => setTimeout(r, opts.pollMs));
    }
    let cursor: string | null = '0';
    while (cursor !== null) {
      const page: BatchView = await http<BatchView>(
        opts,
        'GET',
        `/v1/batches/${encodeURIComponent(batchId)}?limit=1000&cursor=${cursor}`,
      );
      for (const r of page.results) results.set(r.id, r);
      cursor = page.results.length === 0 ? null : page.next_cursor;
    }
  }

  await fetchStrays(opts, idOf, results, deadline, log);

  return items.map((_, index) => {
    const id = idOf[index];
    const r = id ? results.get(id) : undefined;
    const outcome: Outcome = rejected.has(index)
      ? 'failed'
      : !r
        ? 'missing'
        : r.status === 'failed'
          ? 'failed'
          : r.result && ['TRUE_POSITIVE', 'FALSE_POSITIVE', 'NEEDS_REVIEW'].includes(r.result.classification)
            ? (r.result.classification as Outcome)
            : 'missing';
    const label = labels[index];
    const truth = truthOf(items[index]!, label);
    return {
      index,
      set: items[index]!.set ?? items[index]!.file,
      ...(label !== undefined ? { label } : {}),
      ...(truth ? { truth } : {}),
      outcome,
      ...(r?.result ? { confidence: r.result.confidence, title: r.result.title } : {}),
    };
  });
}

/**
 * Alerts the ingest recognised as already submitted (same source and source id, e.g. a second
 * run against the same pipeline) answer with the earlier alert's id, which belongs to an earlier
 * batch: their verdicts are read one by one, a few at a time, instead of counting as missing.
 */
async function fetchStrays(
  opts: EvalOptions,
  idOf: Array<string | undefined>,
  results: Map<string, BatchView['results'][number]>,
  deadline: number,
  log: (line: string) => void,
): Promise<void> {
  const strays = [...new Set(idOf.filter((id): id is string => id !== undefined && !results.has(id)))];
  if (strays.length === 0) return;
  log(`${strays.length} alerts were submitted before (duplicates); reading their verdicts one by one`);
  const queue = [...strays];
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      for (;;) {
        const view = await http<BatchView['results'][number]>(
          opts,
          'GET',
          `/v1/alerts/${encodeURIComponent(id)}`,
        ).catch(() => undefined); // expired: stays "missing"
        if (!view) break;
        if (view.status === 'completed' || view.status === 'failed' || Date.now() > deadline) {
          results.set(id, view);
          break;
        }
        await new Promise((r) => setTimeout(r, opts.pollMs));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, strays.length) }, worker));
}

const USAGE = `usage: pnpm eval <alerts.json|ndjson> [more files...] [--labels labels.csv] [--url URL] [--batch-size N] [--timeout-s N] [--json]
       pnpm eval <alerts...> --replay [--feedback] [--order time|file] [--round-size N]
  --replay    alerts in time order, a round at a time; reports the whole stream and its second half
  --feedback  (implies --replay) an analyst sends the true label of every escalated alert as feedback
  env: TRIAGE_URL (default http://127.0.0.1:3000), TRIAGE_API_KEY`;

function formatReplay(r: ReplayReport): string {
  return [
    `replay in ${r.order} order, rounds of ${r.round_size}; analyst feedback calls: ${r.feedback_calls} (${r.feedback_by_verdict.TRUE_POSITIVE} TRUE_POSITIVE, ${r.feedback_by_verdict.FALSE_POSITIVE} FALSE_POSITIVE)`,
    `verdicts decided by analyst memory: ${r.decided_by_memory.whole} (second half: ${r.decided_by_memory.second_half})`,
    '',
    '== whole stream ==',
    formatReport(r.whole),
    '',
    '== second half of the stream ==',
    formatReport(r.second_half),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const parse = () =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        labels: { type: 'string' },
        url: { type: 'string' },
        'batch-size': { type: 'string' },
        'timeout-s': { type: 'string' },
        json: { type: 'boolean' },
        replay: { type: 'boolean' },
        feedback: { type: 'boolean' },
        order: { type: 'string' },
        'round-size': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.values.help || args.positionals.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return args.values.help ? 0 : 2;
  }
  const common = {
    files: args.positionals,
    ...(args.values.labels ? { labels: args.values.labels } : {}),
    url: args.values.url ?? process.env.TRIAGE_URL ?? 'http://127.0.0.1:3000',
    ...(process.env.TRIAGE_API_KEY ? { apiKey: process.env.TRIAGE_API_KEY } : {}),
    batchSize: Math.max(1, Number(args.values['batch-size'] ?? 1000)),
    timeoutMs: Number(args.values['timeout-s'] ?? 1800) * 1000,
    pollMs: 1000,
  };
  if (args.values.replay || args.values.feedback) {
    const order = args.values.order ?? 'time';
    if (order !== 'time' && order !== 'file') {
      process.stderr.write(`--order must be time or file\n${USAGE}\n`);
      return 2;
    }
    const report = await runReplay({
      ...common,
      pollMs: 100,
      feedback: args.values.feedback ?? false,
      order,
      roundSize: Math.max(1, Number(args.values['round-size'] ?? 100)),
    });
    process.stdout.write(
      args.values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReplay(report)}\n`,
    );
    return 0;
  }
  const rows = await runEval(common);
  const report = scoreEval(rows);
  const sets = scoreSets(rows);
  process.stdout.write(
    args.values.json
      ? `${JSON.stringify({ ...report, sets: Object.fromEntries(sets.map((s) => [s.set, s.report])) }, null, 2)}\n`
      : `${sets.length > 1 ? formatSets(rows) : formatReport(report)}\n`,
  );
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`eval failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
