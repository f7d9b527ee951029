import { readFileSync } from 'node:fs';
import {
  PIPELINE_HOOK_TIMEOUT_MS,
  type RedisFixture,
  type RunningPipeline,
  readJson,
  redisFixture,
  startPipeline,
  waitFor,
} from '@triage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let fx: RedisFixture;
let pipeline: RunningPipeline;

const post = (path: string, body: unknown) =>
  fetch(`${pipeline.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const get = async (path: string) => readJson(await fetch(`${pipeline.url}${path}`));

beforeAll(async () => {
  fx = await redisFixture('e2e');
  pipeline = await startPipeline({
    env: { REDIS_URL: fx.url, QUEUE_PREFIX: fx.prefix, ANALYZE_WAIT_MS: '20000' },
  });
}, PIPELINE_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await pipeline?.stop();
  await fx?.close();
});

describe('the pipeline, end to end (separate processes, real Redis)', () => {
  it('POST /v1/alerts → a verdict on GET /v1/alerts/:id', async () => {
    const res = await post('/v1/alerts', {
      name: 'Brute Force - TOR',
      alert: {
        user: 'alice@company.com',
        source_ip: '185.220.101.52',
        failed_logins: 12,
        success: true,
        time: '02:03',
        severity: 'Critical',
      },
    });
    expect(res.status).toBe(202);
    const { id } = await readJson(res);
    const view = await waitFor(
      async () => {
        const v = await get(`/v1/alerts/${id}`);
        return v.status === 'completed' && v;
      },
      { timeoutMs: 15_000, message: 'verdict' },
    );
    // 12 failures then a success at 02:03 for a Critical alert: the rules call it, with the technique.
    expect(view.result).toMatchObject({ classification: 'TRUE_POSITIVE', decided_by: 'rules' });
    expect(view.result.mitre.map((m: { id: string }) => m.id)).toContain('T1110');
    expect(view.result.reasoning.length).toBeGreaterThanOrEqual(1);
    expect(view.alert.src_ip).toBe('185.220.101.52');
    expect(view.completed_at).toBeTruthy();
  });

  it('POST /analyze waits and answers the verdict in the original shape', async () => {
    const res = await post('/analyze', {
      name: 'Port scan',
      alert: { source_ip: '10.0.0.7', ports_scanned: [22, 80], severity: 'Low' },
    });
    expect(res.status).toBe(200);
    const body = await readJson(res);
    expect(body).toMatchObject({ status: 'completed', alert_name: 'Port scan' });
    expect(typeof body.classification).toBe('string');
    expect(typeof body.confidence).toBe('number');
  });

  it('POST /batch (original API) returns summary and results', async () => {
    const alerts = [
      {
        name: 'a',
        alert: { user: 'bob', source_ip: '203.0.113.5', failed_logins: 3, success: false, severity: 'Low' },
      },
      {
        name: 'b',
        alert: { user: 'carol', source_ip: '8.8.8.8', failed_logins: 1, success: true, severity: 'Medium' },
      },
    ];
    const res = await post('/batch', { alerts });
    expect(res.status).toBe(200);
    const body = await readJson(res);
    expect(body.summary).toMatchObject({ total: 2, completed: 2, failed: 0 });
    expect(body.summary.true_positive + body.summary.false_positive + body.summary.needs_review).toBe(2);
    expect(body.results.map((r: { alert_name: string }) => r.alert_name)).toEqual(['a', 'b']);
  });

  it('a batch of real Wazuh alerts completes, with status and summary', async () => {
    const lines = readFileSync(
      new URL('../fixtures/wazuh/wazuh_alerts_aitads_attack_window_100.ndjson', import.meta.url),
      'utf8',
    );
    const res = await fetch(`${pipeline.url}/v1/alerts/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: lines,
    });
    expect(res.status).toBe(202);
    const { batch_id, accepted } = await readJson(res);
    expect(accepted).toBe(100);
    const batch = await waitFor(
      async () => {
        const b = await get(`/v1/batches/${batch_id}?limit=1000`);
        return b.summary.completed + b.summary.failed === 100 && b;
      },
      { timeoutMs: 30_000, message: 'batch completion' },
    );
    expect(batch.summary.failed).toBe(0);
    expect(batch.results.every((r: { status: string }) => r.status === 'completed')).toBe(true);
  });

  it('a batch re-sending 10 known SIEM alerts among 40 accounts for all 40, duplicates with the earlier verdicts', async () => {
    const lines = readFileSync(
      new URL('../fixtures/wazuh/wazuh_alerts_aitads_no_attack_100.ndjson', import.meta.url),
      'utf8',
    )
      .split('\n')
      .filter((l) => l.trim());
    const send = async (body: string[]) => {
      const res = await fetch(`${pipeline.url}/v1/alerts/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: body.join('\n'),
      });
      expect(res.status).toBe(202);
      return readJson(res);
    };
    const done = (batchId: string, n: number) =>
      waitFor(
        async () => {
          const b = await get(`/v1/batches/${batchId}?limit=1000`);
          return b.summary.completed + b.summary.failed === n && b;
        },
        { timeoutMs: 30_000, message: `batch ${batchId} completion` },
      );
    const known = lines.slice(0, 10);
    const first = await send(known);
    const earlier = await done(first.batch_id, 10);
    // The 10 known alerts interleaved with 30 new ones.
    const mixed = lines.slice(10, 40).flatMap((l, i) => (i % 3 === 0 ? [known[i / 3]!, l] : [l]));
    expect(mixed).toHaveLength(40);
    const second = await send(mixed);
    expect(second.accepted).toBe(40);
    const batch = await done(second.batch_id, 40);
    expect(batch.summary).toMatchObject({ total: 40, duplicates: 10, completed: 40, failed: 0 });
    const s = batch.summary;
    expect(s.true_positive + s.false_positive + s.needs_review).toBe(40);
    expect(batch.results).toHaveLength(40);
    const verdictOf = new Map(
      earlier.results.map((r: { id: string; result: { classification: string } }) => [
        r.id,
        r.result.classification,
      ]),
    );
    for (const [i, line] of mixed.entries()) {
      const r = batch.results[i];
      const k = known.indexOf(line);
      if (k < 0) {
        expect(r.duplicate).toBeUndefined();
        continue;
      }
      expect(r).toMatchObject({ id: earlier.results[k].id, duplicate: true, status: 'completed' });
      expect(r.result.classification).toBe(verdictOf.get(r.id));
    }
  });

  it('a Wazuh id seen before with other content is a new alert: the level-15 mimikatz alert is triaged', async () => {
    const wazuh = (rule: Record<string, unknown>, fullLog: string, extra: Record<string, unknown> = {}) => ({
      agent: { ip: '10.20.0.14', name: 'fin-ws-14', id: '014' },
      manager: { name: 'wazuh.manager' },
      decoder: { name: 'windows_eventchannel' },
      rule,
      full_log: fullLog,
      location: 'EventChannel',
      '@timestamp': '2026-11-30T07:00:00.000Z',
      id: '1796000000.4242',
      ...extra,
    });
    const benign = wazuh(
      {
        id: '60106',
        level: 3,
        description: 'Windows logon success.',
        groups: ['windows', 'authentication_success'],
      },
      'An account was successfully logged on. Account Name: svc-backup',
    );
    const mimikatz = wazuh(
      {
        id: '92900',
        level: 15,
        description: 'Mimikatz credential dumping detected: sekurlsa::logonpasswords',
        groups: ['windows', 'sysmon', 'attack'],
        mitre: { id: ['T1003.001'], tactic: ['Credential Access'], technique: ['LSASS Memory'] },
      },
      'Process Create: Image: C:\\Users\\Public\\mimikatz.exe CommandLine: mimikatz.exe "privilege::debug" "sekurlsa::logonpasswords" exit',
      {
        data: {
          win: {
            eventdata: {
              image: 'C:\\Users\\Public\\mimikatz.exe',
              commandLine: 'mimikatz.exe "privilege::debug" "sekurlsa::logonpasswords" exit',
            },
          },
        },
      },
    );
    const submit = async (body: unknown) => {
      const res = await post('/v1/alerts', body);
      expect(res.status).toBe(202);
      return readJson(res);
    };
    const verdict = (id: string) =>
      waitFor(
        async () => {
          const v = await get(`/v1/alerts/${id}`);
          return (v.status === 'completed' || v.status === 'failed') && v;
        },
        { timeoutMs: 30_000, message: `verdict of ${id}` },
      );
    const first = await submit(benign);
    expect(first.duplicate).toBeUndefined();
    expect((await verdict(first.id)).status).toBe('completed');

    const second = await submit(mimikatz);
    expect(second.id).not.toBe(first.id);
    expect(second.duplicate).toBeUndefined();
    expect(second.source_id_reused).toBe(true);
    const triaged = await verdict(second.id);
    expect(triaged.status).toBe('completed');
    expect(triaged.alert).toMatchObject({ format: 'wazuh', source_id: '1796000000.4242' });
    expect(triaged.result.flags).toContain('source_id_reused');
    expect(triaged.result.classification).not.toBe('FALSE_POSITIVE');

    // Each content stays recognised: re-sending either one is a duplicate of its own alert.
    expect(await submit(mimikatz)).toMatchObject({ id: second.id, duplicate: true });
    expect(await submit(benign)).toMatchObject({ id: first.id, duplicate: true });
  });

  it('/health and /metrics reflect the work', async () => {
    const health = await get('/health');
    expect(health.status).toBe('ok');
    expect(health.redis.ok).toBe(true);
    expect(health.queues.enrich).toBeDefined();
    const metrics = await (await fetch(`${pipeline.url}/metrics`)).text();
    expect(metrics).toContain('triage_queue_jobs');
    // Verdicts are counted by the classify process that made them, on its own /metrics.
    const [classify] = pipeline.workerUrls('classify');
    const verdicts = await (await fetch(`${classify}/metrics`)).text();
    expect(verdicts).toMatch(/triage_verdicts_total\{/);
  });
});
