import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  PIPELINE_HOOK_TIMEOUT_MS,
  type RedisFixture,
  type RunningPipeline,
  redisFixture,
  startPipeline,
} from '@triage/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { renderReadme } from '../scripts/config-table.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The `sh` blocks of the README (or the first `n`), continuation lines joined, comments dropped. */
function shellCommands(n = Number.POSITIVE_INFINITY): string[] {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).slice(0, n);
  return blocks.flatMap((b) =>
    b
      .replace(/\\\n\s*/g, '')
      .split('\n')
      .map((l) => l.replace(/\s+#.*$/, '').trim())
      .filter((l) => l && !l.startsWith('#')),
  );
}

const torExits = new Set(
  readFileSync(new URL('../packages/intel/data/tor_exit_nodes_2024-02-27.csv', import.meta.url), 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.split(',')[0]),
);

it('README documents every configuration variable with its real default (pnpm docs:config)', () => {
  expect(renderReadme(readme)).toBe(readme);
  expect(readme).toMatch(/pnpm install --frozen-lockfile && pnpm start/);
  expect(readme).toMatch(/pnpm install --frozen-lockfile && pnpm test/);
});

describe('README examples run as written on Linux', () => {
  it('every file an example posts (`-d @file`) is in the repository and is JSON', () => {
    const files = [...readme.matchAll(/-d @([\w./-]+)/g)].map((m) => m[1]!);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      expect(existsSync(new URL(`../${f}`, import.meta.url)), f).toBe(true);
      JSON.parse(readFileSync(new URL(`../${f}`, import.meta.url), 'utf8'));
    }
  });

  it('no macOS-only command (`open`, `pbcopy`) in a shell example', () => {
    for (const cmd of shellCommands()) expect(cmd).not.toMatch(/^(open|pbcopy|pbpaste)\b/);
  });

  it('the Tor address of the examples is in the bundled Tor exit list', () => {
    const example = JSON.parse(readFileSync(new URL('../examples/alert.json', import.meta.url), 'utf8'));
    const ips = new Set([
      example.alert.source_ip,
      ...[...readme.matchAll(/"source_ip":"([\d.]+)"/g)].map((m) => m[1]),
    ]);
    for (const ip of ips) expect(torExits.has(ip), `${ip} is a bundled Tor exit`).toBe(true);
  });
});

describe('newcomer path: an old Node stops at once with one line', () => {
  // The machine's own Node (often older than the project's), found the way a newcomer's shell would.
  const candidates = ['/usr/bin/node', '/usr/local/bin/node', '/bin/node'].filter((p) => existsSync(p));
  const old = candidates.find((p) => {
    const v = spawnSync(p, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
    const [a, b] = v.split('.').map(Number);
    return a! < 22 || (a === 22 && b! < 18);
  });

  it('this Node passes the check silently', () => {
    const r = spawnSync(process.execPath, ['scripts/check-node.cjs'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });

  it.skipIf(!old)('an older Node gets exactly one line naming the Node it needs, and exit 1', () => {
    // `.pnpmfile.cjs` is what `pnpm install` loads first; `pnpm start` and `pnpm test` run the same check.
    for (const file of ['.pnpmfile.cjs', 'scripts/check-node.cjs']) {
      const r = spawnSync(old!, [file], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/Node\.js >= 22\.18.*nvm install 24/);
    }
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.scripts.start).toMatch(/^node scripts\/check-node\.cjs && /);
    expect(pkg.scripts.test).toMatch(/^node scripts\/check-node\.cjs && /);
  });
});

describe('the quick-start curl examples against a running pipeline', () => {
  let fx: RedisFixture | undefined;
  let pipeline: RunningPipeline | undefined;
  afterAll(async () => {
    await pipeline?.stop();
    await fx?.close();
  });

  it.skipIf(spawnSync('curl', ['--version']).status !== 0)(
    'each `curl` line runs as written (localhost:3000 → the test port) and answers what the README says',
    async () => {
      fx = await redisFixture('readme');
      pipeline = await startPipeline({ env: { REDIS_URL: fx.url, QUEUE_PREFIX: fx.prefix } });
      const port = new URL(pipeline.url).port;
      // The quick start: the first two `sh` blocks (start, then the curl session).
      const curls = shellCommands(2).filter((c) => c.startsWith('curl '));
      expect(curls.length).toBeGreaterThanOrEqual(3);
      let lastId = '';
      const answers: Array<Record<string, unknown>> = [];
      for (const cmd of curls) {
        const line = cmd.replaceAll('localhost:3000', `127.0.0.1:${port}`).replaceAll('<id>', lastId);
        const out = execFileSync('bash', ['-c', line], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
        const body = JSON.parse(out) as Record<string, unknown>;
        expect(body.error, `${cmd} → ${out}`).toBeUndefined();
        if (typeof body.id === 'string') lastId = body.id;
        answers.push(body);
      }
      // The /analyze example waits for its verdict: a Tor exit with 12 failures then a success.
      const analyzed = answers.at(-1)!;
      expect(analyzed.classification).toBe('TRUE_POSITIVE');
      expect(JSON.stringify(analyzed.reasoning)).toMatch(/Tor/i);
    },
    PIPELINE_HOOK_TIMEOUT_MS + 60_000,
  );
});
