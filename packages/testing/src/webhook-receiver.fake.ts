import { randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** A fresh Standard Webhooks secret (`whsec_` + base64 of 32 random bytes), as an operator makes one. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** A delivery the receiver accepted (answered 2xx). */
export interface ReceivedDelivery {
  /** `webhook-id`. */
  id: string;
  /** `webhook-timestamp`. */
  timestamp: string;
  /** Parsed JSON body. */
  body: unknown;
  /** The body exactly as received (what the signature covers). */
  raw: string;
  headers: IncomingHttpHeaders;
  /** Date.now() when it arrived. */
  receivedAt: number;
}

/** Every request, whatever the answer: the retry timeline of a delivery. */
export interface ReceivedRequest {
  id: string | undefined;
  status: number;
  /** Signature valid (true), invalid (false), or not checked because the fake has no secret (undefined). */
  verified: boolean | undefined;
  receivedAt: number;
}

export interface ResponseRule {
  status: number;
  /** Sent as `Retry-After` (delay-seconds or an HTTP-date). */
  retryAfter?: string;
  body?: string;
  /** Wait this long before answering (overrides `slow()` for this rule). */
  delayMs?: number;
}

export interface WebhookReceiverOptions {
  /**
   * Standard Webhooks secret (`whsec_...`). When set, every request must verify with the
   * `standardwebhooks` library (signature over id, timestamp and body; timestamp within its 5
   * minutes); otherwise it is answered 401.
   */
  secret?: string;
  path?: string;
}

/**
 * A real HTTP webhook receiver on 127.0.0.1 for tests of webhook delivery. It verifies every
 * request with the `standardwebhooks` library, as a receiver in any language would with its own
 * (so a signing bug in the sender fails here), dedupes by `webhook-id` as a careful SOAR would
 * (duplicates are acknowledged and counted apart), and can misbehave on demand: refuse connections
 * (`down()` / `up()` on the same port), answer any status with `Retry-After`, or be slow.
 */
export class WebhookReceiverFake {
  /** Accepted deliveries, first arrival of each id only. */
  readonly deliveries: ReceivedDelivery[] = [];
  /** Accepted deliveries whose id had already been accepted. */
  readonly duplicates: ReceivedDelivery[] = [];
  readonly requests: ReceivedRequest[] = [];
  private readonly seen = new Set<string>();
  private readonly opts: { path: string };
  private readonly verifier: Webhook | undefined;
  private server: Server;
  private port = 0;
  private rule: ResponseRule = { status: 200 };
  private readonly once: ResponseRule[] = [];
  private delayMs = 0;

  private constructor(opts: WebhookReceiverOptions) {
    this.opts = { path: opts.path ?? '/hook' };
    this.verifier = opts.secret === undefined ? undefined : new Webhook(opts.secret);
    this.server = this.createServer();
  }

  static async start(opts: WebhookReceiverOptions = {}): Promise<WebhookReceiverFake> {
    const fake = new WebhookReceiverFake(opts);
    await fake.listen();
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}${this.opts.path}`;
  }

  /** Requests answered 401 because the signature or timestamp did not verify. */
  get rejectedSignatures(): number {
    return this.requests.filter((r) => r.verified === false).length;
  }

  /** Answers every request with this rule from now on (`{ status: 200 }` is the default). */
  respond(rule: ResponseRule): this {
    this.rule = rule;
    return this;
  }

  /** Answers the next requests with these rules, one each, before falling back to `respond()`. */
  respondOnce(...rules: ResponseRule[]): this {
    this.once.push(...rules);
    return this;
  }

  /** Waits this long before answering (0 = at once). The delivery still counts if the sender gave up. */
  slow(delayMs: number): this {
    this.delayMs = delayMs;
    return this;
  }

  /** Stops listening and drops open connections: senders get ECONNREFUSED until `up()`. */
  async down(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /** Listens again on the same port. */
  async up(): Promise<void> {
    if (this.server.listening) return;
    this.server = this.createServer();
    await this.listen();
  }

  async close(): Promise<void> {
    await this.down();
  }

  private createServer(): Server {
    // A sender that aborts mid-body (timeout, down()) must not become an unhandled rejection.
    const server = createServer((req, res) => void this.handle(req, res).catch(() => res.destroy()));
    server.keepAliveTimeout = 1000;
    return server;
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const receivedAt = Date.now();
    const id = header(req.headers, 'webhook-id');
    const timestamp = header(req.headers, 'webhook-timestamp') ?? '';
    const verified = this.verifier === undefined ? undefined : this.verify(raw, req.headers);
    const record = (status: number) => this.requests.push({ id, status, verified, receivedAt });

    if (req.method !== 'POST' || req.url !== this.opts.path) return this.answer(res, { status: 404 }, record);
    if (verified === false) return this.answer(res, { status: 401, body: 'bad signature' }, record);
    if (!id) return this.answer(res, { status: 400, body: 'missing webhook-id' }, record);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return this.answer(res, { status: 400, body: 'invalid JSON' }, record);
    }

    const rule = this.once.shift() ?? this.rule;
    const delayMs = rule.delayMs ?? this.delayMs;
    // Like a real receiver, it processes what it read even when the sender has given up meanwhile.
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    if (rule.status >= 200 && rule.status < 300) {
      const delivery = { id, timestamp, body, raw, headers: req.headers, receivedAt };
      if (this.seen.has(id)) this.duplicates.push(delivery);
      else {
        this.seen.add(id);
        this.deliveries.push(delivery);
      }
    }
    this.answer(res, rule, record);
  }

  private answer(res: ServerResponse, rule: ResponseRule, record: (status: number) => void): void {
    record(rule.status);
    if (res.destroyed) return;
    res.writeHead(rule.status, {
      'content-type': 'text/plain',
      ...(rule.retryAfter === undefined ? {} : { 'retry-after': rule.retryAfter }),
    });
    res.end(rule.body ?? '');
  }

  /** The library's own verification, not the sender's helpers: what a SOAR would run. */
  private verify(raw: string, headers: IncomingHttpHeaders): boolean {
    const given: Record<string, string> = {};
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const v = header(headers, name);
      if (v !== undefined) given[name] = v;
    }
    try {
      this.verifier?.verify(raw, given, { jsonParse: false });
      return true;
    } catch {
      return false;
    }
  }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
