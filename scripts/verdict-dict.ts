/**
 * Builds packages/runtime/data/verdict-dict-v2.txt, the preset dictionary of verdicts (see
 * packages/runtime/src/record-codec.ts). Run once per dictionary version: a published version must
 * never change. Verdicts are what the pipeline writes, so this runs it (every service, on REDIS_URL
 * under a key prefix of its own, no API keys: rules, memory and incidents as a deployment without
 * providers runs them) over fixture alerts of several kinds — not the Wazuh file the benchmark
 * measures — and keeps one verdict per distinct wording (title and reasoning, digits aside), the most
 * frequent last: DEFLATE looks back at most 32 KiB and the end of the dictionary is the cheapest to
 * reference.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { AlertStore } from '@triage/runtime';
import { readJson, redisFixture, startPipeline, waitFor } from '@triage/testing';

const root = new URL('../test/fixtures/', import.meta.url);
/** Every `step`-th line of a fixture, `n` lines in all. */
const sample = (f: string, n: number) => {
  const lines = readFileSync(new URL(f, root), 'utf8')
    .split('\n')
    .filter((l) => l.trim());
  const step = Math.max(1, Math.floor(lines.length / n));
  return lines.filter((_, i) => i % step === 0).slice(0, n);
};
const items = [
  ...sample('wazuh/aitads_russellmitchell_event_labeled.ndjson', 3000),
  ...sample('wazuh/wazuh_alerts_aitads_no_attack_100.ndjson', 100),
  ...sample('wazuh/wazuh_alerts_aitads_nshot_16_labeled.ndjson', 16),
  ...sample('windows/wazuh_ruleset_windows_tests.jsonl', 300),
  ...sample('windows/sigma_regression_positive_alerts.jsonl', 200),
];

const fx = await redisFixture('verdict-dict');
const p = await startPipeline({ env: { REDIS_URL: fx.url, QUEUE_PREFIX: fx.prefix, LOG_LEVEL: 'error' } });
const verdicts: string[] = [];
try {
  const batches: string[] = [];
  for (let i = 0; i < items.length; i += 1000) {
    const res = await fetch(`${p.url}/v1/alerts/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: items.slice(i, i + 1000).join('\n'),
    });
    batches.push((await readJson(res)).batch_id);
  }
  const store = new AlertStore(fx.redis, fx.prefix, 3600);
  for (const b of batches) {
    await waitFor(
      async () => {
        const s = (await readJson(await fetch(`${p.url}/v1/batches/${b}?limit=1`))).summary;
        return s.completed + s.failed >= s.total;
      },
      { timeoutMs: 600_000, intervalMs: 500 },
    );
    const ids = await fx.redis.lrange(`${fx.prefix}:batch:${b}:ids`, 0, -1);
    for (const r of await store.statuses(ids)) if (r.result) verdicts.push(JSON.stringify(r.result));
  }
} finally {
  await p.stop();
  await fx.close();
}

const wording = (v: string) => {
  const { title, reasoning } = JSON.parse(v) as { title: string; reasoning: string[] };
  return `${title}|${reasoning.join('|')}`.replace(/\d+/g, '#');
};
const seen = new Map<string, { verdict: string; n: number }>();
for (const v of verdicts) {
  const k = wording(v);
  const e = seen.get(k);
  if (e) e.n++;
  else seen.set(k, { verdict: v, n: 1 });
}
const ordered = [...seen.values()].sort((a, b) => a.n - b.n).map((e) => e.verdict);
const dict = Buffer.from(ordered.join('\n'));
const out = dict.subarray(Math.max(0, dict.length - 32 * 1024));
writeFileSync(new URL('../packages/runtime/data/verdict-dict-v2.txt', import.meta.url), out);
process.stdout.write(
  `verdict-dict-v2.txt: ${out.length} bytes from ${verdicts.length} verdicts (${seen.size} wordings)\n`,
);
process.exit(0);
