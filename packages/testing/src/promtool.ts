import { spawn, spawnSync } from 'node:child_process';

/** True when Prometheus's `promtool` is on PATH (Debian package `prometheus`; .ci/run installs it). */
export function hasPromtool(): boolean {
  return spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * `promtool check metrics` on an exposition: its complaints, one per line (empty when clean).
 * Asynchronous on purpose: a test that blocks its event loop breaks its own keep-alive sockets.
 */
export function promtoolCheckMetrics(exposition: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', () => resolve(out.split('\n').filter((l) => l.trim() !== '')));
    child.stdin.end(exposition);
  });
}

/**
 * Samples of an exposition: `name{labels} value` lines → [{name, labels, value}] (comments skipped).
 * Enough for the label values this project uses (no escaped quotes in them).
 */
export function parseExposition(
  text: string,
): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const out: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || line.startsWith('#')) continue;
    const labels = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]),
    );
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of the samples of `name` whose labels include `labels`, over several scrapes. */
export function sumSamples(scrapes: string[], name: string, labels: Record<string, string> = {}): number {
  return scrapes
    .flatMap(parseExposition)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}
