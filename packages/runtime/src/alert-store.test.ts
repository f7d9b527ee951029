import type { NormalizedAlert, TriageResult } from '@triage/contracts';
import { normalize } from '@triage/normalizers';
import { type RedisFixture, redisFixture } from '@triage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertStore } from './alert-store.ts';

let fx: RedisFixture;
let store: AlertStore;

const alert: NormalizedAlert = { format: 'generic', name: 'x', severity: 'High', fingerprint: 'f', raw: {} };
const enrichment = {
  observables: [],
  intel: {},
  partial: false,
  missing: [],
  cache: { hits: 0, misses: 0 },
};
const result = (classification: TriageResult['classification'], cost = 0.001): TriageResult => ({
  classification,
  confidence: 90,
  severity: 'High',
  title: 't',
  reasoning: ['r'],
  mitre: [],
  threat_intel: {},
  decided_by: 'rules',
  flags: [],
  performance: {
    processing_time: 0.01,
    from_cache: false,
    cost: `$${cost}`,
    cost_usd: cost,
    tokens: { input: 0, output: 0 },
  },
});

beforeAll(async () => {
  fx = await redisFixture('alert-store');
  store = new AlertStore(fx.redis, fx.prefix, 600);
});
afterAll(() => fx.close());

/** A source-id claim as intake makes it: `claimAndCreate` of alerts with these SIEM ids and contents. */
type Claim = { format: string; sourceId: string; fingerprint: string; id: string };
let unsourced = 0;
function claimSourceIds(claims: Array<Claim | undefined>) {
  return store.claimAndCreate(
    claims.map((c) => ({
      id: c?.id ?? `unsourced-${++unsourced}`,
      alert: {
        format: (c?.format ?? 'generic') as NormalizedAlert['format'],
        name: 'claimed',
        severity: 'Low',
        fingerprint: c?.fingerprint ?? 'f',
        ...(c ? { source_id: c.sourceId } : {}),
      },
      input: { value: { name: 'claimed' } },
    })),
    { receivedAt: new Date().toISOString() },
  );
}

describe('AlertStore', () => {
  it('keeps what was submitted, not its normalization, and normalizes it again on read', async () => {
    const value = {
      rule: { level: 10, description: 'sshd: brute force trying to get access to the system.', id: '5712' },
      agent: { name: 'mail' },
      data: { srcip: '45.10.9.1', srcuser: 'admin' },
      full_log: 'Nov 30 07:00:01 mail sshd[123]: Failed password for admin from 45.10.9.1 port 51234 ssh2',
      id: '1701327601.123',
    };
    const normalized = normalize(value);
    await store.create([{ id: 'in1', alert: normalized, input: { value }, received_at: 'now' }]);
    // A forced format is kept with it: the same reading comes back.
    const forced = normalize(value, { format: 'generic' });
    await store.create([
      { id: 'in2', alert: forced, input: { value, format: 'generic' }, received_at: 'now' },
    ]);
    const fields = await fx.redis.hkeys(`${fx.prefix}:alert:in1`);
    expect(fields).toContain('input');
    expect(fields).not.toContain('alert');
    expect(await store.loadAlert('in1')).toEqual(normalized);
    expect((await store.get('in1'))?.alert).toEqual(normalized);
    expect(await store.loadAlert('in2')).toEqual(forced);
    expect(forced.format).toBe('generic');
    // A record written before (the normalized alert itself) still reads.
    await store.create([{ id: 'old1', alert: normalized, received_at: 'now' }]);
    expect(await fx.redis.hkeys(`${fx.prefix}:alert:old1`)).toContain('alert');
    expect(await store.loadAlert('old1')).toEqual(normalized);
  });

  it('attack: a submission stored as its NDJSON text reads back as the value intake normalized', async () => {
    // Texts JSON.parse reads differently from how JSON.stringify would write the value: repeated
    // keys (the last wins), escapes, whitespace and a CR line end, numbers out of range, -0.
    const texts = [
      '{"rule":{"description":"benign","description":"sshd: brute force"},"data":{"srcip":"45.10.9.1"}}',
      ' {"name" : "\\u0041dmin \\u2028 login" , "source_ip":"198.51.100.7", "n": 1e400, "z": -0}\r',
      '{"name":"x","v":"}\\"},{\\"v\\":1","f":"windows"}',
    ];
    for (const [i, text] of texts.entries()) {
      const value = JSON.parse(text);
      for (const format of [undefined, 'generic'] as const) {
        const opts = format ? { format } : {};
        const id = `text${i}${format ?? ''}`;
        await store.create([
          { id, alert: normalize(value, opts), input: { value, text, ...opts }, received_at: 'now' },
        ]);
        expect(await store.loadAlert(id)).toEqual(normalize(JSON.parse(text), opts));
      }
    }
  });

  it('counts a completion once even when the job runs twice', async () => {
    await store.create(
      [
        { id: 'a1', alert, received_at: 'now', batch_id: 'b1' },
        { id: 'a2', alert, received_at: 'now', batch_id: 'b1' },
        { id: 'a3', alert, received_at: 'now', batch_id: 'b1' },
      ],
      'b1',
    );
    expect(await store.complete('a1', result('TRUE_POSITIVE', 0.002), 'b1', { tiCacheHit: true })).toBe(true);
    expect(await store.complete('a1', result('FALSE_POSITIVE'), 'b1')).toBe(false);
    expect(await store.complete('a2', result('NEEDS_REVIEW', 0.001), 'b1')).toBe(true);
    expect(await store.fail('a2', 'late failure', 'b1')).toBe(false);
    expect(await store.fail('a3', 'boom', 'b1')).toBe(true);
    const s = await store.batchSummary('b1');
    expect(s).toMatchObject({
      total: 3,
      completed: 2,
      failed: 1,
      true_positive: 1,
      needs_review: 1,
      false_positive: 0,
      total_cost: '$0.0030',
      ti_cache_hit: 1,
    });
    expect((await store.get('a1'))?.result?.classification).toBe('TRUE_POSITIVE');
    expect((await store.get('a3'))?.status).toBe('failed');
  });

  it('never moves a final alert back to a stage, and keeps the first stage start', async () => {
    await store.create([{ id: 's1', alert, received_at: 'now' }]);
    const first = await store.setStage('s1', 'enriching');
    expect(typeof first).toBe('number');
    expect(await store.setStage('s1', 'enriching')).toBe(first);
    await store.complete('s1', result('TRUE_POSITIVE'));
    expect(await store.setStage('s1', 'classifying')).toBeUndefined();
    expect((await store.get('s1'))?.status).toBe('completed');
  });

  it('begins a stage in one step: reads what the stage needs and moves the record, or writes nothing', async () => {
    const key = (id: string) => `${fx.prefix}:alert:${id}`;
    const receivedAt = '2026-11-30T10:15:00.123Z';
    await store.create([{ id: 'g1', alert, received_at: receivedAt, source_id_reused: true }]);
    const e = await store.beginEnrich('g1', 'enrich|g1');
    expect(e).toMatchObject({ state: 'started', alert });
    const startedAt = e.state === 'started' ? e.startedAt : 0;
    expect(await fx.redis.hget(key('g1'), 'status')).toBe('enriching');
    // Run again (a retry, a delay): the first start is kept.
    expect(await store.beginEnrich('g1')).toMatchObject({ state: 'started', startedAt });
    // Classify needs the enrichment: before it is saved nothing is written.
    expect(await store.beginClassify('g1', 'classify|g1')).toEqual({ state: 'gone' });
    expect(await fx.redis.hget(key('g1'), 'status')).toBe('enriching');
    const enriched = { ...alert, name: 'as enrich saw it' };
    await store.saveEnrichment('g1', enrichment, enriched);
    const c = await store.beginClassify('g1', 'classify|g1');
    expect(c).toMatchObject({
      state: 'started',
      alert: enriched,
      enrichment,
      receivedAt: Date.parse(receivedAt),
      sourceIdReused: true,
    });
    expect(await fx.redis.hget(key('g1'), 'status')).toBe('classifying');
    // Final: a duplicate delivery of either stage finds nothing to do and moves nothing back.
    await store.complete('g1', result('FALSE_POSITIVE'));
    expect(await store.beginEnrich('g1')).toEqual({ state: 'final' });
    expect(await store.beginClassify('g1')).toEqual({ state: 'final' });
    expect(await fx.redis.hget(key('g1'), 'status')).toBe('completed');
    // A record that expired is not re-created; one without its submission is gone too.
    expect(await store.beginEnrich('g-gone')).toEqual({ state: 'gone' });
    expect(await store.beginClassify('g-gone')).toEqual({ state: 'gone' });
    expect(await fx.redis.exists(key('g-gone'))).toBe(0);
    await fx.redis.hset(key('g-bare'), 'status', 'queued');
    expect(await store.beginEnrich('g-bare')).toEqual({ state: 'gone' });
    expect(await fx.redis.hgetall(key('g-bare'))).toEqual({ status: 'queued' });
    // Scripts flushed (a Redis restart): loaded again.
    await store.create([{ id: 'g2', alert, received_at: 'now' }]);
    await fx.redis.script('FLUSH');
    expect(await store.beginEnrich('g2')).toMatchObject({ state: 'started', alert });
  });

  it('begins no stage of a paused batch: the job is recorded as parked, and starts once resumed', async () => {
    await store.create(
      [{ id: 'gp1', alert, received_at: 'now', batch_id: 'gpb' }],
      'gpb',
      undefined,
      'backlog',
    );
    await store.saveEnrichment('gp1', enrichment);
    expect(await store.pauseBatch('gpb')).toBe('backlog');
    expect(await store.beginEnrich('gp1', 'enrich|gp1')).toEqual({ state: 'paused' });
    expect(await store.beginClassify('gp1', 'classify|gp1')).toEqual({ state: 'paused' });
    expect((await fx.redis.smembers(`${fx.prefix}:batch:gpb:parked`)).sort()).toEqual([
      'classify|gp1',
      'enrich|gp1',
    ]);
    expect(await fx.redis.ttl(`${fx.prefix}:batch:gpb:parked`)).toBeGreaterThan(0);
    expect((await store.get('gp1'))?.status).toBe('queued');
    // Without a job to park (no parked member) the stage runs, as setStage does.
    expect(await store.beginEnrich('gp1')).toMatchObject({ state: 'started' });
    await store.resumeBatch('gpb');
    expect(await store.beginClassify('gp1', 'classify|gp1')).toMatchObject({ state: 'started', enrichment });
  });

  it('keeps only what a final record shows, its instants as epoch ms read back as ISO 8601', async () => {
    const receivedAt = '2026-11-30T10:15:00.123Z';
    await store.create([{ id: 't1', alert, received_at: receivedAt }]);
    await store.setStage('t1', 'enriching');
    expect(await store.countRedrive('t1')).toBe(1);
    // A record gone meanwhile is not re-created by counting its re-drive.
    expect(await store.countRedrive('gone-1')).toBe(0);
    expect(await fx.redis.exists(`${fx.prefix}:alert:gone-1`)).toBe(0);
    // Enrich leaves its normalized alert for classify, which reads it instead of normalizing again.
    const enriched = { ...alert, name: 'as enrich saw it' };
    await store.saveEnrichment('t1', enrichment, enriched);
    expect(await store.loadAlert('t1')).toEqual(enriched);
    // One too large for the record's compact encoding is not kept.
    const big = { ...alert, raw: { blob: Array.from({ length: 400 }, (_, i) => `v${i * 7919}`) } };
    await store.saveEnrichment('t1', enrichment, big);
    expect(await store.loadAlert('t1')).toEqual(enriched);
    await store.setStage('t1', 'classifying');
    const before = Date.now();
    await store.complete('t1', result('FALSE_POSITIVE'));
    const key = `${fx.prefix}:alert:t1`;
    expect((await fx.redis.hkeys(key)).sort()).toEqual(
      ['alert', 'class', 'completed_at', 'format', 'name', 'received_at', 'result', 'status'].sort(),
    );
    expect(await fx.redis.hget(key, 'received_at')).toBe(String(Date.parse(receivedAt)));
    const view = await store.get('t1');
    expect(view?.received_at).toBe(receivedAt);
    expect(Date.parse(view?.completed_at ?? '')).toBeGreaterThanOrEqual(before);
    expect(view?.completed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(await store.intake('t1')).toEqual({ receivedAt: Date.parse(receivedAt), sourceIdReused: false });
    // A record written before holds ISO strings: read as they are.
    await fx.redis.hset(key, 'received_at', receivedAt, 'completed_at', '2026-11-30T10:15:01.000Z');
    expect(await store.get('t1')).toMatchObject({
      received_at: receivedAt,
      completed_at: '2026-11-30T10:15:01.000Z',
    });
  });

  it('reads the source fields a webhook carries as stored, a record written before them whole', async () => {
    const sourced = { ...alert, format: 'wazuh' as const, source_id: 'w-1', name: 'sshd' };
    await store.create([{ id: 'src1', alert: sourced, received_at: 'now', batch_id: 'b9' }]);
    await store.complete('src1', result('NEEDS_REVIEW'), 'b9');
    const expected = {
      status: 'completed',
      batch_id: 'b9',
      format: 'wazuh',
      name: 'sshd',
      source_id: 'w-1',
      result: result('NEEDS_REVIEW'),
      delivered: false,
    };
    expect(await store.source('src1')).toEqual(expected);
    await fx.redis.hdel(`${fx.prefix}:alert:src1`, 'format');
    expect(await store.source('src1')).toMatchObject(expected);
    expect(await store.source('nope')).toBeUndefined();
    // The verdict's delivered marker comes with the source fields (deliver reads both at once).
    await store.markDelivered('src1', 'src1');
    expect(await store.source('src1')).toMatchObject({ ...expected, delivered: true });
  });

  it('marks a delivered verdict in its record, other messages by a key, never re-creating a record', async () => {
    await store.create([{ id: 'd1', alert, received_at: 'now' }]);
    expect(await store.delivered('d1', 'd1')).toBe(false);
    await store.markDelivered('d1', 'd1');
    expect(await store.delivered('d1', 'd1')).toBe(true);
    expect(await store.delivered('d1', 'd1-inc_1')).toBe(false);
    await store.markDelivered('d1', 'd1-inc_1');
    expect(await store.delivered('d1', 'd1-inc_1')).toBe(true);
    expect(await fx.redis.ttl(`${fx.prefix}:delivered:d1-inc_1`)).toBeGreaterThan(0);
    await store.markDelivered('gone', 'gone');
    expect(await fx.redis.exists(`${fx.prefix}:alert:gone`)).toBe(0);
  });

  it('attack: an enrichment saved after its record expired or was forgotten leaves no key behind', async () => {
    // The intake of a batch failed after enrich had loaded the alert: the record is gone.
    await store.create([{ id: 'late', alert, received_at: 'now' }]);
    await store.forget([{ id: 'late', alert }]);
    await store.saveEnrichment('late', enrichment, alert);
    expect(await fx.redis.exists(`${fx.prefix}:alert:late`)).toBe(0);
  });

  it('stores the record of each new alert with its claim, none for a re-send', async () => {
    const value = {
      id: 'S-1',
      rule: { id: '5712', level: 10, description: 'sshd: brute force' },
      agent: { name: 'mail' },
      decoder: { name: 'sshd' },
    };
    const normalized = normalize(value);
    const receivedAt = '2026-11-30T10:00:00.000Z';
    const intake = (id: string) => ({ id, alert: normalized, input: { value, text: JSON.stringify(value) } });
    expect(
      await store.claimAndCreate([intake('cc1'), intake('cc2')], { receivedAt, batchId: 'bcc' }),
    ).toEqual([{}, { duplicate: 'cc1' }]);
    expect(await fx.redis.exists(`${fx.prefix}:alert:cc2`)).toBe(0);
    expect(await fx.redis.ttl(`${fx.prefix}:alert:cc1`)).toBeGreaterThan(500);
    expect(normalized.format).toBe('wazuh');
    expect(await fx.redis.ttl(`${fx.prefix}:source:wazuh:S-1`)).toBeGreaterThan(500);
    expect(await fx.redis.zscore(`${fx.prefix}:inflight`, 'cc1')).not.toBeNull();
    expect(await fx.redis.zscore(`${fx.prefix}:inflight`, 'cc2')).toBeNull();
    expect(await store.loadAlert('cc1')).toEqual(normalized);
    expect(await store.get('cc1')).toMatchObject({
      status: 'queued',
      received_at: receivedAt,
      batch_id: 'bcc',
    });
    expect(await store.source('cc1')).toMatchObject({
      format: 'wazuh',
      name: normalized.name,
      source_id: 'S-1',
    });
    // Other content under the same SIEM id: a new alert, flagged in its record.
    const other = { ...value, rule: { ...value.rule, description: 'sshd: root login' } };
    const [reused] = await store.claimAndCreate(
      [{ id: 'cc3', alert: normalize(other), input: { value: other } }],
      { receivedAt },
    );
    expect(reused).toEqual({ reused: true });
    expect(await fx.redis.hget(`${fx.prefix}:alert:cc3`, 'source_id_reused')).toBe('1');
    expect(await fx.redis.hget(`${fx.prefix}:alert:cc1`, 'source_id_reused')).toBeNull();
  });

  it('recognises re-sent source ids in one round trip', async () => {
    const claims = await claimSourceIds([
      { format: 'sentinel', sourceId: 'X-1', fingerprint: 'fa', id: 'n1' },
      undefined,
      { format: 'sentinel', sourceId: 'X-2', fingerprint: 'fa', id: 'n2' },
    ]);
    expect(claims).toEqual([{}, {}, {}]);
    const again = await claimSourceIds([
      { format: 'sentinel', sourceId: 'X-2', fingerprint: 'fa', id: 'n9' },
      { format: 'splunk', sourceId: 'X-2', fingerprint: 'fa', id: 'n10' },
    ]);
    expect(again).toEqual([{ duplicate: 'n2' }, {}]);
  });

  it('claims of a large batch go in several script calls and stay in request order across them', async () => {
    const entries = Array.from({ length: 2500 }, (_, i) => ({
      format: 'wazuh',
      sourceId: `L-${i % 2001}`,
      fingerprint: 'f',
      id: `l${i}`,
    }));
    const claims = await claimSourceIds(entries);
    expect(claims.slice(0, 2001).every((c) => c.duplicate === undefined)).toBe(true);
    expect(claims.slice(2001)).toEqual(Array.from({ length: 499 }, (_, j) => ({ duplicate: `l${j}` })));
  });

  it('a source id with other content is a new alert (reused), and each content stays recognised', async () => {
    const claim = (fingerprint: string, id: string) =>
      claimSourceIds([{ format: 'wazuh', sourceId: '1796000000.4242', fingerprint, id }]);
    expect(await claim('benign', 'w1')).toEqual([{}]);
    expect(await claim('mimikatz', 'w2')).toEqual([{ reused: true }]);
    expect(await claim('benign', 'w3')).toEqual([{ duplicate: 'w1' }]);
    expect(await claim('mimikatz', 'w4')).toEqual([{ duplicate: 'w2' }]);
    // Inside one request, in order: the second content of an id is new, its repeat a duplicate.
    expect(
      await claimSourceIds([
        { format: 'wazuh', sourceId: 'R-1', fingerprint: 'a', id: 'r1' },
        { format: 'wazuh', sourceId: 'R-1', fingerprint: 'b', id: 'r2' },
        { format: 'wazuh', sourceId: 'R-1', fingerprint: 'b', id: 'r3' },
      ]),
    ).toEqual([{}, { reused: true }, { duplicate: 'r2' }]);
    // Undoing an enqueue that failed forgets that content only.
    await store.forget([
      {
        id: 'w2',
        alert: { ...alert, format: 'wazuh', source_id: '1796000000.4242', fingerprint: 'mimikatz' },
      },
    ]);
    expect(await claim('mimikatz', 'w5')).toEqual([{ reused: true }]);
    expect(await claim('benign', 'w6')).toEqual([{ duplicate: 'w1' }]);
  });

  it('bounds the contents remembered for one source id', async () => {
    for (let i = 0; i < 40; i++) {
      await claimSourceIds([{ format: 'wazuh', sourceId: 'B-1', fingerprint: `f${i}`, id: `b${i}` }]);
    }
    expect(await fx.redis.hlen(`${fx.prefix}:source:wazuh:B-1`)).toBeLessThanOrEqual(32);
  });

  it('takes over a claim whose alert never got stored, but not one still being stored', async () => {
    const key = `${fx.prefix}:source:elastic:E-1`;
    await fx.redis.hset(key, 'fp', `ghost|${Date.now() - 120_000}`);
    expect(
      await claimSourceIds([{ format: 'elastic', sourceId: 'E-1', fingerprint: 'fp', id: 'real' }]),
    ).toEqual([{}]);
    expect((await fx.redis.hget(key, 'fp'))?.startsWith('real|')).toBe(true);
    await fx.redis.hset(`${fx.prefix}:source:elastic:E-2`, 'fp', `inflight|${Date.now()}`);
    expect(
      await claimSourceIds([{ format: 'elastic', sourceId: 'E-2', fingerprint: 'fp', id: 'late' }]),
    ).toEqual([{ duplicate: 'inflight' }]);
  });

  it('honours a claim written before fingerprints until it lapses', async () => {
    await fx.redis.set(`${fx.prefix}:source:elastic:L-1`, `old|${Date.now()}`);
    expect(
      await claimSourceIds([{ format: 'elastic', sourceId: 'L-1', fingerprint: 'fp', id: 'x' }]),
    ).toEqual([{ duplicate: 'old' }]);
    await fx.redis.set(`${fx.prefix}:source:elastic:L-2`, `gone|${Date.now() - 120_000}`);
    expect(
      await claimSourceIds([{ format: 'elastic', sourceId: 'L-2', fingerprint: 'fp', id: 'y' }]),
    ).toEqual([{}]);
  });

  it('pages batch ids and reports statuses with names', async () => {
    const alerts = Array.from({ length: 5 }, (_, i) => ({
      id: `p${i}`,
      alert: { ...alert, name: `n${i}` },
      received_at: 'now',
    }));
    await store.create(alerts, 'b2');
    expect(await store.batchEntries('b2', 2, 2)).toEqual([{ id: 'p2' }, { id: 'p3' }]);
    const st = await store.statuses(['p0', 'missing']);
    expect(st).toEqual([
      { id: 'p0', status: 'queued', name: 'n0' },
      { id: 'missing', status: 'failed' },
    ]);
  });

  it('counts and lists every accepted item: a duplicate counts like the alert it repeats', async () => {
    // d-done was final before the batch, d-run finishes after it was accepted, d-fail failed.
    await store.create([
      { id: 'd-done', alert, received_at: 'now' },
      { id: 'd-run', alert, received_at: 'now' },
      { id: 'd-fail', alert, received_at: 'now' },
    ]);
    await store.complete('d-done', result('FALSE_POSITIVE', 0.5));
    await store.fail('d-fail', 'boom');
    await store.create([{ id: 'n1', alert, received_at: 'now', batch_id: 'b3' }], 'b3', [
      { id: 'd-done', duplicate: true },
      { id: 'n1' },
      { id: 'd-run', duplicate: true },
      { id: 'd-fail', duplicate: true },
      { id: 'd-run', duplicate: true },
    ]);
    expect(await store.batchSummary('b3')).toMatchObject({
      total: 5,
      duplicates: 4,
      completed: 1,
      failed: 1,
      false_positive: 1,
      // The earlier verdict was paid for once, by its own batch.
      total_cost: '$0.0000',
    });
    expect(await store.batchEntries('b3', 0, 10)).toEqual([
      { id: 'd-done', duplicate: true },
      { id: 'n1' },
      { id: 'd-run', duplicate: true },
      { id: 'd-fail', duplicate: true },
      { id: 'd-run', duplicate: true },
    ]);
    await store.complete('n1', result('TRUE_POSITIVE'), 'b3');
    // d-run is listed twice, so its completion counts twice here; once only however often it runs.
    await store.complete('d-run', result('NEEDS_REVIEW'));
    await store.complete('d-run', result('NEEDS_REVIEW'));
    expect(await store.batchSummary('b3')).toMatchObject({
      total: 5,
      completed: 4,
      failed: 1,
      true_positive: 1,
      false_positive: 1,
      needs_review: 2,
    });
  });

  it('a duplicate registered in a batch that was then forgotten never re-creates the batch', async () => {
    await store.create([{ id: 'g-run', alert, received_at: 'now' }]);
    await store.create([], 'b-gone', [{ id: 'g-run', duplicate: true }]);
    await store.forget([], 'b-gone');
    await store.complete('g-run', result('TRUE_POSITIVE'));
    expect(await fx.redis.exists(`${fx.prefix}:batch:b-gone`)).toBe(0);
  });
});
