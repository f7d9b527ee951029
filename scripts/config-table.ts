/**
 * Writes the configuration table of README.md and the deployment configuration files (every
 * variable: infra/k8s/base/triage.env, the example overlay's secrets.env) from the zod config
 * schemas and their TSDoc, so the documented variables and defaults are the ones the code parses.
 * `--check` exits 1 when one of them is stale.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/** Secrets never go in the configuration file: they come from a Secret (Kubernetes) or `.env`. */
export const isSecret = (name: string) => /(_API_KEY|_KEYS|_SECRET)$/.test(name);

/** Values for a container: listen on every interface, Redis is the `redis` service. */
const CONTAINER: Record<string, string> = {
  REDIS_URL: 'redis://redis:6379',
  HOST: '0.0.0.0',
  WORKER_HTTP_PORT: '9464',
  WORKER_HTTP_HOST: '0.0.0.0',
};

function parseEnvFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/**
 * `infra/k8s/base/triage.env`: every non-secret variable, with its meaning and default in a comment
 * above it. Values already in `current` are kept (it is the deployment's configuration); new
 * variables are added empty (= the default) or with their container value.
 */
export function renderEnvFile(current = ''): string {
  const kept = parseEnvFile(current);
  const defaults = loadConfig({}) as Record<string, unknown>;
  const d = docs();
  const lines = [
    '# triage configuration: every variable the services read, for the Kubernetes ConfigMap',
    '# (infra/k8s/base) and docker compose (env_file). Empty = the default named above it.',
    '# Secrets (API keys, WEBHOOK_SECRET) are not here: a Secret (Kubernetes) or .env (compose).',
    '# `pnpm docs:config` adds new variables and keeps the values set here.',
  ];
  for (const k of Object.keys(TriageConfig.shape)) {
    if (isSecret(k)) continue;
    const meaning = (d.get(k) ?? FALLBACK[k] ?? '').trim();
    lines.push(
      '',
      `# ${meaning} Default: ${show(defaults[k]).replace(/`/g, '')}`,
      `${k}=${kept.get(k) ?? CONTAINER[k] ?? ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The secret variables, for the example overlay's `secrets.env` (values kept). */
export function renderSecretsFile(current = ''): string {
  const kept = parseEnvFile(current);
  const lines = [
    '# Secrets of the example overlay (the triage-secrets Secret). Placeholders only: put real',
    '# keys here in your own copy, never in git, or create the Secret with your secret manager.',
  ];
  for (const k of Object.keys(TriageConfig.shape).filter(isSecret)) lines.push(`${k}=${kept.get(k) ?? ''}`);
  return `${lines.join('\n')}\n`;
}

const START = '<!-- config-table -->';
const END = '<!-- /config-table -->';

export function renderReadme(current: string): string {
  const a = current.indexOf(START);
  const b = current.indexOf(END);
  const tail = b >= 0 ? current.slice(b) : `${END}${current.slice(a + START.length)}`;
  return `${current.slice(0, a + START.length)}\n${configTable()}\n${tail}`;
}

const envFile = new URL('../infra/k8s/base/triage.env', import.meta.url);
const secretsFile = new URL('../infra/k8s/overlays/example/secrets.env', import.meta.url);
const read = (u: URL) => (existsSync(u) ? readFileSync(u, 'utf8') : '');

if (import.meta.url === `file://${process.argv[1]}`) {
  const files: Array<[URL, (current: string) => string]> = [
    [readme, renderReadme],
    [envFile, renderEnvFile],
    [secretsFile, renderSecretsFile],
  ];
  for (const [file, render] of files) {
    const current = read(file);
    const next = render(current);
    if (process.argv.includes('--check')) {
      if (next !== current) {
        console.error(`${file.pathname} is stale: run \`pnpm docs:config\``);
        process.exit(1);
      }
    } else writeFileSync(file, next);
  }
}
