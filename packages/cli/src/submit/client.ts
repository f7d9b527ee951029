/**
 * The ingest API as the CLI uses it: JSON over fetch, the API key as a Bearer token, and patient
 * retries. 503 (backpressure: the enrich backlog is at ENRICH_MAX_BACKLOG) and 429 wait for
 * `Retry-After` and never give up — the backlog drains; network errors and 5xx are retried with
 * capped exponential backoff for `maxRetryMs`. Safe for batch submissions only because each carries
 * an Idempotency-Key: a request whose answer was lost is simply sent again.
 */
export interface ClientOptions {
  url: string;
  apiKey?: string;
  /** Give up on network errors / 5xx after this long (the state file lets `--resume` go on). */
  maxRetryMs?: number;
  /** Called when a request waits (backpressure, outage), for the progress line. */
  onWait?: (why: string, ms: number) => void;
  /** Ctrl-C: stop waiting (a batch not acknowledged stays pending in the state file, resumable). */
  signal?: AbortSignal;
}

/** The wait for a retry was cut short by `signal`. */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

export class HttpError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly body: unknown;
  constructor(status: number, body: unknown, what: string) {
    const err = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    super(`${what} → HTTP ${status}${err ? ` ${err.code}: ${err.message}` : ''}`);
    this.name = 'HttpError';
    this.status = status;
    this.code = err?.code;
    this.body = body;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Interrupted());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Interrupted());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class TriageClient {
  private readonly opts: ClientOptions;
  private readonly base: string;

  constructor(opts: ClientOptions) {
    this.opts = opts;
    this.base = opts.url.replace(/\/+$/, '');
  }

  async request<T>(
    method: string,
    path: string,
    init: { body?: string; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: T; headers: Headers }> {
    const what = `${method} ${path.split('?')[0]}`;
    const started = Date.now();
    const maxRetryMs = this.opts.maxRetryMs ?? 10 * 60_000;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${this.base}${path}`, {
          method,
          headers: {
            ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
            ...init.headers,
          },
          ...(init.body !== undefined ? { body: init.body } : {}),
        });
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
        if (Date.now() - started > maxRetryMs) {
          throw new Error(`cannot reach ${this.base} (${cause}); is the pipeline running (pnpm start)?`);
        }
        const wait = Math.min(30_000, 250 * 2 ** Math.min(attempt, 7));
        this.opts.onWait?.(`server unreachable (${cause})`, wait);
        await sleep(wait, this.opts.signal);
        continue;
      }
      const text = await res.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = { error: { code: 'BAD_RESPONSE', message: text.slice(0, 200) } };
      }
      const retryAfter = Number(res.headers.get('retry-after'));
      const patient = res.status === 503 || res.status === 429 || res.status === 409;
      const flaky = res.status >= 500 && !patient;
      if (patient || (flaky && Date.now() - started <= maxRetryMs)) {
        if (
          res.status === 409 &&
          (body as { error?: { code?: string } })?.error?.code !== 'IDEMPOTENCY_IN_PROGRESS'
        ) {
          throw new HttpError(res.status, body, what);
        }
        const wait =
          Number.isFinite(retryAfter) && retryAfter > 0
            ? retryAfter * 1000
            : Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
        this.opts.onWait?.(res.status === 503 ? 'server busy (backpressure)' : `HTTP ${res.status}`, wait);
        await sleep(wait, this.opts.signal);
        continue;
      }
      if (!res.ok) throw new HttpError(res.status, body, what);
      return { status: res.status, body: body as T, headers: res.headers };
    }
  }

  async get<T>(path: string): Promise<T> {
    return (await this.request<T>('GET', path)).body;
  }
}
