import { type RedisFixture, redisFixture } from '@triage/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IncidentStore, type MemberInput } from './incident-store.ts';
import { killChain } from './kill-chain.ts';

const MIN = 60_000;
let fx: RedisFixture;
let n = 0;
beforeAll(async () => {
  fx = await redisFixture('incidents');
});
afterAll(async () => fx.close());

const store = (redis: Redis = fx.redis, prefix = `${fx.prefix}:i${++n}`) =>
  new IncidentStore({ redis, prefix, windowMs: 30 * MIN, ttlSeconds: 3600 });

const member = (alertId: string, eventMs: number, over: Partial<MemberInput> = {}): MemberInput => ({
  alertId,
  entity: { type: 'host', value: 'web-01' },
  entities: ['host:web-01'],
  eventMs,
  classification: 'NEEDS_REVIEW',
  tactics: [],
  detection: `det-${alertId}`,
  ...over,
});

describe('killChain', () => {
  const s = (tactic: string, t: number, detection = tactic) => ({ tactic, t, alert_id: `a-${t}`, detection });
  it('finds discovery → execution → persistence in time order, from distinct detections', () => {
    expect(
      killChain([s('persistence', 3), s('discovery', 1), s('execution', 2)]).map((x) => x.tactic),
    ).toEqual(['discovery', 'execution', 'persistence']);
    // Backwards in time is no chain; one detection with three tactics is no chain.
    expect(killChain([s('persistence', 1), s('execution', 2), s('discovery', 3)])).toEqual([]);
    expect(killChain([s('discovery', 1, 'd'), s('execution', 2, 'd'), s('persistence', 3, 'd')])).toEqual([]);
    expect(killChain([s('discovery', 1), s('reconnaissance', 2), s('resource-development', 3)])).toEqual([]);
  });
});

describe('IncidentStore', () => {
  it('groups alerts of one entity within a sliding window; a gap opens a new incident', async () => {
    const st = store();
    const t0 = Date.UTC(2025, 0, 1);
    const a = await st.assign(member('a1', t0));
    const b = await st.assign(member('a2', t0 + 25 * MIN));
    const c = await st.assign(member('a3', t0 + 50 * MIN)); // 25 min after the last: sliding
    const d = await st.assign(member('a4', t0 + 200 * MIN));
    const other = await st.assign(member('x1', t0, { entity: { type: 'host', value: 'db-01' } }));
    expect(new Set([a.incidentId, b.incidentId, c.incidentId]).size).toBe(1);
    expect(d.incidentId).not.toBe(a.incidentId);
    expect(other.incidentId).not.toBe(a.incidentId);
    const view = await st.get(a.incidentId);
    expect(view).toMatchObject({
      alert_ids: ['a1', 'a2', 'a3'],
      alert_count: 3,
      entity: { type: 'host', value: 'web-01' },
      first_seen: new Date(t0).toISOString(),
      last_seen: new Date(t0 + 50 * MIN).toISOString(),
      verdict: 'NEEDS_REVIEW',
      status: 'open',
    });
    const list = await st.list({ cursor: 0, limit: 10, entity: 'WEB-01' });
    expect(list.items.map((i) => i.id).sort()).toEqual([a.incidentId, d.incidentId].sort());
    expect((await st.list({ cursor: 0, limit: 10, status: 'closed' })).items).toEqual([]);
    expect(
      (await st.list({ cursor: 0, limit: 10, status: 'closed' }, Date.now() + 31 * MIN)).items,
    ).toHaveLength(3);
  });

  it('raises on a kill chain once, listing it; closed members do not count', async () => {
    const st = store();
    const t0 = Date.UTC(2025, 0, 2);
    await st.assign(member('d', t0, { tactics: ['discovery'] }));
    await st.assign(member('fp', t0 + MIN, { tactics: ['execution'], classification: 'FALSE_POSITIVE' }));
    const noChain = await st.assign(member('e', t0 + 2 * MIN, { tactics: ['execution'] }));
    expect(noChain.chain).toEqual([]);
    const p = await st.assign(member('p', t0 + 3 * MIN, { tactics: ['persistence'] }));
    expect(p.chain.map((c) => c.alert_id)).toEqual(['d', 'e', 'p']);
    expect(p.escalatedNow).toBe(true);
    const again = await st.assign(member('q', t0 + 4 * MIN, { tactics: ['impact'] }));
    expect(again.escalatedNow).toBe(false);
    const view = await st.get(p.incidentId);
    expect(view).toMatchObject({
      verdict: 'TRUE_POSITIVE',
      chain: ['discovery', 'execution', 'persistence'],
    });
    expect(view?.tactics.map((t) => t.tactic)).toEqual(['discovery', 'execution', 'persistence', 'impact']);
  });

  it('reports what a member changed, with a revision: quiet for noise and for repeats', async () => {
    const st = store();
    const t0 = Date.UTC(2025, 0, 4);
    const fp = await st.assign(
      member('n1', t0, { classification: 'FALSE_POSITIVE', tactics: ['discovery'] }),
    );
    expect(fp.update).toBeUndefined();
    const nr = await st.assign(member('d', t0 + MIN, { tactics: ['discovery'] }));
    expect(nr.update).toEqual({ rev: 1, changes: ['opened', 'verdict:NEEDS_REVIEW', 'tactic:discovery'] });
    expect((await st.assign(member('d2', t0 + 2 * MIN, { tactics: ['discovery'] }))).update).toBeUndefined();
    const e = await st.assign(member('e', t0 + 3 * MIN, { tactics: ['execution'] }));
    expect(e.update).toEqual({ rev: 2, changes: ['tactic:execution'] });
    const tp = await st.assign(member('t', t0 + 4 * MIN, { classification: 'TRUE_POSITIVE' }));
    expect(tp.update).toEqual({ rev: 3, changes: ['verdict:TRUE_POSITIVE'] });
    const p = await st.assign(member('p', t0 + 5 * MIN, { tactics: ['persistence'] }));
    expect(p.escalatedNow).toBe(true);
    expect(p.update).toEqual({ rev: 4, changes: ['tactic:persistence', 'kill_chain'] });
    expect(new Set([fp, nr, e, tp, p].map((x) => x.incidentId)).size).toBe(1);
    // A member assigned again (its job retried after a crash) reports the same update, same revision.
    expect((await st.assign(member('e', t0 + 3 * MIN, { tactics: ['execution'] }))).update).toEqual(e.update);
    expect((await st.assign(member('p', t0 + 5 * MIN, { tactics: ['persistence'] }))).update).toEqual(
      p.update,
    );
    expect((await st.assign(member('d2', t0 + 2 * MIN, { tactics: ['discovery'] }))).update).toBeUndefined();
    expect((await st.get(p.incidentId))?.alert_count).toBe(6);
  });

  it('concurrent assignment from several connections: one incident, every member once', async () => {
    const prefix = `${fx.prefix}:race`;
    const conns = Array.from({ length: 4 }, () => new Redis(fx.url, { maxRetriesPerRequest: 3 }));
    const stores = conns.map((c) => store(c, prefix));
    const t0 = Date.UTC(2025, 0, 3);
    const res = await Promise.all(
      Array.from({ length: 80 }, (_, i) => stores[i % 4]!.assign(member(`r${i}`, t0 + i * 1000))),
    );
    expect(new Set(res.map((r) => r.incidentId)).size).toBe(1);
    const view = await stores[0]!.get(res[0]!.incidentId);
    expect(view?.alert_count).toBe(80);
    expect(view?.alert_ids).toHaveLength(80);
    for (const c of conns) c.disconnect();
  });
});
