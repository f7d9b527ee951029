import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEval } from './eval.ts';
import { attachLabels, attackStepTruth, parseAlerts, parseCsv, parseLabels } from './eval-input.ts';
import { formatSets, scoreEval, scoreSets } from './eval-score.ts';
import { interpolateWazuh } from './eval-windows.ts';

const fixture = (p: string) => new URL(`../../../test/fixtures/${p}`, import.meta.url);

describe('eval inputs', () => {
  it('reads JSON arrays, {alerts}, NDJSON and labelled wrappers', () => {
    expect(parseAlerts('[{"a":1},{"a":2}]', 'x.json')).toHaveLength(2);
    expect(parseAlerts('{"alerts":[{"a":1}]}', 'x.json')).toHaveLength(1);
    expect(parseAlerts('{"a":1}\n\n{"a":2}\n', 'x.ndjson').map((i) => i.line)).toEqual([1, 3]);
    const nshot = parseAlerts(
      readFileSync(fixture('wazuh/wazuh_alerts_aitads_nshot_16_labeled.ndjson'), 'utf8'),
      'n.ndjson',
    );
    expect(nshot).toHaveLength(16);
    expect(nshot[0]!.inlineLabel).toBe('TP');
    expect((nshot[0]!.payload as { rule: unknown }).rule).toBeDefined();
    const seed = parseAlerts('[{"name":"Brute","alert":{"user":"a"},"expected":"TRUE_POSITIVE"}]', 's.json');
    expect(seed[0]).toMatchObject({
      payload: { name: 'Brute', alert: { user: 'a' } },
      inlineLabel: 'TRUE_POSITIVE',
    });
  });

  it('reads inline labels of flat rows by key, mapping attack steps and verdict words', () => {
    const rows = parseAlerts(
      [
        '{"name":"a","event_label":"-","time_label":"false_positive"}',
        '{"name":"b","event_label":"escalated_sudo_command"}',
        '{"name":"c","label":"malicious"}',
        '{"name":"d","ground_truth":"FALSE_POSITIVE","ground_truth_note":"xss on own js"}',
        '{"name":"e","expected":"TRUE_POSITIVE"}',
        '{"name":"f","label":"Suspicious PowerShell"}',
        '{"name":"g","time_label":"dnsteal"}',
        '{"name":"h","author_label":"FP"}',
      ].join('\n'),
      'rows.ndjson',
    );
    expect(rows.map((r) => r.inlineTruth)).toEqual([
      'benign',
      'threat',
      'threat',
      'benign',
      'threat',
      undefined,
      undefined,
      'benign',
    ]);
    expect(rows.map((r) => r.inlineLabel)).toEqual([
      '-',
      'escalated_sudo_command',
      'malicious',
      'FALSE_POSITIVE',
      'TRUE_POSITIVE',
      undefined,
      undefined,
      'FP',
    ]);
    // Label keys are never posted; an unmappable `label` is alert content and stays.
    expect(rows.map((r) => r.payload)).toEqual([
      { name: 'a' },
      { name: 'b' },
      { name: 'c' },
      { name: 'd' },
      { name: 'e' },
      { name: 'f', label: 'Suspicious PowerShell' },
      { name: 'g' },
      { name: 'h' },
    ]);
    expect(attackStepTruth('-')).toBe('benign');
    expect(attackStepTruth('  ')).toBeUndefined();
    expect(attackStepTruth('No attack')).toBe('benign');
    expect(attackStepTruth('service_scan')).toBe('threat');
  });

  it('reads the AIT-ADS per-alert labelled file: 3000 noise, the rest attack steps', () => {
    const items = parseAlerts(
      readFileSync(fixture('wazuh/aitads_russellmitchell_event_labeled.ndjson'), 'utf8'),
      'e.ndjson',
    );
    expect(items).toHaveLength(13_961);
    expect(items.filter((i) => i.inlineTruth === 'benign')).toHaveLength(3000);
    expect(items.filter((i) => i.inlineTruth === 'threat')).toHaveLength(10_961);
    expect(items.some((i) => /label/.test(JSON.stringify(i.payload)))).toBe(false);
  });

  it('a label file covers only the alerts without inline labels, whatever the file order', () => {
    const inline = parseAlerts(
      '{"name":"x","event_label":"dirb"}\n{"name":"y","event_label":"-"}',
      'ev.ndjson',
    );
    const plain = parseAlerts('{"name":"p"}\n{"name":"q"}', 'p.ndjson');
    const table = parseLabels('label\nTP\nFP\n');
    expect(attachLabels([...inline, ...plain], table)).toEqual(['dirb', '-', 'TP', 'FP']);
    expect(attachLabels([...plain, ...inline], table)).toEqual(['TP', 'FP', 'dirb', '-']);
  });

  it('parses quoted CSV and maps labels by file + line when the label file has them', () => {
    expect(parseCsv('a,b\n"x, y","say ""hi"""\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
    ]);
    const suri = parseLabels(
      readFileSync(fixture('suricata-ecs/suricata_alerts_ecs_malcolm_6.labels.csv'), 'utf8'),
    );
    expect(suri.ordered).toEqual([
      'FALSE_POSITIVE',
      'FALSE_POSITIVE',
      'TRUE_POSITIVE',
      'TRUE_POSITIVE',
      'TRUE_POSITIVE',
      'TRUE_POSITIVE',
    ]);

    const wz = parseLabels(readFileSync(fixture('wazuh/wazuh_alerts_aitads_200.labels.csv'), 'utf8'));
    expect(wz.column).toBe('ground_truth');
    const items = [
      ...parseAlerts(
        readFileSync(fixture('wazuh/wazuh_alerts_aitads_no_attack_100.ndjson'), 'utf8'),
        'wazuh_alerts_aitads_no_attack_100.ndjson',
      ),
      ...parseAlerts(
        readFileSync(fixture('wazuh/wazuh_alerts_aitads_attack_window_100.ndjson'), 'utf8'),
        'wazuh_alerts_aitads_attack_window_100.ndjson',
      ),
    ];
    // Given in the "wrong" order, the file/line columns still label each alert correctly.
    const labels = attachLabels(items, wz);
    expect(labels.slice(0, 100).every((l) => l === 'no_attack')).toBe(true);
    expect(labels.slice(100).every((l) => l === 'attack_window')).toBe(true);
  });
});

describe('runEval against a batch API', () => {
  let url = '';
  let dir = '';
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== 'Bearer k') return send(401, { error: { code: 'UNAUTHORIZED' } });
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/alerts/batch') {
        const { alerts } = JSON.parse(body) as { alerts: Array<{ kind?: string }> };
        posted = alerts;
        const rejected = alerts.flatMap((a, i) =>
          a.kind === 'bad' ? [{ index: i, error: { code: 'VALIDATION_FAILED' } }] : [],
        );
        const ids = alerts.flatMap((a, i) => (a.kind === 'bad' ? [] : [`id-${i}-${a.kind}`]));
        polls = 0;
        return send(202, { batch_id: 'b1', accepted: ids.length, ids, rejected });
      }
      const one = /^\/v1\/alerts\/(id-\d+-dup)$/.exec(req.url ?? '');
      if (one)
        return send(200, {
          id: one[1],
          status: 'completed',
          result: { classification: 'NEEDS_REVIEW', confidence: 50, title: 'seen before' },
        });
      const m = /^\/v1\/batches\/b1\?limit=(\d+)(?:&cursor=(\d+))?$/.exec(req.url ?? '');
      if (!m) return send(404, {});
      polls += 1;
      const all = ['id-0-attack', 'id-1-noise', 'id-3-attack'];
      const done = polls >= 2;
      const limit = Number(m[1]);
      const cursor = Number(m[2] ?? 0);
      const page = all.slice(cursor, cursor + Math.min(limit, 2)).map((id) => ({
        id,
        status: done ? 'completed' : 'classifying',
        ...(done
          ? {
              result: {
                classification: id.endsWith('attack')
                  ? id.startsWith('id-3')
                    ? 'FALSE_POSITIVE'
                    : 'TRUE_POSITIVE'
                  : 'FALSE_POSITIVE',
                confidence: 77,
                title: id,
              },
            }
          : {}),
      }));
      const next = cursor + page.length < all.length ? String(cursor + page.length) : null;
      send(200, {
        batch_id: 'b1',
        summary: { total: 3, completed: done ? 3 : 1, failed: 0 },
        results: page,
        next_cursor: next,
      });
    });
  });
  let polls = 0;
  let posted: unknown[] = [];

  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = await mkdtemp(join(tmpdir(), 'eval-'));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('submits, waits for completion, pages results and maps them back to input order', async () => {
    const alerts = join(dir, 'a.ndjson');
    await writeFile(
      alerts,
      ['{"kind":"attack"}', '{"kind":"noise"}', '{"kind":"bad"}', '{"kind":"attack"}'].join('\n'),
    );
    const labels = join(dir, 'l.csv');
    await writeFile(labels, 'line,label\n1,TP\n2,FP\n3,TP\n4,TP\n');
    const rows = await runEval({
      files: [alerts],
      labels,
      url,
      apiKey: 'k',
      batchSize: 100,
      timeoutMs: 10_000,
      pollMs: 10,
      log: () => undefined,
    });
    expect(rows.map((r) => r.outcome)).toEqual([
      'TRUE_POSITIVE',
      'FALSE_POSITIVE',
      'failed',
      'FALSE_POSITIVE',
    ]);
    const report = scoreEval(rows);
    expect(report.recall).toBe(0.5);
    expect(report.falsePositiveRate).toBe(0);
    expect(report.worstMisses[0]).toMatchObject({ index: 3, confidence: 77 });
  });

  it('scores inline event_label rows without a label file and never posts the labels', async () => {
    const alerts = join(dir, 'ev.ndjson');
    await writeFile(
      alerts,
      [
        '{"kind":"attack","name":"Web server 400 error code.","event_label":"dirb","time_label":"dirb"}',
        '{"kind":"noise","name":"Dovecot Authentication Success.","event_label":"-","time_label":"false_positive"}',
        '{"kind":"bad","event_label":"-"}',
        '{"kind":"attack","name":"AMiner: New event type.","event_label":"wpscan","hierarchical_event_label":"x"}',
        '{"kind":"dup","name":"Submitted in an earlier run","event_label":"dirb"}',
      ].join('\n'),
    );
    const rows = await runEval({
      files: [alerts],
      url,
      apiKey: 'k',
      batchSize: 100,
      timeoutMs: 10_000,
      pollMs: 10,
      log: () => undefined,
    });
    expect(rows.map((r) => r.truth)).toEqual(['threat', 'benign', 'benign', 'threat', 'threat']);
    expect(rows.map((r) => r.label)).toEqual(['dirb', '-', '-', 'wpscan', 'dirb']);
    // A duplicate of an earlier submission answers with the earlier id: read on its own.
    expect(rows[4]).toMatchObject({ outcome: 'NEEDS_REVIEW', title: 'seen before' });
    expect(JSON.stringify(posted)).not.toMatch(/label/);
    expect(posted[0]).toEqual({ kind: 'attack', name: 'Web server 400 error code.' });
    const report = scoreEval(rows);
    expect(report).toMatchObject({ threats: 3, benign: 1, falsePositiveRate: 0 });
    expect(report.recall).toBeCloseTo(2 / 3);
  });
});

describe('Windows development sets', () => {
  const win = (f: string) => readFileSync(fixture(`windows/${f}`), 'utf8');

  it('Sigma regression events become Sigma matches labelled threat; known FPs name-only alerts labelled benign', () => {
    const attacks = parseAlerts(win('sigma_regression_positive_alerts.jsonl'), 'sigma.jsonl');
    expect(attacks).toHaveLength(238);
    expect(attacks.every((i) => i.inlineTruth === 'threat' && i.set === 'Sigma reproduced attacks')).toBe(
      true,
    );
    expect(attacks[0]!.payload).toMatchObject({
      rule: { title: 'Suspicious Child Process from Node.js Server - React2Shell', level: 'high' },
      event: { Event: { System: { EventID: 1 } } },
    });
    const fps = parseAlerts(win('sigma_known_fp_rules.jsonl'), 'fps.jsonl');
    expect(fps).toHaveLength(78);
    expect(fps.every((i) => i.inlineTruth === 'benign')).toBe(true);
    expect(Object.keys(fps[0]!.payload as object).sort()).toEqual([
      'product',
      'rule_id',
      'rule_status',
      'severity',
      'tags',
      'title',
    ]);
  });

  it('Wazuh tests become full alerts, labelled by level, description templates filled in', () => {
    const items = parseAlerts(win('wazuh_ruleset_windows_tests.jsonl'), 'wazuh.jsonl');
    expect(items).toHaveLength(230);
    const count = (set: string) => items.filter((i) => i.set === set).length;
    expect([
      count('Wazuh tests level >= 10'),
      count('Wazuh tests level <= 3'),
      count('Wazuh tests level 4-9 (unlabelled)'),
    ]).toEqual([78, 75, 77]);
    const high = items.find((i) => i.set === 'Wazuh tests level >= 10')!;
    expect(high.inlineTruth).toBe('threat');
    expect(items.find((i) => i.set === 'Wazuh tests level 4-9 (unlabelled)')!.inlineTruth).toBeUndefined();
    const sysmon1 = items.find((i) => (i.payload as { rule: { id: string } }).rule.id === '61603')!;
    expect((sysmon1.payload as { rule: { description: string } }).rule.description).toBe(
      'Sysmon - Event 1: Process creation WMI Provider Host',
    );
    expect(
      interpolateWazuh('by $(win.eventdata.image) $(missing.field)', {
        win: { eventdata: { image: 'a.exe' } },
      }),
    ).toBe('by a.exe ');
    // Unique ids: ingest must not take two tests for one re-delivered alert.
    expect(new Set(items.map((i) => (i.payload as { id: string }).id)).size).toBe(230);
  });

  it('Hayabusa CSV rows are posted without the EVTX file name, in a set per level', () => {
    const items = parseAlerts(win('hayabusa_sample_evtx_results.csv'), 'hayabusa_sample_evtx_results.csv');
    expect(items).toHaveLength(10_072);
    expect(items.some((i) => 'FilePath' in (i.payload as object))).toBe(false);
    expect(new Set(items.map((i) => i.set))).toEqual(
      new Set(
        ['critical', 'high', 'medium', 'low', 'informational'].map((l) => `Hayabusa ${l} (unlabelled)`),
      ),
    );
    expect(items.every((i) => i.inlineTruth === undefined)).toBe(true);
  });

  it('reports per set, then the whole run', () => {
    const text = formatSets([
      { index: 0, set: 'A', truth: 'threat', outcome: 'TRUE_POSITIVE' },
      { index: 1, set: 'B', truth: 'benign', outcome: 'FALSE_POSITIVE' },
    ]);
    expect(text.indexOf('== A ==')).toBeLessThan(text.indexOf('== B =='));
    expect(text).toContain('== all sets ==');
    expect(scoreSets([{ index: 0, set: 'A', outcome: 'NEEDS_REVIEW' }])[0]!.report.needsReviewShare).toBe(1);
  });
});
