import { createHash } from 'node:crypto';
import { createRedis } from '@triage/runtime';
import { type RedisFixture, redisFixture } from '@triage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaselineStore } from './baseline-store.ts';
import { baselineNotes } from './verdict-memory.ts';

const DAY = 86_400_000;
let fx: RedisFixture;
beforeAll(async () => {
  fx = await redisFixture('baselines');
});
afterAll(async () => fx.close());

describe('BaselineStore', () => {
  it('alerts observed at once on an auto-pipelining connection each read their own facts', async () => {
    // A worker's general connection sends the commands of one tick in one write, several alerts'
    // commands interleaved by alert: each alert must still map its replies back by position.
    const client = createRedis(fx.url, 'client');
    try {
      const b = new BaselineStore({ redis: client, prefix: `${fx.prefix}:auto` });
      const lin = (host: string, child: string) => ({
        detection: `sysmon/1 ${host}`,
        entity: host,
        host,
        parentImage: 'winword.exe',
        image: child,
      });
      const hosts = Array.from({ length: 12 }, (_, i) => `ws-${i}`);
      for (const h of hosts.slice(0, 6)) await b.observe(lin(h, 'splwow64.exe'));
      const facts = await Promise.all(hosts.map((h) => b.observe(lin(h, 'splwow64.exe'))));
      facts.forEach((f, i) => {
        const seen = i < 6;
        expect(f.detection).toEqual({ entity: hosts[i], count: seen ? 1 : 0, confirmed: 0, hosts: 1 });
        expect(f.lineage).toMatchObject({
          host: hosts[i],
          firstOnHost: !seen,
          newHost: !seen,
          count: seen ? 1 : 0,
        });
      });
    } finally {
      client.disconnect();
    }
  });

  it("attack: host and entity text spelling another alert's key parts never reach its counters", async () => {
    // An alert's writer picks its host and entity: text that repeats the key layout (separators,
    // the victim's pair hash, the sibling namespaces) must stay in keys of its own.
    const b = new BaselineStore({ redis: fx.redis, prefix: `${fx.prefix}:atk` });
    const victim = {
      detection: 'sysmon/1',
      entity: 'ws-1',
      host: 'ws-1',
      parentImage: 'winword.exe',
      image: 'splwow64.exe',
    };
    await b.observe(victim);
    await b.observe(victim);
    const pairHash = createHash('sha1').update('winword.exe → splwow64.exe').digest('hex').slice(0, 16);
    const detHash = createHash('sha1').update('sysmon/1').digest('hex').slice(0, 16);
    const spoofs = [
      `ws-1:${pairHash}`,
      `c:ws-1`,
      `ws-1:${detHash}`,
      `${detHash}:ws-1`,
      'WS-1 ',
      'ws-1\u0000',
    ];
    for (const text of spoofs)
      for (let i = 0; i < 5; i++) {
        await b.observe({ ...victim, detection: `sysmon/1:${text}`, entity: text, host: text });
        await b.observe({ ...victim, entity: `${detHash}:${text}`, host: text, image: text });
      }
    const facts = await b.observe(victim);
    expect(facts.detection).toEqual({ entity: 'ws-1', count: 2, confirmed: 0, hosts: 1 + spoofs.length });
    expect(facts.lineage).toMatchObject({ host: 'ws-1', count: 2, firstOnHost: false, newHost: false });
  });

  it('counts a detection per entity over a rolling window, with analyst confirmations and host spread', async () => {
    const b = new BaselineStore({ redis: fx.redis, prefix: `${fx.prefix}:a`, days: 14 });
    const t0 = Date.UTC(2025, 0, 1);
    const det = { detection: 'wazuh/31101 | Web server 400 error code.', entity: 'web-01', host: 'web-01' };
    for (let i = 0; i < 20; i++) await b.observe(det, t0 + i * DAY);
    await b.observe({ ...det, entity: 'web-02', host: 'web-02' }, t0 + 20 * DAY);
    const facts = await b.observe(det, t0 + 20 * DAY);
    // 14-day window: days 7..19 before this one (13 of the 20), and 2 hosts.
    expect(facts.detection).toEqual({ entity: 'web-01', count: 13, confirmed: 0, hosts: 2 });
    expect(baselineNotes(facts)[0]).toBe(
      'Baseline: this detection fired 13 times on web-01 in 14 days, never confirmed by an analyst (seen on 2 hosts).',
    );
    await b.confirm(det.detection, 'web-01', t0 + 20 * DAY);
    expect((await b.observe(det, t0 + 20 * DAY)).detection?.confirmed).toBe(1);
    // Old days are trimmed from the hash: bounded whatever the history.
    const fields = await fx.redis.hlen((await fx.redis.keys(`${fx.prefix}:a:memory:bl:det:*:web-01`))[0]!);
    expect(fields).toBeLessThanOrEqual(16);
  });

  it('knows the first time a parent → child pair runs on a host', async () => {
    const b = new BaselineStore({ redis: fx.redis, prefix: `${fx.prefix}:b` });
    const lin = (child: string) => ({
      detection: 'sysmon/1',
      entity: 'ws-1',
      host: 'ws-1',
      parentImage: 'winword.exe',
      image: child,
    });
    const first = await b.observe(lin('splwow64.exe'));
    expect(first.lineage).toMatchObject({ firstOnHost: true, newHost: true, count: 0 });
    expect((await b.observe(lin('splwow64.exe'))).lineage).toMatchObject({ firstOnHost: false, count: 1 });
    const novel = await b.observe(lin('powershell.exe'));
    expect(novel.lineage).toMatchObject({ firstOnHost: true, newHost: false });
    expect(baselineNotes(novel)[1]).toBe(
      'Baseline: first time winword.exe → powershell.exe was ever seen on ws-1.',
    );
    expect(await fx.redis.ttl(`${fx.prefix}:b:memory:bl:lin:ws-1`)).toBeGreaterThan(80 * 86_400);
  });
});
