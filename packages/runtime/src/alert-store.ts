import {
  type AlertStatus,
  type AlertView,
  type BatchSummary,
  type Enrichment,
  NormalizedAlert,
  type TriageResult,
} from '@triage/contracts';
import type { Redis } from 'ioredis';
import { keys } from './keys.ts';
import { evalScript, evalScriptMany } from './lua.ts';

export interface NewAlert {
  id: string;
  alert: NormalizedAlert;
  received_at: string;
  batch_id?: string;
}

const CLASS_FIELD = {
  TRUE_POSITIVE: 'true_positive',
  FALSE_POSITIVE: 'false_positive',
  NEEDS_REVIEW: 'needs_review',
} as const;

/*
 * Completion is one atomic step: the verdict, the status and the batch counters change together,
 * and only the first completion counts. A job retried after a crash therefore never counts twice.
 */
const COMPLETE_LUA = `
local st = redis.call('HGET', KEYS[1], 'status')
if not st or st == 'completed' or st == 'failed' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'completed', 'result', ARGV[1], 'completed_at', ARGV[2])
if KEYS[2] ~= '' then
  redis.call('HINCRBY', KEYS[2], 'completed', 1)
  redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
  redis.call('HINCRBYFLOAT', KEYS[2], 'cost_usd', ARGV[4])
  redis.call('HINCRBY', KEYS[2], 'ai_cache_hit', ARGV[5])
  redis.call('HINCRBY', KEYS[2], 'ti_cache_hit', ARGV[6])
  redis.call('HSET', KEYS[2], 'last_done_ms', ARGV[7])
end
redis.call('PUBLISH', KEYS[3], ARGV[8])
return 1
`;

const FAIL_LUA = `
local st = redis.call('HGET', KEYS[1], 'status')
if not st or st == 'completed' or st == 'failed' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'failed', 'error', ARGV[1], 'completed_at', ARGV[2])
if KEYS[2] ~= '' then
  redis.call('HINCRBY', KEYS[2], 'failed', 1)
  redis.call('HSET', KEYS[2], 'last_done_ms', ARGV[3])
end
redis.call('PUBLISH', KEYS[3], ARGV[4])
return 1
`;

/*
 * Source-id claim: value `<alert id>|<claimed at ms>`. An existing claim stands when its alert record
 * exists or it is younger than the grace period (the first request is still storing it).
 */
const CLAIM_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local sep = string.find(cur, '|', 1, true)
  local id = sep and string.sub(cur, 1, sep - 1) or cur
  local at = sep and tonumber(string.sub(cur, sep + 1)) or 0
  if redis.call('EXISTS', ARGV[4] .. id) == 1 or tonumber(ARGV[3]) - at < 60000 then return id end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[3], 'EX', ARGV[2])
return false
`;

const STAGE_LUA = `
local st = redis.call('HGET', KEYS[1], 'status')
if not st or st == 'completed' or st == 'failed' then return -1 end
redis.call('HSET', KEYS[1], 'status', ARGV[1])
local f = ARGV[1] .. '_started_ms'
redis.call('HSETNX', KEYS[1], f, ARGV[2])
return tonumber(redis.call('HGET', KEYS[1], f))
`;

/**
 * Alert records, verdicts and batch counters in Redis (with a TTL). Written by ingest and the
 * workers, read by the status endpoints.
 */
export class AlertStore {
  private readonly redis: Redis;
  private readonly k: ReturnType<typeof keys>;
  private readonly ttl: number;

  constructor(redis: Redis, prefix: string, ttlSeconds: number) {
    this.redis = redis;
    this.k = keys(prefix);
    this.ttl = ttlSeconds;
  }

  get completedChannel(): string {
    return this.k.completedChannel;
  }

  /** Stores new records (and the batch index) in one pipeline. */
  async create(alerts: NewAlert[], batchId?: string): Promise<void> {
    const pipe = this.redis.pipeline();
    for (const a of alerts) {
      const key = this.k.alert(a.id);
      pipe.hset(key, {
        status: 'queued',
        received_at: a.received_at,
        name: a.alert.name,
        alert: JSON.stringify(a.alert),
        ...(a.batch_id ? { batch_id: a.batch_id } : {}),
      });
      pipe.expire(key, this.ttl);
    }
    if (batchId) {
      const bk = this.k.batch(batchId);
      pipe.hset(bk, { total: alerts.length, created_ms: Date.now() });
      pipe.expire(bk, this.ttl);
      const ik = this.k.batchIds(batchId);
      for (let i = 0; i < alerts.length; i += 1000) {
        pipe.rpush(ik, ...alerts.slice(i, i + 1000).map((a) => a.id));
      }
      pipe.expire(ik, this.ttl);
    }
    const res = await pipe.exec();
    const err = res?.find(([e]) => e)?.[0];
    if (err) throw err;
  }

  /**
   * Moves a record to `enriching` / `classifying`, never back from a final state. Returns when the
   * stage first started (ms; kept across retries and delays), or undefined when the alert is final.
   */
  async setStage(
    id: string,
    status: Extract<AlertStatus, 'enriching' | 'classifying'>,
  ): Promise<number | undefined> {
    const started = (await evalScript(
      this.redis,
      STAGE_LUA,
      1,
      this.k.alert(id),
      status,
      String(Date.now()),
    )) as number;
    return started < 0 ? undefined : started;
  }

  async loadAlert(id: string): Promise<NormalizedAlert | undefined> {
    const raw = await this.redis.hget(this.k.alert(id), 'alert');
    return raw ? NormalizedAlert.parse(JSON.parse(raw)) : undefined;
  }

  /** When ingest accepted the alert (epoch ms), for the end-to-end latency. */
  async receivedAt(id: string): Promise<number | undefined> {
    const iso = await this.redis.hget(this.k.alert(id), 'received_at');
    const ms = iso ? Date.parse(iso) : Number.NaN;
    return Number.isFinite(ms) ? ms : undefined;
  }

  async saveEnrichment(id: string, enrichment: Enrichment): Promise<void> {
    await this.redis.hset(this.k.alert(id), 'enrichment', JSON.stringify(enrichment));
  }

  async loadEnrichment(id: string): Promise<Enrichment | undefined> {
    const raw = await this.redis.hget(this.k.alert(id), 'enrichment');
    return raw ? (JSON.parse(raw) as Enrichment) : undefined;
  }

  /** Writes the verdict once. Returns false when the alert was already final (a retried job). */
  async complete(
    id: string,
    result: TriageResult,
    batchId?: string,
    opts: { tiCacheHit?: boolean } = {},
  ): Promise<boolean> {
    const done = await evalScript(
      this.redis,
      COMPLETE_LUA,
      3,
      this.k.alert(id),
      batchId ? this.k.batch(batchId) : '',
      this.k.completedChannel,
      JSON.stringify(result),
      new Date().toISOString(),
      CLASS_FIELD[result.classification],
      String(result.performance.cost_usd ?? 0),
      result.decided_by === 'cache' ? '1' : '0',
      opts.tiCacheHit ? '1' : '0',
      String(Date.now()),
      id,
    );
    return done === 1;
  }

  /** Marks the alert failed once (after its last attempt). */
  async fail(id: string, error: string, batchId?: string): Promise<boolean> {
    const done = await evalScript(
      this.redis,
      FAIL_LUA,
      3,
      this.k.alert(id),
      batchId ? this.k.batch(batchId) : '',
      this.k.completedChannel,
      error.slice(0, 2000),
      new Date().toISOString(),
      String(Date.now()),
      id,
    );
    return done === 1;
  }

  async get(id: string): Promise<AlertView | undefined> {
    const h = await this.redis.hgetall(this.k.alert(id));
    if (!h.status || !h.alert) return undefined;
    return {
      id,
      status: h.status as AlertStatus,
      ...(h.batch_id ? { batch_id: h.batch_id } : {}),
      received_at: h.received_at ?? '',
      ...(h.completed_at ? { completed_at: h.completed_at } : {}),
      ...(h.error ? { error: h.error } : {}),
      alert: JSON.parse(h.alert) as NormalizedAlert,
      ...(h.result ? { result: JSON.parse(h.result) as TriageResult } : {}),
    };
  }

  /** Status (and verdict when there is one) of many alerts in one round trip. */
  async statuses(
    ids: string[],
  ): Promise<Array<{ id: string; status: AlertStatus; name?: string; result?: TriageResult }>> {
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hmget(this.k.alert(id), 'status', 'result', 'name');
    const res = (await pipe.exec()) ?? [];
    return ids.map((id, i) => {
      const [status, result, name] = (res[i]?.[1] as Array<string | null> | undefined) ?? [];
      return {
        id,
        // A record that expired (RESULT_TTL_SECONDS) while its batch index remained.
        status: (status ?? 'failed') as AlertStatus,
        ...(name ? { name } : {}),
        ...(result ? { result: JSON.parse(result) as TriageResult } : {}),
      };
    });
  }

  async batchSummary(batchId: string): Promise<BatchSummary | undefined> {
    const h = await this.redis.hgetall(this.k.batch(batchId));
    if (!h.total) return undefined;
    const n = (f: string) => Number(h[f] ?? 0);
    const total = n('total');
    const done = n('completed') + n('failed');
    const end = done >= total && h.last_done_ms ? n('last_done_ms') : Date.now();
    return {
      total,
      completed: n('completed'),
      failed: n('failed'),
      true_positive: n('true_positive'),
      false_positive: n('false_positive'),
      needs_review: n('needs_review'),
      processing_time: Math.max(0, (end - n('created_ms')) / 1000),
      total_cost: `$${n('cost_usd').toFixed(4)}`,
      ai_cache_hit: n('ai_cache_hit'),
      ti_cache_hit: n('ti_cache_hit'),
    };
  }

  async batchIds(batchId: string, cursor: number, limit: number): Promise<string[]> {
    return this.redis.lrange(this.k.batchIds(batchId), cursor, cursor + limit - 1);
  }

  /**
   * Remembers which alert a SIEM's own id became, so a re-sent alert is recognised. Returns, per
   * entry, the id already stored for it, or undefined when this one is the first. A claim whose alert
   * record never appeared (the accepting process died between the two steps, so the SIEM never got a
   * 202) is taken over after a grace period instead of turning the re-send into a phantom duplicate.
   */
  async claimSourceIds(
    entries: Array<{ format: string; sourceId: string; id: string } | undefined>,
  ): Promise<Array<string | undefined>> {
    const out: Array<string | undefined> = entries.map(() => undefined);
    const todo = entries.flatMap((e, i) => (e ? [{ ...e, i }] : []));
    if (todo.length === 0) return out;
    const now = String(Date.now());
    const alertPrefix = this.k.alert('');
    const results = await evalScriptMany(
      this.redis,
      CLAIM_LUA,
      1,
      todo.map((e) => [this.k.sourceId(e.format, e.sourceId), e.id, this.ttl, now, alertPrefix]),
    );
    todo.forEach((e, j) => {
      const prior = results[j];
      if (typeof prior === 'string') out[e.i] = prior;
    });
    return out;
  }

  /** Undoes `create` + `claimSourceIds` when enqueueing failed, so a retry of the request is not a "duplicate". */
  async forget(alerts: NewAlert[], batchId?: string): Promise<void> {
    const pipe = this.redis.pipeline();
    if (batchId) pipe.del(this.k.batch(batchId), this.k.batchIds(batchId));
    for (const a of alerts) {
      pipe.del(this.k.alert(a.id));
      if (a.alert.source_id) pipe.del(this.k.sourceId(a.alert.format, a.alert.source_id));
    }
    await pipe.exec();
  }
}
