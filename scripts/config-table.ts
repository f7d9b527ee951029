/**
 * Writes the configuration table of README.md from the zod config schemas and their TSDoc, so the
 * documented variables and defaults are the ones the code parses. `--check` exits 1 when README is stale.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadConfig, TriageConfig } from '@triage/runtime';

const dir = new URL('../packages/runtime/src/config/', import.meta.url);
const readme = new URL('../README.md', import.meta.url);

/** Variables whose schema carries no TSDoc. */
const FALLBACK: Record<string, string> = {
  GEMINI_API_KEY: 'Gemini API key; unset = the rules decide alone.',
  GEMINI_MODEL: 'Gemini model for the LLM tier (must have a price in the table).',
  GEMINI_BASE_URL: "Gemini endpoint; unset = Google's.",
  GEMINI_TEMPERATURE: 'Sampling temperature of the LLM tier.',
  GEMINI_THINKING_BUDGET: 'Thinking tokens allowed per call (billed as output).',
  GEMINI_TIMEOUT_MS: 'Timeout of one Gemini call.',
};

function docs(): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.config.ts'))) {
    const src = readFileSync(new URL(f, dir), 'utf8');
    for (const m of src.matchAll(/\/\*\*((?:[^*]|\*(?!\/))*)\*\/\s*\n\s*([A-Z][A-Z0-9_]+):/g)) {
      const text = m[1]!
        .split('\n')
        .map((l) => l.replace(/^\s*\*\s?/, '').trim())
        .filter(Boolean)
        .join(' ');
      out.set(m[2]!, text);
    }
  }
  return out;
}

function show(v: unknown): string {
  if (v === undefined) return '—';
  if (Array.isArray(v)) return v.length ? `\`${v.join(',')}\`` : 'empty';
  if (v && typeof v === 'object' && 'text' in v) return `\`${String((v as { text: string }).text)}\``;
  if (v && typeof v === 'object') return `\`${JSON.stringify(v)}\``;
  return `\`${String(v)}\``;
}

export function configTable(): string {
  const defaults = loadConfig({}) as Record<string, unknown>;
  const d = docs();
  const rows = Object.keys(TriageConfig.shape).map((k) => {
    const text = (d.get(k) ?? FALLBACK[k] ?? '').replace(/\|/g, '\\|');
    return `| \`${k}\` | ${show(defaults[k])} | ${text} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

const START = '<!-- config-table -->';
const END = '<!-- /config-table -->';

export function renderReadme(current: string): string {
  const a = current.indexOf(START);
  const b = current.indexOf(END);
  const tail = b >= 0 ? current.slice(b) : `${END}${current.slice(a + START.length)}`;
  return `${current.slice(0, a + START.length)}\n${configTable()}\n${tail}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const current = readFileSync(readme, 'utf8');
  const next = renderReadme(current);
  if (process.argv.includes('--check')) {
    if (next !== current) {
      console.error('README.md configuration table is stale: run `pnpm docs:config`');
      process.exit(1);
    }
  } else writeFileSync(readme, next);
}
