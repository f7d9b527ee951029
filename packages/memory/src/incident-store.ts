import { randomUUID } from 'node:crypto';
import type { Classification, IncidentEntity, IncidentStatus, IncidentView } from '@triage/contracts';
import { evalScript, keys, type Redis } from '@triage/runtime';
import { killChain, type TacticSighting } from './kill-chain.ts';

const MAX_MEMBERS_LISTED = 1000;
const MAX_ENTITIES = 50;

/*
 * Assigns one alert to its entity's incident, atomically: several classify processes assign at
 * once. The script reads the entity's open-incident pointer itself (one round trip, no race to
 * retry), joins that incident when the alert's event time is within the window of it, or opens the
 * fresh one. The open incident's keys are derived from the pointer under the incident key prefix;
 * every key sits under the stack's prefix, so with a `{hash tag}` prefix all of them share one slot
 * and the script is slot-safe on Redis Cluster.
 *
 * KEYS: 1 pointer, 2 index, 3 entity index, 4-6 fresh incident (hash, alerts, entities)
 * ARGV: 1 incident key prefix, 2 fresh id, 3 alert id, 4 event ms, 5 window ms, 6 ttl s,
 *       7 now ms, 8 class field, 9 tactics JSON, 10 detection key, 11 entities JSON, 12 entity type,
 *       13 entity value
 */
const ASSIGN_LUA = `
local function verdict(hk)
  if redis.call('HEXISTS', hk, 'chain') == 1 or tonumber(redis.call('HGET', hk, 'tp') or '0') > 0 then
    return 'TRUE_POSITIVE'
  end
  if tonumber(redis.call('HGET', hk, 'nr') or '0') > 0 then return 'NEEDS_REVIEW' end
  return 'FALSE_POSITIVE'
end
local cur = redis.call('GET', KEYS[1]) or ''
local t = tonumber(ARGV[4])
local w = tonumber(ARGV[5])
local ttl = tonumber(ARGV[6])
local h, a, e, id = KEYS[4], KEYS[5], KEYS[6], ARGV[2]
local ch = ARGV[1] .. cur
if cur ~= '' and redis.call('EXISTS', ch) == 1 then
  local first = tonumber(redis.call('HGET', ch, 'first_ms'))
  local last = tonumber(redis.call('HGET', ch, 'last_ms'))
  if t <= last + w and t >= first - w then h, a, e, id = ch, ch .. ':alerts', ch .. ':ents', cur end
end
local opened = id == ARGV[2]
local before = 'FALSE_POSITIVE'
if not opened then before = verdict(h) end
local changes = {}
if opened then
  redis.call('HSET', h, 'id', id, 'entity_type', ARGV[12], 'entity', ARGV[13], 'first_ms', t, 'last_ms', t,
    'created_ms', ARGV[7], 'tactics', '{}')
end
local isNew = redis.call('ZADD', a, 'NX', t, ARGV[3]) == 1
if isNew then
  redis.call('HINCRBY', h, 'count', 1)
  redis.call('HINCRBY', h, ARGV[8], 1)
end
if redis.call('ZCARD', a) > ${MAX_MEMBERS_LISTED} then redis.call('ZREMRANGEBYRANK', a, ${MAX_MEMBERS_LISTED}, -1) end
if t < tonumber(redis.call('HGET', h, 'first_ms')) then redis.call('HSET', h, 'first_ms', t) end
if t > tonumber(redis.call('HGET', h, 'last_ms')) then redis.call('HSET', h, 'last_ms', t) end
local tactics = cjson.decode(redis.call('HGET', h, 'tactics'))
for _, x in ipairs(cjson.decode(ARGV[9])) do
  local seen = tactics[x]
  if not seen then table.insert(changes, 'tactic:' .. x) end
  if not seen or seen.t > t then tactics[x] = { t = t, a = ARGV[3], d = ARGV[10] } end
end
local after = verdict(h)
if after ~= before then table.insert(changes, 1, 'verdict:' .. after) end
local rev = tonumber(redis.call('HGET', h, 'rev') or '0')
local upd = 'upd:' .. ARGV[3]
if #changes > 0 then
  if rev == 0 then table.insert(changes, 1, 'opened') end
  rev = redis.call('HINCRBY', h, 'rev', 1)
  redis.call('HSET', h, upd, cjson.encode({ rev = rev, changes = changes }))
elseif not isNew then
  -- A retried job of a member: the update it made the first time, to queue again (same job id).
  local again = redis.call('HGET', h, upd)
  if again then
    local u = cjson.decode(again)
    rev, changes = u.rev, u.changes
  end
end
redis.call('HSET', h, 'tactics', cjson.encode(tactics), 'updated_ms', ARGV[7])
for _, x in ipairs(cjson.decode(ARGV[11])) do
  if redis.call('SCARD', e) < ${MAX_ENTITIES} then redis.call('SADD', e, x) end
end
local old = tonumber(ARGV[7]) - ttl * 1000
redis.call('ZADD', KEYS[2], ARGV[7], id)
redis.call('ZADD', KEYS[3], ARGV[7], id)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', old)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', old)
for _, k in ipairs({ h, a, e, KEYS[3] }) do redis.call('EXPIRE', k, ttl) end
redis.call('SET', KEYS[1], id, 'EX', ttl)
return { id, redis.call('HGET', h, 'tactics'), redis.call('HGET', h, 'chain') or '', tostring(rev),
  cjson.encode(changes) }
`;

export interface IncidentStoreOptions {
  redis: Redis;
  prefix: string;
  /** Sliding window: an alert joins its entity's incident when within this long of it (event time). */
  windowMs: number;
  /** How long incidents stay queryable (as alert records: RESULT_TTL_SECONDS). */
  ttlSeconds: number;
}

export interface MemberInput {
  alertId: string;
  entity: IncidentEntity;
  /** Every entity the alert names (`host:…`, `user:…`, `source_ip:…`). */
  entities: string[];
  eventMs: number;
  classification: Classification;
  /** Tactics of the member; ignored for a FALSE_POSITIVE (closed alerts do not make a chain). */
  tactics: string[];
  detection: string;
}

export interface Assignment {
  incidentId: string;
  /** The kill chain, when the incident has one. */
  chain: TacticSighting[];
  /** True when this member completed the chain (the incident was not escalated before). */
  escalatedNow: boolean;
  /**
   * What this member changed that a SOAR tracking the incident needs to hear, with the incident's
   * revision after it: `opened` (its first update), `verdict:<V>`, `tactic:<t>` (a tactic first
   * seen), `kill_chain`. Absent when nothing did: another member of the same verdict and tactics,
   * or an incident of FALSE_POSITIVE members only, which stays quiet. A member assigned again (a
   * retried job) gets the update it made the first time, so a crash never loses one.
   */
  update?: { rev: number; changes: string[] };
}

const FIELD: Record<Classification, string> = {
  TRUE_POSITIVE: 'tp',
  NEEDS_REVIEW: 'nr',
  FALSE_POSITIVE: 'fp',
};

/** Incidents: alerts that share an entity within a sliding window (docs/memory.md). */
export class IncidentStore {
  private readonly redis: Redis;
  private readonly ns: string;
  private readonly opts: IncidentStoreOptions;

  constructor(opts: IncidentStoreOptions) {
    this.redis = opts.redis;
    this.opts = opts;
    this.ns = keys(opts.prefix).ns('memory');
  }

  private k = {
    pointer: (entity: string) => `${this.ns}:inc:open:${entity}`,
    hash: (id: string) => `${this.ns}:inc:${id}`,
    alerts: (id: string) => `${this.ns}:inc:${id}:alerts`,
    ents: (id: string) => `${this.ns}:inc:${id}:ents`,
    index: () => `${this.ns}:inc:index`,
    byEntity: (entity: string) => `${this.ns}:inc:entity:${entity}`,
  };

  async assign(m: MemberInput, now = Date.now()): Promise<Assignment> {
    const entity = `${m.entity.type}:${m.entity.value.toLowerCase()}`;
    const fresh = `inc_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
    const tactics = m.classification === 'FALSE_POSITIVE' ? [] : [...new Set(m.tactics)];
    const [id, tacticsJson, chainJson, revText, changesJson] = (await evalScript(
      this.redis,
      ASSIGN_LUA,
      6,
      this.k.pointer(entity),
      this.k.index(),
      this.k.byEntity(m.entity.value.toLowerCase()),
      this.k.hash(fresh),
      this.k.alerts(fresh),
      this.k.ents(fresh),
      this.k.hash(''),
      fresh,
      m.alertId,
      String(m.eventMs),
      String(this.opts.windowMs),
      String(this.opts.ttlSeconds),
      String(now),
      FIELD[m.classification],
      JSON.stringify(tactics),
      m.detection,
      JSON.stringify(m.entities.slice(0, 10)),
      m.entity.type,
      m.entity.value,
    )) as [string, string, string, string, string];
    const chain = killChain(sightings(tacticsJson));
    const changes = list(changesJson);
    let rev = Number(revText);
    let escalatedNow = false;
    if (chain.length && !chainJson) {
      escalatedNow = (await this.redis.hsetnx(this.k.hash(id), 'chain', JSON.stringify(chain))) === 1;
      if (escalatedNow) {
        // One revision per member: the script's, when it already counted a change of this member.
        if (!changes.length) rev = await this.redis.hincrby(this.k.hash(id), 'rev', 1);
        changes.push('kill_chain');
        await this.redis.hset(this.k.hash(id), `upd:${m.alertId}`, JSON.stringify({ rev, changes }));
      }
    }
    return {
      incidentId: id,
      chain,
      escalatedNow,
      ...(changes.length ? { update: { rev, changes } } : {}),
    };
  }

  async get(id: string, now = Date.now()): Promise<IncidentView | undefined> {
    const [h, ids, ents] = await Promise.all([
      this.redis.hgetall(this.k.hash(id)),
      this.redis.zrange(this.k.alerts(id), '0', String(MAX_MEMBERS_LISTED - 1)),
      this.redis.smembers(this.k.ents(id)),
    ]);
    if (!h.id) return undefined;
    return { ...this.view(h, ents, now), alert_ids: ids };
  }

  /** Newest activity first; `status` by the window, `entity` the incident's grouping entity. */
  async list(
    q: { cursor: number; limit: number; status?: IncidentStatus; entity?: string },
    now = Date.now(),
  ): Promise<{ items: IncidentView[]; next: number | null }> {
    const index = q.entity ? this.k.byEntity(q.entity.toLowerCase()) : this.k.index();
    const edge = now - this.opts.windowMs;
    const [max, min] =
      q.status === 'open'
        ? ['+inf', `(${edge}`]
        : q.status === 'closed'
          ? [String(edge), '-inf']
          : ['+inf', '-inf'];
    const ids = await this.redis.zrevrangebyscore(
      index,
      max,
      min,
      'LIMIT',
      String(q.cursor),
      String(q.limit),
    );
    const pipe = this.redis.pipeline();
    for (const id of ids) {
      pipe.hgetall(this.k.hash(id));
      pipe.smembers(this.k.ents(id));
    }
    const res = (await pipe.exec()) ?? [];
    const items: IncidentView[] = [];
    ids.forEach((_, i) => {
      const h = res[2 * i]?.[1] as Record<string, string> | undefined;
      if (h?.id) items.push(this.view(h, (res[2 * i + 1]?.[1] as string[]) ?? [], now));
    });
    return { items, next: ids.length === q.limit ? q.cursor + q.limit : null };
  }

  private view(h: Record<string, string>, ents: string[], now: number): IncidentView {
    const chain = h.chain ? (JSON.parse(h.chain) as TacticSighting[]) : [];
    const n = (f: string) => Number(h[f] ?? 0);
    const verdict: Classification =
      chain.length || n('tp') > 0 ? 'TRUE_POSITIVE' : n('nr') > 0 ? 'NEEDS_REVIEW' : 'FALSE_POSITIVE';
    const tactics = sightings(h.tactics ?? '{}')
      .sort((a, b) => a.t - b.t)
      .map((s) => ({ tactic: s.tactic, first_seen: new Date(s.t).toISOString(), alert_id: s.alert_id }));
    return {
      id: h.id!,
      status: now - n('updated_ms') <= this.opts.windowMs ? 'open' : 'closed',
      entity: { type: h.entity_type as IncidentEntity['type'], value: h.entity ?? '' },
      entities: ents.sort(),
      alert_count: n('count'),
      tactics,
      chain: chain.map((c) => c.tactic),
      first_seen: new Date(n('first_ms')).toISOString(),
      last_seen: new Date(n('last_ms')).toISOString(),
      verdict,
      updated_at: new Date(n('updated_ms')).toISOString(),
    };
  }
}

/** A JSON array of strings from the script (cjson encodes an empty table as `{}`). */
function list(json: string): string[] {
  const raw = JSON.parse(json) as unknown;
  return Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : [];
}

function sightings(json: string): TacticSighting[] {
  const raw = JSON.parse(json) as Record<string, { t: number; a: string; d: string }> | unknown[];
  if (Array.isArray(raw)) return []; // cjson encodes an empty table as []
  return Object.entries(raw).map(([tactic, s]) => ({ tactic, t: s.t, alert_id: s.a, detection: s.d }));
}
