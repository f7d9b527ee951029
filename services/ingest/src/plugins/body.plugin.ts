import { AppError } from '@triage/runtime';
import type { FastifyInstance } from 'fastify';
import {
  decodeUtf8,
  type GuardLimits,
  type NdjsonLine,
  parseGuarded,
  parseNdjson,
} from '../lib/body-guard.ts';

const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl'];

/**
 * Replaces Fastify's body parsers: strict UTF-8, a depth limit before parsing, and a walk that
 * refuses prototype-pollution keys, NUL characters and oversize fields. NDJSON is parsed line by
 * line so one bad line is rejected alone.
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
    return new NdjsonBody(await parseNdjson(text, limits));
  });
}

/** A parsed NDJSON body; a class so a JSON object can never impersonate one. */
export class NdjsonBody {
  readonly lines: NdjsonLine[];
  constructor(lines: NdjsonLine[]) {
    this.lines = lines;
  }
}
