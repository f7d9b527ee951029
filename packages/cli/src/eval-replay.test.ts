import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayOrder, runReplay, timeOf } from './eval-replay.ts';

/**
 * A pipeline API that remembers like the real one, reduced to its contract: every alert is
 * escalated (NEEDS_REVIEW) until feedback was given on an alert of the same `name`; then it is
 * decided by memory with that feedback's verdict. The replay must teach it between rounds.
 */
function memoryApi() {
  const alerts = new Map<string, { name: string }>();
  const batches = new Map<string, string[]>();
  const learned = new Map<string, 'TRUE_POSITIVE' | 'FALSE_POSITIVE'>();
  const verdicts = new Map<string, { classification: string; decided_by: string }>();
  const feedback: Array<{ id: string; verdict: string; analyst: string }> = [];
  let seq = 0;
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/alerts/batch') {
        const batch = `b${++seq}`;
        const ids = (JSON.parse(body) as { alerts: Array<{ name: string }> }).alerts.map((a) => {
          const id = `a${++seq}`;
          alerts.set(id, a);
          const known = learned.get(a.name);
          verdicts.set(id, {
            classification: known ?? 'NEEDS_REVIEW',
            decided_by: known ? 'memory' : 'rules',
          });
          return id;
        });
        batches.set(batch, ids);
        return send(202, { batch_id: batch, accepted: ids.length, ids });
      }
      const fb = /^\/v1\/alerts\/(a\d+)\/feedback$/.exec(req.url ?? '');
      if (req.method === 'POST' && fb) {
        const { verdict, analyst } = JSON.parse(body) as {
          verdict: 'TRUE_POSITIVE' | 'FALSE_POSITIVE';
          analyst: string;
        };
        learned.set(alerts.get(fb[1]!)!.name, verdict);
        feedback.push({ id: fb[1]!, verdict, analyst });
        return send(201, { id: `fb_${feedback.length}` });
      }
      const b = /^\/v1\/batches\/(b\d+)\?limit=\d+$/.exec(req.url ?? '');
      if (req.method === 'GET' && b) {
        const ids = batches.get(b[1]!) ?? [];
        return send(200, {
          summary: { total: ids.length, completed: ids.length, failed: 0 },
          results: ids.map((id) => ({
            id,
            status: 'completed',
            result: { ...verdicts.get(id), confidence: 60, title: alerts.get(id)!.name },
          })),
        });
      }
      send(404, {});
    });
  });
  return { server, feedback };
}

describe('pnpm eval --replay', () => {
  const api = memoryApi();
  let url = '';
  let dir = '';
  beforeAll(async () => {
    await new Promise<void>((r) => api.server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
    dir = await mkdtemp(join(tmpdir(), 'replay-'));
  });
  afterAll(async () => {
    api.server.closeAllConnections();
    await new Promise((r) => api.server.close(r));
  });

  it('orders by the alerts own time when every alert has one, else keeps the file order', () => {
    expect(timeOf({ time: 5 })).toBe(5);
    expect(timeOf({ '@timestamp': '2024-01-01T00:00:00Z' })).toBe(Date.parse('2024-01-01T00:00:00Z'));
    expect(timeOf({ name: 'x' })).toBeUndefined();
    const items = [{ time: 3 }, { time: 1 }, { time: 3 }, { time: 2 }].map((payload, i) => ({
      payload,
      file: 'f',
      line: i + 1,
    }));
    expect(replayOrder(items, 'time')).toEqual([1, 3, 0, 2]);
    expect(replayOrder([...items, { payload: {}, file: 'f', line: 5 }], 'time')).toEqual([0, 1, 2, 3, 4]);
  });

  it('the analyst labels every escalated alert between rounds; memory then decides the twins', async () => {
    const file = join(dir, 'stream.ndjson');
    const row = (time: number, name: string, label: string) =>
      JSON.stringify({ time, name, event_label: label });
    await writeFile(
      file,
      [
        row(1, 'scan', 'service_scan'),
        row(2, 'update', '-'),
        row(3, 'scan', 'service_scan'),
        row(4, 'update', '-'),
        row(5, 'login', '-'),
        row(6, 'update', '-'),
        row(7, 'login', '-'),
        row(8, 'scan', 'service_scan'),
      ].join('\n'),
    );
    const report = await runReplay({
      files: [file],
      url,
      batchSize: 100,
      timeoutMs: 30_000,
      pollMs: 10,
      feedback: true,
      order: 'time',
      roundSize: 2,
      log: () => undefined,
    });
    // Round 1 (scan, update) and the first login (round 3) reach the analyst as NEEDS_REVIEW;
    // memory closes the later updates and logins, and escalates the later scans (TRUE_POSITIVE is
    // escalated too, so the analyst confirms those as well).
    expect(api.feedback.map((f) => f.verdict)).toEqual([
      'TRUE_POSITIVE',
      'FALSE_POSITIVE',
      'TRUE_POSITIVE',
      'FALSE_POSITIVE',
      'TRUE_POSITIVE',
    ]);
    expect(api.feedback.every((f) => f.analyst === 'replay-analyst')).toBe(true);
    expect(report.feedback_calls).toBe(5);
    expect(report.feedback_by_verdict).toEqual({ TRUE_POSITIVE: 3, FALSE_POSITIVE: 2 });
    expect(report.decided_by_memory).toEqual({ whole: 5, second_half: 3 });
    expect(report.whole).toMatchObject({ threats: 3, benign: 5, recall: 1 });
    expect(report.whole.falsePositiveRate).toBeCloseTo(2 / 5);
    // Second half (times 5..8): the first login is the only benign alert still sent to a person.
    expect(report.second_half).toMatchObject({ total: 4, benign: 3, recall: 1 });
    expect(report.second_half.falsePositiveRate).toBeCloseTo(1 / 3);
  });
});
