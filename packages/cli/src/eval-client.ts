import { readFile } from 'node:fs/promises';
import { attachLabels, type EvalItem, parseAlerts, parseLabels } from './eval-input.ts';
import { normalizeLabel } from './eval-score.ts';

/** How the eval commands reach the running pipeline. */
export interface EvalTarget {
  url: string;
  apiKey?: string;
}

export async function http<T>(opts: EvalTarget, method: string, path: string, body?: unknown): Promise<T> {
  const target = `${opts.url.replace(/\/+$/, '')}${path}`;
  const res = await fetch(target, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  }).catch((err: unknown) => {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new Error(`cannot reach ${opts.url} (${cause}); start the pipeline (pnpm start) or set TRIAGE_URL`);
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → HTTP ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** Alerts of every file, in order, with one label each (inline labels win over the label file). */
export async function loadItems(opts: {
  files: string[];
  labels?: string;
}): Promise<{ items: EvalItem[]; labels: Array<string | undefined> }> {
  const items: EvalItem[] = [];
  for (const f of opts.files) items.push(...parseAlerts(await readFile(f, 'utf8'), f));
  const table = opts.labels ? parseLabels(await readFile(opts.labels, 'utf8')) : undefined;
  return { items, labels: attachLabels(items, table) };
}

/** An inline label whose key defines its vocabulary (event_label: "-" or a step name) wins. */
export function truthOf(item: EvalItem, label: string | undefined) {
  return (label === item.inlineLabel ? item.inlineTruth : undefined) ?? normalizeLabel(label);
}
