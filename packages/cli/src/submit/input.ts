import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { JSONParser } from '@streamparser/json';
import { parse as parseCsv } from 'csv-parse';

/** How a file is read. `auto` decides by extension (after `.gz`), then by the first byte. */
export type InputFormat = 'auto' | 'ndjson' | 'json' | 'csv';

/** One item to submit: the JSON text of one alert, and where it came from. */
export interface InputRecord {
  /** Index into the list of input files. */
  file: number;
  /** 1-based line (NDJSON, CSV) or element number (JSON array) in that file. */
  line: number;
  /** One line of NDJSON: the alert as the server will read it. */
  text: string;
}

export interface InputFile {
  /** As given (`-` is standard input). */
  path: string;
  size: number;
  mtimeMs: number;
}

const KNOWN = /\.(ndjson|jsonl|json|csv|tsv)(\.gz)?$/i;

/**
 * Files, directories (walked in name order, files with a known extension) or `-`, resolved
 * against `cwd` (pnpm runs scripts from the repository root; INIT_CWD is where the user typed).
 */
export async function expandInputs(paths: string[], cwd: string): Promise<InputFile[]> {
  const out: InputFile[] = [];
  const visit = async (p: string, top: boolean): Promise<void> => {
    if (p === '-') {
      out.push({ path: '-', size: 0, mtimeMs: 0 });
      return;
    }
    const abs = resolve(cwd, p);
    const st = await stat(abs);
    if (st.isDirectory()) {
      const names = (await readdir(abs)).sort();
      for (const n of names) await visit(join(abs, n), false);
    } else if (top || KNOWN.test(abs)) {
      out.push({ path: abs, size: st.size, mtimeMs: st.mtimeMs });
    }
  };
  for (const p of paths) await visit(p, true);
  return out;
}

function formatByName(path: string): InputFormat {
  const name = path.replace(/\.gz$/i, '').toLowerCase();
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl')) return 'ndjson';
  if (name.endsWith('.csv') || name.endsWith('.tsv')) return 'csv';
  if (name.endsWith('.json')) return 'json';
  return 'auto';
}

/** The first bytes of a stream, put back so the reader still sees them (`unshift`). */
async function peek(stream: Readable): Promise<Buffer> {
  for (;;) {
    const chunk = stream.read() as Buffer | null;
    if (chunk !== null) {
      stream.unshift(chunk);
      return chunk;
    }
    if (stream.readableEnded || stream.destroyed) return Buffer.alloc(0);
    await new Promise((ok) => {
      stream.once('readable', ok);
      stream.once('end', ok);
      stream.once('error', ok);
    });
  }
}

/** Opens a file (or stdin), gunzipping when it starts with the gzip magic bytes; returns its first text byte. */
async function open(path: string, stdin: Readable): Promise<{ stream: Readable; first: string }> {
  let stream: Readable = path === '-' ? stdin : createReadStream(path);
  let head = await peek(stream);
  if (head[0] === 0x1f && head[1] === 0x8b) {
    stream = stream.pipe(createGunzip());
    head = await peek(stream);
  }
  return { stream, first: firstText(head) };
}

const firstText = (b: Buffer) =>
  b
    .toString('utf8', 0, Math.min(b.length, 64))
    .replace(/^\uFEFF/, '')
    .trimStart()[0] ?? '';

/**
 * Streams every record of every input as one JSON line, in input order; memory does not grow with
 * the file. NDJSON lines are passed through untouched (the server validates them, one error per
 * line); JSON arrays (or `{"alerts": [...]}`) are parsed element by element with a streaming parser;
 * CSV rows (Hayabusa, Chainsaw timelines) become one object each with the header's columns as keys.
 */
export async function* readRecords(
  files: InputFile[],
  format: InputFormat,
  stdin: Readable = process.stdin,
): AsyncGenerator<InputRecord> {
  for (const [file, f] of files.entries()) {
    const { stream, first } = await open(f.path, stdin);
    let fmt = format === 'auto' ? formatByName(f.path) : format;
    if (fmt === 'auto') fmt = first === '[' ? 'json' : first === '{' || first === '' ? 'ndjson' : 'csv';
    if (fmt === 'ndjson') yield* ndjson(stream, file);
    else if (fmt === 'csv')
      yield* csv(stream, file, f.path.toLowerCase().replace(/\.gz$/, '').endsWith('.tsv'));
    else yield* jsonDocument(stream, file, first === '[');
  }
}

async function* ndjson(stream: Readable, file: number): AsyncGenerator<InputRecord> {
  const rl = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const text of rl) {
    line++;
    if (text.trim() !== '') yield { file, line, text };
  }
}

async function* csv(stream: Readable, file: number, tab: boolean): AsyncGenerator<InputRecord> {
  const parser = stream.pipe(
    parseCsv({
      bom: true,
      delimiter: tab ? '\t' : ',',
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
    }),
  );
  let header: string[] | undefined;
  for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    if (!header) {
      header = rec.record.map((h) => h.trim());
      continue;
    }
    // Own properties even for a hostile `__proto__` column: the server then refuses that row (400).
    const row = Object.fromEntries(header.map((h, i) => [h, rec.record[i] ?? '']));
    yield { file, line: rec.info.lines, text: JSON.stringify(row) };
  }
}

/**
 * A JSON array (each element an alert), `{"alerts": [...]}`, or one alert object. Elements are
 * emitted as they complete and dropped from the parser's stack (`keepStack: false`).
 */
async function* jsonDocument(stream: Readable, file: number, isArray: boolean): AsyncGenerator<InputRecord> {
  const parser = new JSONParser({ paths: isArray ? ['$.*'] : ['$.alerts.*', '$'], keepStack: false });
  const queue: InputRecord[] = [];
  let n = 0;
  let fromAlerts = false;
  parser.onValue = ({ value, stack }) => {
    if (stack.length === 0) {
      // The root: one alert, unless it was an `{"alerts": [...]}` envelope already emitted item by item.
      if (!isArray && !fromAlerts) queue.push({ file, line: ++n, text: JSON.stringify(value) });
      return;
    }
    if (!isArray) fromAlerts = true;
    queue.push({ file, line: ++n, text: JSON.stringify(value) });
  };
  for await (const chunk of stream) {
    parser.write(chunk as Buffer);
    while (queue.length) yield queue.shift()!;
  }
  if (!parser.isEnded) parser.end();
  while (queue.length) yield queue.shift()!;
}
