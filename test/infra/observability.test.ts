import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Metrics, PipelineStatus, registerPipelineMetrics } from '@triage/runtime';
import { hasPromtool } from '@triage/testing';
import { describe, expect, it } from 'vitest';

/** The Prometheus rules and the Grafana dashboard in infra/: valid, and about metrics that exist. */
const run = promisify(execFile);
const file = (p: string) => fileURLToPath(new URL(`../../infra/${p}`, import.meta.url));
const rules = readFileSync(file('prometheus/triage.rules.yml'), 'utf8');
const dashboard = JSON.parse(readFileSync(file('grafana/triage-dashboard.json'), 'utf8')) as {
  uid: string;
  panels: Array<{
    id: number;
    type: string;
    title: string;
    targets?: Array<{ expr: string; refId: string }>;
  }>;
};
const exprs = dashboard.panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
);

/** Every metric name the services export (histograms with their series suffixes) and the recorded ones. */
function exported(): Set<string> {
  const m = new Metrics({ processMetrics: false });
  registerPipelineMetrics(
    m.registry,
    new PipelineStatus({ redis: undefined as never, prefix: 'x', queues: [], components: [] }),
  );
  const names = new Set<string>();
  for (const metric of m.registry.getMetricsAsArray()) {
    names.add(metric.name);
    for (const s of ['_bucket', '_sum', '_count']) names.add(metric.name + s);
  }
  for (const r of rules.matchAll(/record: (\S+)/g)) names.add(r[1]!);
  return names;
}

describe('Prometheus rules and the Grafana dashboard', () => {
  it('refer only to metrics the services export', () => {
    const known = exported();
    const ruleText = rules.replace(/^\s*#.*$/gm, ''); // comments name metric families
    const used = new Set(
      [...`${ruleText}\n${exprs.map((e) => e.expr).join('\n')}`.matchAll(/\btriage[:_][a-z_:0-9]+/g)].map(
        (m) => m[0],
      ),
    );
    expect([...used].filter((n) => !known.has(n))).toEqual([]);
  });

  it('the dashboard is a well-formed Grafana dashboard', () => {
    expect(dashboard.uid).toBe('triage-pipeline');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(exprs.length).toBeGreaterThan(15);
    for (const p of dashboard.panels.filter((x) => x.type !== 'row'))
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
  });

  it.skipIf(!hasPromtool())(
    'promtool: the rules load, their unit tests pass, every dashboard query parses',
    async () => {
      const check = await run('promtool', ['check', 'rules', file('prometheus/triage.rules.yml')]);
      expect(check.stdout).toMatch(/SUCCESS: \d+ rules found/);
      const test = await run('promtool', ['test', 'rules', file('prometheus/triage.rules.test.yml')]);
      expect(test.stdout).toContain('SUCCESS');
      // Each dashboard query as a recording rule: promtool parses it as PromQL.
      const dir = mkdtempSync(join(tmpdir(), 'triage-dashboard-'));
      try {
        const asRules = exprs
          .map(
            (e, i) =>
              `      - record: dashboard_query_${i}\n        expr: ${JSON.stringify(e.expr.replace(/\$__range/g, '1h'))}`,
          )
          .join('\n');
        writeFileSync(
          join(dir, 'dashboard.rules.yml'),
          `groups:\n  - name: dashboard\n    rules:\n${asRules}\n`,
        );
        const parsed = await run('promtool', ['check', 'rules', join(dir, 'dashboard.rules.yml')]);
        expect(parsed.stdout).toContain(`SUCCESS: ${exprs.length} rules found`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
