import { AppError, eventLoopSlicer } from '@triage/runtime';
import type { FastifyInstance } from 'fastify';
import { decodeUtf8, type GuardLimits, parseGuarded } from '../lib/body-guard.ts';

const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl'];

/**
 * Replaces Fastify's body parsers: strict UTF-8, a depth limit before parsing, and a walk that
 * refuses prototype-pollution keys, NUL characters and oversize fields. An NDJSON body is only cut
 * into its lines here: intake parses each line under the same guards (on its worker threads when it
 * has them), so one bad line is rejected alone.
 */
export function registerBodyParsers(app: FastifyInstance, limits: GuardLimits): void {
  app.removeAllContentTypeParsers();
  const json = (_req: unknown, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
    try {
      done(null, parseGuarded(decodeUtf8(body), limits));
    } catch (err) {
      done(err as AppError, undefined);
    }
  };
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, json);
  app.addContentTypeParser(/^application\/[\w.+-]*\+json$/, { parseAs: 'buffer' }, json);
  app.addContentTypeParser(NDJSON_TYPES, { parseAs: 'buffer' }, async (_req: unknown, body: Buffer) => {
    const text = decodeUtf8(body);
    if (text.trim() === '') throw new AppError('EMPTY_BODY');
    return new NdjsonBody(await splitLines(text));
  });
}

/**
 * The non-blank lines of an NDJSON body. A 64 MB body holds a million lines: the event loop is
 * given back every few ms.
 */
async function splitLines(text: string): Promise<string[]> {
  const out: string[] = [];
  const slice = eventLoopSlicer();
  for (let at = 0; at < text.length; ) {
    await slice();
    const nl = text.indexOf('\n', at);
    const line = text.slice(at, nl < 0 ? text.length : nl);
    at = nl < 0 ? text.length : nl + 1;
    if (line.trim() !== '') out.push(line);
  }
  return out;
}

/** An NDJSON body cut into its lines (not parsed yet); a class so a JSON object can never impersonate one. */
export class NdjsonBody {
  readonly lines: string[];
  constructor(lines: string[]) {
    this.lines = lines;
  }
}
