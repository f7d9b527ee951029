import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The fake's OWN limit, like the real API's: more than `max` accepted requests in any `perMs` → 429. */
export interface FakeRateLimit {
  max: number;
  perMs: number;
}

/**
 * How the fake answers, settable at runtime:
 * `ok` normal answers · `rate_limited` 429 with Retry-After · `error` a 5xx · `slow` answers after
 * `delayMs` (to trip client timeouts) · `not_found` 404 for every value.
 */
export type FakeMode =
  | { kind: 'ok' }
  | { kind: 'rate_limited'; retryAfterSeconds?: number }
  | { kind: 'error'; status: number }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'not_found' };

export interface FakeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface FakeStats {
  /** Every request that reached the server. */
  requests: number;
  /** Answers by HTTP status. */
  byStatus: Record<number, number>;
  /** 429s sent (by the fake's own limiter or by the `rate_limited` mode). */
  rateLimited: number;
  /** 429s sent because the client really exceeded the fake's own rate limit. */
  rateLimitExceeded: number;
  byPath: Record<string, number>;
  /** Requests per looked-up value (IP, domain, hash, URL). */
  byValue: Record<string, number>;
  /** Every value seen, in arrival order (values sent with a wrong key included: they left the network). */
  seen: string[];
  /** Arrival times (epoch ms) of every request. */
  arrivals: number[];
  /** Most requests that arrived within any `perMs` window (the rate the client really produced). */
  maxInWindow: number;
}

export interface FakeServerOptions {
  /** Header carrying the API key (lowercase), and the key the fake accepts. */
  keyHeader: string;
  apiKey: string;
  rateLimit?: FakeRateLimit;
  /** The value a request looks up (for stats), or undefined for requests that look nothing up. */
  valueOf: (req: IncomingMessage, url: URL) => string | undefined;
  /** Answers an accepted, in-limit request in `ok` mode. */
  handle: (req: IncomingMessage, url: URL, value: string | undefined) => FakeReply;
  /** Bodies in the vendor's own error format. */
  errorBody: (status: number, message: string) => unknown;
}

/** A deterministic small integer derived from a value, so default answers never change between runs. */
export function stableNumber(value: string, modulo: number): number {
  return createHash('sha256').update(value).digest().readUInt32BE(0) % modulo;
}

/**
 * A real HTTP server on 127.0.0.1 (random port) that speaks a vendor's wire format, checks the key,
 * enforces its own rate limit, counts everything and misbehaves on demand. Shared by the AbuseIPDB
 * and VirusTotal fakes.
 */
export class FakeHttpServer {
  private readonly opts: FakeServerOptions;
  private server: Server | undefined;
  private mode: FakeMode = { kind: 'ok' };
  private readonly queued: FakeMode[] = [];
  private accepted: number[] = [];
  private s: FakeStats = FakeHttpServer.emptyStats();

  constructor(opts: FakeServerOptions) {
    this.opts = opts;
  }

  private static emptyStats(): FakeStats {
    return {
      requests: 0,
      byStatus: {},
      rateLimited: 0,
      rateLimitExceeded: 0,
      byPath: {},
      byValue: {},
      seen: [],
      arrivals: [],
      maxInWindow: 0,
    };
  }

  async start(): Promise<{ url: string }> {
    const server = createServer((req, res) => void this.onRequest(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: this.url };
  }

  get url(): string {
    const addr = this.server?.address() as AddressInfo | undefined;
    if (!addr) throw new Error('fake server not started');
    return `http://127.0.0.1:${addr.port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Sets how every following request is answered. */
  setMode(mode: FakeMode): void {
    this.mode = mode;
  }

  /** Answers the next requests with these modes, one each, before going back to the current mode. */
  queueModes(...modes: FakeMode[]): void {
    this.queued.push(...modes);
  }

  stats(): FakeStats {
    const perMs = this.opts.rateLimit?.perMs ?? 1000;
    let max = 0;
    const a = this.s.arrivals;
    for (let i = 0, j = 0; i < a.length; i++) {
      while (a[i]! - a[j]! >= perMs) j++;
      max = Math.max(max, i - j + 1);
    }
    return structuredClone({ ...this.s, maxInWindow: max });
  }

  /** Forgets all counts (not the mode). */
  resetStats(): void {
    this.s = FakeHttpServer.emptyStats();
    this.accepted = [];
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const now = Date.now();
    const url = new URL(req.url ?? '/', 'http://fake');
    const s = this.s;
    s.requests++;
    s.arrivals.push(now);
    s.byPath[url.pathname] = (s.byPath[url.pathname] ?? 0) + 1;
    const value = this.opts.valueOf(req, url);
    if (value !== undefined) {
      s.seen.push(value);
      s.byValue[value] = (s.byValue[value] ?? 0) + 1;
    }
    req.resume();

    if (req.headers[this.opts.keyHeader] !== this.opts.apiKey) {
      return this.send(res, { status: 401, body: this.opts.errorBody(401, 'Authentication failed') });
    }
    const mode = this.queued.shift() ?? this.mode;
    if (mode.kind === 'rate_limited') return this.tooMany(res, mode.retryAfterSeconds ?? 60, false);
    if (mode.kind === 'error')
      return this.send(res, {
        status: mode.status,
        body: this.opts.errorBody(mode.status, 'Upstream failure'),
      });
    if (mode.kind === 'not_found')
      return this.send(res, { status: 404, body: this.opts.errorBody(404, 'Resource not found') });
    if (mode.kind === 'slow') await new Promise((r) => setTimeout(r, mode.delayMs));

    const limit = this.opts.rateLimit;
    if (limit) {
      const t = Date.now();
      this.accepted = this.accepted.filter((x) => t - x < limit.perMs);
      if (this.accepted.length >= limit.max) {
        const wait = this.accepted[0]! + limit.perMs - t;
        return this.tooMany(res, Math.max(1, Math.ceil(wait / 1000)), true);
      }
      this.accepted.push(t);
    }
    return this.send(res, this.opts.handle(req, url, value));
  }

  private tooMany(res: ServerResponse, retryAfterSeconds: number, exceeded: boolean): void {
    this.s.rateLimited++;
    if (exceeded) this.s.rateLimitExceeded++;
    this.send(res, {
      status: 429,
      headers: { 'retry-after': String(retryAfterSeconds) },
      body: this.opts.errorBody(429, 'Too many requests'),
    });
  }

  private send(res: ServerResponse, reply: FakeReply): void {
    this.s.byStatus[reply.status] = (this.s.byStatus[reply.status] ?? 0) + 1;
    // The client may have timed out and gone: writing to a destroyed socket is not the fake's problem.
    if (res.destroyed || res.writableEnded) return;
    const body = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(body);
  }
}

/** The control surface every vendor fake shares, delegated to its FakeHttpServer. */
export abstract class VendorFake {
  protected abstract readonly server: FakeHttpServer;

  start(): Promise<{ url: string }> {
    return this.server.start();
  }

  get url(): string {
    return this.server.url;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  setMode(mode: FakeMode): void {
    this.server.setMode(mode);
  }

  queueModes(...modes: FakeMode[]): void {
    this.server.queueModes(...modes);
  }

  stats(): FakeStats {
    return this.server.stats();
  }

  resetStats(): void {
    this.server.resetStats();
  }
}
