import type { Readable } from 'node:stream';
import { AppError } from '@triage/runtime';
import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';
import { decodeUtf8, type GuardLimits, parseGuarded } from '../lib/body-guard.ts';

const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl'];

/**
 * Replaces Fastify's body parsers: strict UTF-8, a depth limit before parsing, and a walk that
 * refuses prototype-pollution keys, NUL characters and oversize fields. An NDJSON body is only cut
 * into its lines here: intake parses each line under the same guards (on its worker threads when it
 * has them), so one bad line is rejected alone.
 */
export function registerBodyParsers(app: FastifyInstance, limits: GuardLimits, maxLines: number): void {
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
  app.addContentTypeParser(NDJSON_TYPES, (req: FastifyRequest, payload: Readable) =>
    readLines(req, payload, maxLines),
  );
}

const invalidUtf8 = () => new AppError('INVALID_ENCODING', { message: 'The body is not valid UTF-8' });

/**
 * The non-blank lines of an NDJSON body, cut as its bytes arrive: each network chunk is decoded
 * (strict UTF-8, a character split between chunks included) and cut on its own, so the event loop
 * is given back between chunks. Collecting a 64 MB body into one buffer and decoding it at once held
 * it for 0.4 s. The route's body limit and Content-Length are enforced as Fastify's own parsers do.
 * Past `maxLines` lines are counted, not kept: 64 MB of two-byte lines is 32 million strings, over
 * a gigabyte of heap for a request that can only be refused (TOO_MANY_ITEMS).
 */
export function readLines(
  req: Pick<FastifyRequest, 'routeOptions' | 'headers'>,
  payload: Readable,
  maxLines: number,
): Promise<NdjsonBody> {
  const limit = req.routeOptions.bodyLimit ?? Number.POSITIVE_INFINITY;
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
  return new Promise((resolve, reject) => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const lines: string[] = [];
    let count = 0;
    // The line being received, in pieces: joined once its end arrives (a 60 MB line in 64 KB
    // chunks is never searched or copied again chunk after chunk).
    let pieces: string[] = [];
    let received = 0;
    const cut = (text: string) => {
      let at = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', at)) {
        pieces.push(text.slice(at, nl));
        const line = pieces.length === 1 ? pieces[0]! : pieces.join('');
        pieces = [];
        if (line.trim() !== '' && ++count <= maxLines) lines.push(line);
        at = nl + 1;
      }
      if (at < text.length) pieces.push(text.slice(at));
    };
    const stop = () => {
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onEnd);
    };
    const fail = (err: Error) => {
      stop();
      // The rest of the body is read and dropped, so the error can still be answered.
      payload.resume();
      reject(err);
    };
    function onData(chunk: Buffer | string) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      received += bytes.length;
      if (received > limit) return fail(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      let text: string;
      try {
        text = decoder.decode(bytes, { stream: true });
      } catch {
        return fail(invalidUtf8());
      }
      cut(text);
    }
    function onEnd(err?: Error) {
      stop();
      if (err) {
        const e = err as Error & { statusCode?: number };
        if (!(typeof e.statusCode === 'number' && e.statusCode >= 400)) e.statusCode = 400;
        return reject(e);
      }
      if (!Number.isNaN(declared) && received !== declared) {
        return reject(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
      }
      try {
        cut(decoder.decode());
      } catch {
        return reject(invalidUtf8());
      }
      cut('\n');
      if (count === 0) return reject(new AppError('EMPTY_BODY'));
      resolve(new NdjsonBody(lines, count));
    }
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onEnd);
    payload.resume();
  });
}

/** An NDJSON body cut into its lines (not parsed yet); a class so a JSON object can never impersonate one. */
export class NdjsonBody {
  /** The first lines, up to the parser's limit. */
  readonly lines: string[];
  /** Every non-blank line of the body, kept or not. */
  readonly count: number;
  constructor(lines: string[], count: number) {
    this.lines = lines;
    this.count = count;
  }
}
