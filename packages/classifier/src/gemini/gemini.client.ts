import { ApiError, type GenerateContentResponse, GoogleGenAI } from '@google/genai';
import { addUsage, type Usage, usageFrom, ZERO_USAGE } from '../cost.ts';
import { type BuiltPrompt, unknownCitations } from './prompt.ts';
import { LlmVerdict, llmVerdictJsonSchema } from './verdict.schema.ts';

export interface GeminiClientOptions {
  apiKey: string;
  /** GEMINI_BASE_URL; Google's endpoint when absent. */
  baseUrl?: string;
  /** GEMINI_API_VERSION; the SDK's default when absent. */
  apiVersion?: string;
  model: string;
  temperature: number;
  thinkingBudget: number;
  timeoutMs: number;
}

export type GeminiOutcome =
  | { kind: 'ok'; verdict: LlmVerdict; usage: Usage; attempts: number; modelVersion?: string }
  /** Two replies in a row failed the schema (or the retry was not allowed). */
  | { kind: 'malformed'; usage: Usage; attempts: number; detail: string }
  | { kind: 'rate_limited'; usage: Usage; retryAfterMs?: number; detail: string }
  | { kind: 'error'; usage: Usage; timeout: boolean; detail: string };

/**
 * Gemini through @google/genai with structured output. Never throws: every failure is an outcome
 * the chain turns into a rules verdict. The SDK's own retries stay off (no `retryOptions`) so a
 * 429 reaches the shared ledger instead of being retried blindly by each process.
 */
export class GeminiClient {
  private readonly ai: GoogleGenAI;
  private readonly opts: GeminiClientOptions;
  private readonly schema = llmVerdictJsonSchema();

  constructor(opts: GeminiClientOptions) {
    this.opts = opts;
    this.ai = new GoogleGenAI({
      apiKey: opts.apiKey,
      vertexai: false,
      httpOptions: {
        ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}),
        ...(opts.apiVersion ? { apiVersion: opts.apiVersion } : {}),
        timeout: opts.timeoutMs,
      },
    });
  }

  get model(): string {
    return this.opts.model;
  }

  /**
   * One classification. A reply that is not valid JSON for the schema is retried once, and only
   * when `mayRetry()` grants another slot from the ledger (a retry is a billed call too).
   */
  async classify(prompt: BuiltPrompt, mayRetry: () => Promise<boolean>): Promise<GeminiOutcome> {
    let usage = ZERO_USAGE;
    let detail = '';
    let attempts = 0;
    for (let attempt = 1; attempt <= 2; attempt++) {
      if (attempt === 2 && !(await mayRetry())) break;
      attempts = attempt;
      const call = await this.call(prompt);
      if (call.kind !== 'reply') return { ...call, usage: addUsage(usage, call.usage) };
      usage = addUsage(usage, call.usage);
      const parsed = parseVerdict(call.response, prompt.evidenceIds);
      if (parsed.ok) {
        return {
          kind: 'ok',
          verdict: parsed.verdict,
          usage,
          attempts: attempt,
          modelVersion: call.response.modelVersion,
        };
      }
      detail = parsed.detail;
    }
    return { kind: 'malformed', usage, attempts, detail };
  }

  private async call(
    prompt: BuiltPrompt,
  ): Promise<
    | { kind: 'reply'; response: GenerateContentResponse; usage: Usage }
    | { kind: 'rate_limited'; usage: Usage; retryAfterMs?: number; detail: string }
    | { kind: 'error'; usage: Usage; timeout: boolean; detail: string }
  > {
    let retryAfterHeader: string | null = null;
    // Per-request fetch wrapper: the SDK's ApiError keeps the body but drops the headers, and a
    // 429's Retry-After header is what tells every process how long to pause.
    const fetchWithHeaders = async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const res = await fetch(input, init);
      if (res.status === 429) retryAfterHeader = res.headers.get('retry-after');
      return res;
    };
    try {
      const response = await this.ai.models.generateContent({
        model: this.opts.model,
        contents: prompt.contents,
        config: {
          systemInstruction: prompt.systemInstruction,
          responseMimeType: 'application/json',
          responseJsonSchema: this.schema,
          temperature: this.opts.temperature,
          thinkingConfig: { thinkingBudget: this.opts.thinkingBudget },
          httpOptions: { fetch: fetchWithHeaders, timeout: this.opts.timeoutMs },
        },
      });
      return { kind: 'reply', response, usage: usageFrom(response.usageMetadata) };
    } catch (err) {
      if (err instanceof ApiError && err.status === 429) {
        const retryAfterMs = parseRetryAfter(retryAfterHeader) ?? retryInfoDelay(err.message);
        return {
          kind: 'rate_limited',
          usage: ZERO_USAGE,
          detail: 'HTTP 429',
          ...(retryAfterMs ? { retryAfterMs } : {}),
        };
      }
      const message = err instanceof Error ? err.message : String(err);
      const timeout =
        err instanceof Error &&
        (err.name === 'AbortError' || err.name === 'TimeoutError' || /abort|timed? ?out/i.test(message));
      const status = err instanceof ApiError ? `HTTP ${err.status}: ` : '';
      return { kind: 'error', usage: ZERO_USAGE, timeout, detail: `${status}${message.slice(0, 300)}` };
    }
  }
}

function parseVerdict(
  response: GenerateContentResponse,
  evidenceIds: readonly string[],
): { ok: true; verdict: LlmVerdict } | { ok: false; detail: string } {
  const cand = response.candidates?.[0];
  const text = (cand?.content?.parts ?? [])
    .filter((p) => typeof p.text === 'string' && !p.thought)
    .map((p) => p.text)
    .join('')
    .trim();
  if (!text) return { ok: false, detail: `empty reply (finishReason ${cand?.finishReason ?? 'none'})` };
  let json: unknown;
  try {
    json = JSON.parse(unfence(text));
  } catch {
    return { ok: false, detail: `reply is not JSON (finishReason ${cand?.finishReason ?? 'none'})` };
  }
  const parsed = LlmVerdict.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    return {
      ok: false,
      detail: `reply violates the schema at ${i?.path.join('.') || '(root)'}: ${i?.message}`,
    };
  }
  // A reason resting on evidence the prompt never showed is invented (or planted by the alert).
  const unknown = unknownCitations(parsed.data.reasoning, evidenceIds);
  if (unknown.length > 0) {
    return {
      ok: false,
      detail: `reply cites evidence ${unknown.join(', ')} that the prompt did not contain`,
    };
  }
  return { ok: true, verdict: parsed.data };
}

/** A reply wrapped in a Markdown code fence (```json ... ```), unwrapped with string operations. */
function unfence(text: string): string {
  let t = text.trim();
  if (t.startsWith('```')) t = t.slice(t.startsWith('```json') ? 7 : 3);
  if (t.endsWith('```')) t = t.slice(0, -3);
  return t.trim();
}

/** `Retry-After: 30` (seconds) or an HTTP date. */
export function parseRetryAfter(v: string | null): number | undefined {
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs) && secs >= 0) return Math.round(secs * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** google.rpc.RetryInfo in the error body: `"retryDelay": "17s"` (or "1.5s"). */
export function retryInfoDelay(body: string): number | undefined {
  const m = /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"/.exec(body);
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}
