import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real local HTTP server speaking the Gemini API's `generateContent` wire format, for tests
 * that point `GEMINI_BASE_URL` at it. @google/genai 3.x posts to
 * `{baseUrl}/v1/models/{model}:generateContent` (v1 is its default API version; `v1beta` when a
 * client sets `apiVersion`) with the key in the `x-goog-api-key` header; both paths are served.
 */

export type FakeGeminiMode = 'ok' | 'malformed' | 'malformed-once' | '429' | 'slow' | 'error500';

export interface FakeGeminiRequest {
  apiVersion: string;
  model: string;
  headers: IncomingMessage['headers'];
  /** The parsed JSON body: contents, systemInstruction, generationConfig... */
  body: GenerateContentBody;
}

export interface GenerateContentBody {
  contents?: Array<{ role?: string; parts?: Array<{ text?: string }> }>;
  systemInstruction?: { parts?: Array<{ text?: string }> };
  generationConfig?: Record<string, unknown>;
  [k: string]: unknown;
}

/** What the model "says": an object is sent as JSON text, a string as is. */
export type FakeAnswer = (req: FakeGeminiRequest) => unknown;

export interface FakeGeminiModeOptions {
  /** `slow`: delay before answering (ms). */
  delayMs?: number;
  /** `429`: Retry-After header and RetryInfo.retryDelay, seconds. */
  retryAfterSeconds?: number;
  /** `malformed`: broken JSON text or valid JSON that violates the verdict schema. */
  malformed?: 'invalid-json' | 'schema';
}

export interface FakeUsage {
  /** Fixed counts; when absent, prompt/candidates are estimated at 4 characters per token. */
  prompt?: number;
  candidates?: number;
  thoughts?: number;
}

export interface FakeGemini {
  url: string;
  apiKey: string;
  /** generateContent requests received with a valid key, in every mode. */
  readonly calls: number;
  readonly requests: FakeGeminiRequest[];
  setMode(mode: FakeGeminiMode, opts?: FakeGeminiModeOptions): void;
  /** Replaces the answer of `ok` mode (default: a valid TRUE_POSITIVE verdict). */
  setAnswer(fn: FakeAnswer): void;
  setUsage(usage: FakeUsage): void;
  /** Back to `ok`, the default answer and usage, zero calls. */
  reset(): void;
  close(): Promise<void>;
}

export const DEFAULT_FAKE_VERDICT = {
  classification: 'TRUE_POSITIVE',
  confidence: 80,
  severity: 'High',
  title: 'Fake Gemini verdict',
  reasoning: [
    'The fake model found the alert consistent with attack activity.',
    'Second reason.',
    'Third reason.',
  ],
  mitre: ['T1110'],
  injection_detected: false,
};

/** The user text of a recorded request (what the classifier put in `contents`). */
export function promptText(req: FakeGeminiRequest): string {
  return (req.body.contents ?? []).flatMap((c) => (c.parts ?? []).map((p) => p.text ?? '')).join('\n');
}

const PATH = /^\/(v1|v1beta|v1alpha)\/models\/([^/:]+):generateContent$/;

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  res.end(text);
}

function googleError(code: number, status: string, message: string, details: unknown[] = []) {
  return { error: { code, message, status, ...(details.length ? { details } : {}) } };
}

export async function startFakeGemini(opts: { apiKey?: string } = {}): Promise<FakeGemini> {
  const apiKey = opts.apiKey ?? `fake-${randomUUID()}`;
  let mode: FakeGeminiMode = 'ok';
  let modeOpts: FakeGeminiModeOptions = {};
  let answer: FakeAnswer = () => DEFAULT_FAKE_VERDICT;
  let usage: FakeUsage = {};
  let calls = 0;
  const requests: FakeGeminiRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const reply = (res: ServerResponse, req: FakeGeminiRequest, text: string, rawBytes: number) => {
    const prompt = usage.prompt ?? Math.ceil(rawBytes / 4);
    const candidates = usage.candidates ?? Math.ceil(text.length / 4);
    const thoughts = usage.thoughts ?? 0;
    send(res, 200, {
      candidates: [{ content: { parts: [{ text }], role: 'model' }, finishReason: 'STOP', index: 0 }],
      usageMetadata: {
        promptTokenCount: prompt,
        candidatesTokenCount: candidates,
        ...(thoughts ? { thoughtsTokenCount: thoughts } : {}),
        totalTokenCount: prompt + candidates + thoughts,
        promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
      },
      modelVersion: req.model,
      responseId: randomUUID().replace(/-/g, '').slice(0, 22),
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const m = PATH.exec((req.url ?? '').split('?')[0] ?? '');
    if (req.method !== 'POST' || !m) {
      send(res, 404, googleError(404, 'NOT_FOUND', `Unknown path ${req.method} ${req.url}`));
      return;
    }
    if (req.headers['x-goog-api-key'] !== apiKey) {
      send(
        res,
        400,
        googleError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'API_KEY_INVALID',
            domain: 'googleapis.com',
          },
        ]),
      );
      return;
    }
    let body: GenerateContentBody;
    try {
      body = JSON.parse(raw) as GenerateContentBody;
    } catch {
      send(res, 400, googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'));
      return;
    }
    calls += 1;
    const rec: FakeGeminiRequest = {
      apiVersion: m[1]!,
      model: decodeURIComponent(m[2]!),
      headers: req.headers,
      body,
    };
    requests.push(rec);

    switch (mode) {
      case '429': {
        const secs = modeOpts.retryAfterSeconds ?? 30;
        send(
          res,
          429,
          googleError(
            429,
            'RESOURCE_EXHAUSTED',
            'You exceeded your current quota, please check your plan and billing details.',
            [
              {
                '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
                violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_requests' }],
              },
              { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${secs}s` },
            ],
          ),
          { 'retry-after': String(secs) },
        );
        return;
      }
      case 'error500':
        send(
          res,
          500,
          googleError(
            500,
            'INTERNAL',
            'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
          ),
        );
        return;
      case 'malformed':
      case 'malformed-once': {
        if (mode === 'malformed-once') mode = 'ok';
        const text =
          modeOpts.malformed === 'schema'
            ? JSON.stringify({ classification: 'MAYBE', confidence: 'very', reasoning: 'not an array' })
            : '{"classification": "TRUE_POSITIVE", "confidence": 9';
        reply(res, rec, text, raw.length);
        return;
      }
      case 'slow': {
        const t = setTimeout(() => {
          timers.delete(t);
          if (!res.destroyed) reply(res, rec, render(answer(rec)), raw.length);
        }, modeOpts.delayMs ?? 1000);
        timers.add(t);
        return;
      }
      default:
        reply(res, rec, render(answer(rec)), raw.length);
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    get calls() {
      return calls;
    },
    requests,
    setMode(next, o = {}) {
      mode = next;
      modeOpts = o;
    },
    setAnswer(fn) {
      answer = fn;
    },
    setUsage(u) {
      usage = u;
    },
    reset() {
      mode = 'ok';
      modeOpts = {};
      answer = () => DEFAULT_FAKE_VERDICT;
      usage = {};
      calls = 0;
      requests.length = 0;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function render(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
