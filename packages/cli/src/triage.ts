/**
 * `pnpm triage <command>`: submit files to a running pipeline and follow them.
 *   submit FILE...   stream NDJSON / JSON arrays / CSV (gzip too) as batches; resumable
 *   status BATCH_ID  one batch's summary (and ETA)
 *   watch            live queue depths, rates, provider quotas and ETA
 * Exit codes: 0 all done, 1 some alerts rejected or failed (listed), 2 usage error, 130 interrupted.
 */
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { TriageClient } from './submit/client.ts';
import { duration, type EtaView, etaText } from './submit/progress.ts';
import { submit, UsageError } from './submit/submit.ts';

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

interface Io {
  argv: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  stdin: NodeJS.ReadableStream & import('node:stream').Readable;
  stdout: NodeJS.WritableStream & import('node:stream').Writable;
  stderr: NodeJS.WritableStream & import('node:stream').Writable & { isTTY?: boolean; columns?: number };
  signal?: AbortSignal;
}

export async function main(io: Io): Promise<number> {
  let code = 0;
  const program = new Command('triage')
    .description('Submit alerts to a running triage pipeline and follow their verdicts')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .addOption(
      new Option('--url <url>', 'ingest base URL').env('TRIAGE_URL').default('http://127.0.0.1:3000'),
    )
    .addOption(new Option('--api-key <key>', 'API key (sent as Bearer)').env('TRIAGE_API_KEY'));

  program
    .command('submit')
    .description('submit files, directories or - (stdin), streamed in batches under the server limits')
    .argument('<files...>', 'NDJSON, JSON arrays, CSV (Hayabusa/Chainsaw timelines), optionally gzipped')
    .addOption(
      new Option('--format <format>', 'input format')
        .choices(['auto', 'ndjson', 'json', 'csv'])
        .default('auto'),
    )
    .addOption(
      new Option('--lane <lane>', 'live, or backlog: behind live alerts, pausable')
        .choices(['live', 'backlog'])
        .default('live'),
    )
    .option('--wait', 'follow the verdicts until every alert is done', false)
    .option('--out <file>', 'write one row per input line (.ndjson or .csv), in input order; implies --wait')
    .option('--state <file>', 'state file (default .triage/submit-<hash>.ndjson)')
    .option(
      '--resume',
      'continue the run recorded in the state file (after Ctrl-C, a crash, a reboot)',
      false,
    )
    .option('--json', 'print the summary as JSON', false)
    .addOption(new Option('--batch-items <n>', 'alerts per request').argParser(positiveInt).default(5000))
    .addOption(
      new Option('--batch-bytes <n>', 'bytes per request').argParser(positiveInt).default(8 * 1024 * 1024),
    )
    .addOption(
      new Option('--poll-ms <n>', 'how often --wait asks for progress').argParser(positiveInt).default(1000),
    )
    .action(async (files: string[], opts, cmd: Command) => {
      const g = cmd.optsWithGlobals();
      code = await submit({
        files,
        cwd: io.cwd,
        url: g.url,
        ...(g.apiKey ? { apiKey: g.apiKey } : {}),
        format: opts.format,
        lane: opts.lane,
        wait: opts.wait,
        ...(opts.out ? { out: opts.out } : {}),
        ...(opts.state ? { state: opts.state } : {}),
        resume: opts.resume,
        json: opts.json,
        batchItems: opts.batchItems,
        batchBytes: opts.batchBytes,
        pollMs: opts.pollMs,
        stdin: io.stdin,
        stdout: io.stdout,
        stderr: io.stderr,
        ...(io.signal ? { signal: io.signal } : {}),
      });
    });

  program
    .command('status')
    .description("a batch's summary")
    .argument('<batch-id>')
    .option('--json', 'print JSON', false)
    .action(async (batchId: string, opts, cmd: Command) => {
      const g = cmd.optsWithGlobals();
      const client = new TriageClient({
        url: g.url,
        ...(g.apiKey ? { apiKey: g.apiKey } : {}),
        maxRetryMs: 0,
      });
      const view = await client.get<{ summary: Record<string, unknown>; eta?: EtaView }>(
        `/v1/batches/${encodeURIComponent(batchId)}?limit=1`,
      );
      if (opts.json)
        io.stdout.write(
          `${JSON.stringify({ ...view.summary, ...(view.eta ? { eta: view.eta } : {}) }, null, 2)}\n`,
        );
      else {
        const rows = flatten(view.summary);
        if (view.eta) rows.push(['eta', etaText(view.eta)]);
        io.stdout.write(`${table(rows)}\n`);
      }
      const s = view.summary as { failed?: number };
      code = s.failed ? 1 : 0;
    });

  program
    .command('watch')
    .description('live queue depths, rates, provider quotas and ETA (Ctrl-C to stop)')
    .addOption(new Option('--interval-ms <n>').argParser(positiveInt).default(2000))
    .option('--once', 'print once and exit', false)
    .action(async (opts, cmd: Command) => {
      const g = cmd.optsWithGlobals();
      const client = new TriageClient({
        url: g.url,
        ...(g.apiKey ? { apiKey: g.apiKey } : {}),
        maxRetryMs: 0,
      });
      let prev: { at: number; done: number } | undefined;
      for (;;) {
        const h = await client.get<Record<string, unknown>>('/health');
        const text = renderHealth(h, prev);
        prev = { at: Date.now(), done: completedOf(h) };
        const tty = (io.stdout as { isTTY?: boolean }).isTTY;
        io.stdout.write(tty && !opts.once ? `\x1b[H\x1b[2J${text}\n` : `${text}\n`);
        if (opts.once || io.signal?.aborted) return;
        await new Promise((r) => setTimeout(r, opts.intervalMs));
        if (io.signal?.aborted) return;
      }
    });

  try {
    await program.parseAsync(io.argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError) {
      io.stderr.write(`triage: ${err.message}\n`);
      return 2;
    }
    io.stderr.write(`triage: ${(err as Error).message}\n`);
    return 1;
  }
}

function flatten(o: Record<string, unknown>, prefix = ''): Array<[string, string]> {
  return Object.entries(o).flatMap(([k, v]) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? flatten(v as Record<string, unknown>, `${prefix}${k}.`)
      : [[`${prefix}${k}`, Array.isArray(v) ? v.join(', ') : String(v)] as [string, string]],
  );
}

function table(rows: Array<[string, string]>): string {
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

function completedOf(h: Record<string, unknown>): number {
  const q = (h.queues ?? {}) as Record<string, Record<string, number>>;
  return q.results?.completed ?? 0;
}

/** /health → a few readable lines: queues, rates, providers, ETA. */
export function renderHealth(h: Record<string, unknown>, prev?: { at: number; done: number }): string {
  const lines: string[] = [`status ${String(h.status)}  (${new Date().toISOString()})`];
  const queues = (h.queues ?? {}) as Record<string, Record<string, number>>;
  lines.push('queue              waiting  prioritized  delayed  active  completed  failed');
  for (const [name, c] of Object.entries(queues)) {
    lines.push(
      `${name.padEnd(18)} ${String(c.waiting ?? 0).padStart(7)}  ${String(c.prioritized ?? 0).padStart(11)}  ${String(c.delayed ?? 0).padStart(7)}  ${String(c.active ?? 0).padStart(6)}  ${String(c.completed ?? 0).padStart(9)}  ${String(c.failed ?? 0).padStart(6)}`,
    );
  }
  if (prev) {
    const rate = ((completedOf(h) - prev.done) * 1000) / Math.max(1, Date.now() - prev.at);
    lines.push(`results completed: ${Math.max(0, rate).toFixed(0)} alerts/s`);
  }
  const providers = (h.providers ?? []) as Array<Record<string, unknown>>;
  for (const p of Array.isArray(providers) ? providers : []) {
    const q = p.quota as { used?: number; limit?: number | null; left?: number | null } | null;
    lines.push(
      `provider ${String(p.provider).padEnd(10)} configured ${String(p.configured)}  rate ${p.rate_limit ?? '-'}  quota ${q ? `${q.used ?? 0}/${q.limit ?? '∞'} (left ${q.left ?? '∞'})` : '-'}${p.throttled_until ? `  throttled until ${p.throttled_until}` : ''}`,
    );
  }
  const eta = h.eta as EtaView | undefined;
  if (eta) {
    lines.push(`ETA ${etaText(eta)}`);
    for (const b of eta.bounds ?? [])
      lines.push(`  ${b.seconds == null ? '?' : duration(b.seconds)}  ${b.detail}`);
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const ac = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    // First Ctrl-C: finish the batch in flight, record it, stop. Second: stop at once (still resumable).
    if (++interrupts > 1) process.exit(130);
    process.stderr.write('\nstopping after the batch in flight (Ctrl-C again to stop at once)…\n');
    ac.abort();
  });
  process.on('SIGTERM', () => ac.abort());
  main({
    argv: process.argv.slice(2),
    env: process.env,
    cwd: process.env.INIT_CWD ?? process.cwd(),
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    signal: ac.signal,
  }).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`triage: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
