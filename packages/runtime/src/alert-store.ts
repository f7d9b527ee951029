import {
  type AlertFormat,
  type AlertStatus,
  type AlertView,
  type BatchSummary,
  type Enrichment,
  type Lane,
  NormalizedAlert,
  type TriageResult,
} from '@triage/contracts';
import { normalize } from '@triage/normalizers';
import type { Redis } from 'ioredis';
import { keys } from './keys.ts';
import { evalScript, evalScriptBuffer, evalScriptMany } from './lua.ts';
import type { Submission } from './record-codec.ts';
import { decodeJson, encodeJson, encodeSubmission, encodeVerdict } from './record-codec.ts';

/** What intake needs of a normalized alert to accept it (its reading without signals gives it). */
export type AlertIdentity = Pick<
  NormalizedAlert,
  'format' | 'name' | 'severity' | 'fingerprint' | 'source_id'
>;

export interface NewAlert {
  id: string;
  /** Its normalization, or what intake needs of it when `input` is kept (the record's reader normalizes that). */
  alert: AlertIdentity | NormalizedAlert;
  /**
   * What was submitted, and the format forced on it (`?format=`), when `alert` is its normalization:
   * the record then keeps this instead of `alert` (about 40% fewer bytes than the normalized alert,
   * whose signals and facts repeat the payload) and readers normalize it again — normalization is
   * deterministic, and cheaper than decoding the larger record.
   */
  input?: Submission;
  received_at: string;
  batch_id?: string;
  /** Its SIEM id was seen before with other content (claimAndCreate): flagged on the verdict. */
  source_id_reused?: boolean;
}

/** A new alert as intake stores it (`AlertStore.claimAndCreate`): its record keeps the submission. */
export interface IntakeAlert {
  id: string;
  /** What intake read of it (format, name, source id, fingerprint). */
  alert: AlertIdentity | NormalizedAlert;
  input: Submission;
}

/** An alert's status, verdict and source fields (`AlertStore.source`). */
export interface AlertSource {
  status: AlertStatus;
  batch_id?: string;
  result?: TriageResult;
  format: AlertFormat;
  name: string;
  source_id?: string;
  /** The webhook message of the alert's own verdict was delivered (see `AlertStore.delivered`). */
  delivered: boolean;
}

/** Where an alert in progress stands, for the stranded-alert sweeper (`AlertStore.progressOf`). */
export interface AlertProgress {
  id: string;
  /** Absent when the record expired. */
  status?: AlertStatus;
  batchId?: string;
  /** The enrichment is stored: the alert's next stage is classify. */
  enriched: boolean;
  redrives: number;
}

/** A SIEM's own id for an alert, with the content fingerprint that tells a re-send from a reuse. */
export interface SourceIdClaim {
  format: string;
  sourceId: string;
  fingerprint: string;
  /** The id the alert gets if it is new. */
  id: string;
}

/**
 * One accepted item of a batch, in input order: a new alert, or a re-sent one answered with the
 * earlier alert's id (`duplicate`). Every accepted item is listed and counted, so `total` equals
 * `accepted`.
 */
export interface BatchEntry {
  id: string;
  duplicate?: boolean;
}

/** Contents remembered per SIEM id before the oldest are dropped (CLAIM_FUNCTIONS). */
const MAX_CONTENTS_PER_SOURCE_ID = 32;

/** Marks a duplicate's entry in the batch list (alert ids never start with it). */
const DUP_MARK = '^';

const CLASS_FIELD = {
  TRUE_POSITIVE: 'true_positive',
  FALSE_POSITIVE: 'false_positive',
  NEEDS_REVIEW: 'needs_review',
} as const;

/*
 * Fields only an alert in progress needs (when each stage started, for its duration; how often the
 * sweeper re-drove it): dropped when it becomes final, so a kept record holds no more than it shows.
 */
const IN_PROGRESS_FIELDS = [
  "'enriching_started_ms'",
  "'classifying_started_ms'",
  "'redrives'",
  "'normalized'",
].join(', ');

/**
 * Longest value a record keeps in its compact encoding (`hash-max-listpack-value` of the shipped
 * infra/redis.conf): one longer value turns the whole hash into a table for good, about 40% larger.
 */
const LISTPACK_VALUE_MAX = 1024;

/**
 * `received_at` and `completed_at` are stored as epoch milliseconds: an integer takes 9 bytes of a
 * listpack against 24 for the ISO 8601 string, which is rebuilt on read. Records written before
 * (and an instant that is not a plain ISO string) hold the string as it is.
 */
function storedTime(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) && new Date(ms).toISOString() === iso ? String(ms) : iso;
}

function isoTime(stored: string): string {
  return /^\d+$/.test(stored) ? new Date(Number(stored)).toISOString() : stored;
}

/*
 * Batches that listed this alert as a duplicate while it was still running are kept in its record
 * (`dups`, comma-separated batch keys); its completion counts in each of them as well. A batch key
 * that no longer exists (expired, or forgotten after a failed enqueue) is skipped, never re-created.
 */
const COUNT_DUPS_LUA = `
local function count_dups(field, class)
  local dups = redis.call('HGET', KEYS[1], 'dups')
  if not dups then return end
  for bk in string.gmatch(dups, '[^,]+') do
    if redis.call('EXISTS', bk) == 1 then
      redis.call('HINCRBY', bk, field, 1)
      if class ~= '' then redis.call('HINCRBY', bk, class, 1) end
      redis.call('HSET', bk, 'last_done_ms', ARGV[#ARGV - 1])
    end
  end
end
`;

/*
 * Completion is one atomic step: the verdict, the status and the batch counters change together,
 * and only the first completion counts. A job retried after a crash therefore never counts twice.
 */
const COMPLETE_LUA = `${COUNT_DUPS_LUA}
redis.call('ZREM', KEYS[5], ARGV[#ARGV])
local st = redis.call('HGET', KEYS[1], 'status')
if not st or st == 'completed' or st == 'failed' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'completed', 'result', ARGV[1], 'completed_at', ARGV[2], 'class', ARGV[3])
redis.call('HDEL', KEYS[1], 'enrichment', ${IN_PROGRESS_FIELDS})
if KEYS[2] ~= '' then
  redis.call('HINCRBY', KEYS[2], 'completed', 1)
  redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
  redis.call('HINCRBYFLOAT', KEYS[2], 'cost_usd', ARGV[4])
  redis.call('HINCRBY', KEYS[2], 'ai_cache_hit', ARGV[5])
  redis.call('HINCRBY', KEYS[2], 'ti_cache_hit', ARGV[6])
  redis.call('HSET', KEYS[2], 'last_done_ms', ARGV[7])
end
count_dups('completed', ARGV[3])
redis.call('HINCRBY', KEYS[4], 'done', 1)
redis.call('PUBLISH', KEYS[3], ARGV[8])
return 1
`;

/*
 * A completed verdict changed afterwards (analyst feedback, an incident raising its members): the
 * result is replaced and the batch counters move from the old classification to the new one in
 * the same step. Returns the previous result, or false when the alert is not completed.
 */
const AMEND_LUA = `
local st = redis.call('HGET', KEYS[1], 'status')
if st ~= 'completed' then return 0 end
local was = redis.call('HGET', KEYS[1], 'class')
redis.call('HSET', KEYS[1], 'result', ARGV[1], 'class', ARGV[2])
if KEYS[2] ~= '' and was and was ~= ARGV[2] then
  redis.call('HINCRBY', KEYS[2], was, -1)
  redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
end
return 1
`;

const FAIL_LUA = `${COUNT_DUPS_LUA}
redis.call('ZREM', KEYS[5], ARGV[#ARGV])
local st = redis.call('HGET', KEYS[1], 'status')
if not st or st == 'completed' or st == 'failed' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'failed', 'error', ARGV[1], 'completed_at', ARGV[2])
redis.call('HDEL', KEYS[1], ${IN_PROGRESS_FIELDS})
if KEYS[2] ~= '' then
  redis.call('HINCRBY', KEYS[2], 'failed', 1)
  redis.call('HSET', KEYS[2], 'last_done_ms', ARGV[3])
end
count_dups('failed', '')
redis.call('HINCRBY', KEYS[4], 'done', 1)
redis.call('PUBLISH', KEYS[3], ARGV[4])
return 1
`;

/*
 * A duplicate listed in a batch counts there like the alert it repeats: at once when that alert is
 * already final (its verdict is not paid for again: no cost, no cache counters), otherwise when it
 * completes (COUNT_DUPS_LUA). KEYS: earlier alert, batch. ARGV: batch key, now ms, record TTL.
 */
const ACCOUNT_DUP_LUA = `
local st = redis.call('HGET', KEYS[1], 'status')
if st == 'completed' then
  redis.call('HINCRBY', KEYS[2], 'completed', 1)
  local class = redis.call('HGET', KEYS[1], 'class')
  if not class then
    local ok, r = pcall(cjson.decode, redis.call('HGET', KEYS[1], 'result') or '')
    local map = { TRUE_POSITIVE = 'true_positive', FALSE_POSITIVE = 'false_positive', NEEDS_REVIEW = 'needs_review' }
    class = ok and type(r) == 'table' and map[r.classification] or nil
  end
  if class then redis.call('HINCRBY', KEYS[2], class, 1) end
  redis.call('HSET', KEYS[2], 'last_done_ms', ARGV[2])
elseif st == 'failed' then
  redis.call('HINCRBY', KEYS[2], 'failed', 1)
  redis.call('HSET', KEYS[2], 'last_done_ms', ARGV[2])
else
  -- Still running, or (no status yet) a concurrent request is still storing it: count it on completion.
  local d = redis.call('HGET', KEYS[1], 'dups')
  redis.call('HSET', KEYS[1], 'dups', d and (d .. ',' .. ARGV[1]) or ARGV[1])
  if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
end
return 1
`;

/*
 * Source-id claims: one hash per SIEM id, content fingerprint → `<alert id>|<claimed at ms>`. A SIEM
 * id alone does not make a duplicate: Wazuh ids collide across managers, and a key holder could
 * pre-claim ids it expects. Only the same id with the same content is answered with the earlier
 * alert; the same id with new content is a new alert, reported as `reused`. A claim stands when its
 * alert record exists or it is younger than the grace period (a request is still storing it, or
 * its process died before the record went in). Claims written before fingerprints (a plain
 * string) are honoured until they expire.
 * `claim(key, new id, fingerprint)` returns 'd<id>' (duplicate of that alert), 'r' (reused) or 'n'
 * (new). ARGV[1]: TTL, ARGV[2]: now ms, ARGV[3]: alert key prefix.
 */
const CLAIM_FUNCTIONS = `
local ttl = ARGV[1]
local now = tonumber(ARGV[2])
local function live(v)
  if not v then return nil end
  local sep = string.find(v, '|', 1, true)
  local id = sep and string.sub(v, 1, sep - 1) or v
  local at = sep and tonumber(string.sub(v, sep + 1)) or 0
  if redis.call('EXISTS', ARGV[3] .. id) == 1 or now - at < 60000 then return id end
  return nil
end
local function claim(key, newId, fp)
  -- HLEN answers a hash's size, 0 for no key, and an error for an old plain-string claim: one
  -- command where TYPE (a status reply made into a table) cost more than the claim's writes.
  local n = redis.pcall('HLEN', key)
  if type(n) == 'table' then
    local id = live(redis.call('GET', key))
    if id then return 'd' .. id end
    redis.call('DEL', key)
    n = 0
  end
  local reused = false
  if n > 0 then
    local same = redis.call('HGET', key, fp)
    local id = live(same)
    if id then return 'd' .. id end
    -- Other contents under this id (a lapsed claim of this same content is not one).
    reused = n > (same and 1 or 0)
    -- Bounded: past this many contents for one id the oldest claims are forgotten (a re-send of one
    -- of them is then triaged again, which is harmless).
    if n >= ${MAX_CONTENTS_PER_SOURCE_ID} then redis.call('DEL', key) end
  end
  redis.call('HSET', key, fp, newId .. '|' .. ARGV[2])
  redis.call('EXPIRE', key, ttl)
  if reused then return 'r' end
  return 'n'
end
`;

/*
 * Intake's write of new alerts (`claimAndCreate`): each alert's source-id claim and, unless that
 * found it a re-send, its record with its TTL and its place in the in-flight set, in request order.
 * KEYS[1]: the in-flight set; then per alert its record key, followed by its source-id key when it
 * has a source id. ARGV: TTL, now ms, alert key prefix, received_at (stored form), batch id ('' for
 * none), then per alert its id, fingerprint, name, format, source id ('' for none) and encoded
 * submission. Returns per alert what `claim` returns ('n' for an alert without a source id).
 */
const CLAIM_CREATE_LUA = `${CLAIM_FUNCTIONS}
local batch = ARGV[5]
local out = {}
local flight = {}
local k = 2
local a = 6
for i = 1, (#ARGV - 5) / 6 do
  local id = ARGV[a]
  local sid = ARGV[a + 4]
  local record = KEYS[k]
  k = k + 1
  local r = 'n'
  if sid ~= '' then
    r = claim(KEYS[k], id, ARGV[a + 1])
    k = k + 1
  end
  if string.sub(r, 1, 1) ~= 'd' then
    local f = { 'status', 'queued', 'received_at', ARGV[4], 'name', ARGV[a + 2], 'format', ARGV[a + 3] }
    if sid ~= '' then
      f[#f + 1] = 'source_id'
      f[#f + 1] = sid
    end
    f[#f + 1] = 'input'
    f[#f + 1] = ARGV[a + 5]
    if batch ~= '' then
      f[#f + 1] = 'batch_id'
      f[#f + 1] = batch
    end
    if r == 'r' then
      f[#f + 1] = 'source_id_reused'
      f[#f + 1] = '1'
    end
    redis.call('HSET', record, unpack(f))
    redis.call('EXPIRE', record, ttl)
    flight[#flight + 1] = ARGV[2]
    flight[#flight + 1] = id
  end
  out[i] = r
  a = a + 6
end
if #flight > 0 then redis.call('ZADD', KEYS[1], unpack(flight)) end
return out
`;

/** Alerts per CLAIM_CREATE_LUA call: one call holds Redis for a few ms at most. */
const CLAIM_CREATE_PER_CALL = 500;

/* Removes a claim only while it still names the given alert id (`<id>|` prefix). */
const RELEASE_CLAIM_LUA = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur and string.sub(cur, 1, #ARGV[2]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 1
`;

/*
 * Moves a record to a stage. -1: already final. -2: its batch is paused; the caller parks the job
 * (delayed) and it is remembered in the batch's parked set for `resume` — checked and recorded in
 * one step, so a resume can never miss a job parked concurrently. ARGV: stage, now ms, batch key
 * prefix (`<prefix>:batch:`), parked member (`<queue>|<job id>`), record TTL.
 */
const STAGE_LUA = `
local st = redis.call('HGET', KEYS[1], 'status')
if not st or st == 'completed' or st == 'failed' then return -1 end
local b = redis.call('HGET', KEYS[1], 'batch_id')
if b and ARGV[4] ~= '' and redis.call('HGET', ARGV[3] .. b, 'paused') == '1' then
  local pk = ARGV[3] .. b .. ':parked'
  redis.call('SADD', pk, ARGV[4])
  redis.call('EXPIRE', pk, ARGV[5])
  return -2
end
redis.call('HSET', KEYS[1], 'status', ARGV[1])
local f = ARGV[1] .. '_started_ms'
redis.call('HSETNX', KEYS[1], f, ARGV[2])
return tonumber(redis.call('HGET', KEYS[1], f))
`;

/*
 * STAGE_LUA with the record fields the stage works on, read in the same step (one round trip where
 * a worker read the record and then moved it). Nothing is written unless the stage can run: -1 the
 * alert is final; -3 the record is gone or lacks what the stage needs (its submission, and with
 * ARGV[6] = '1' its first extra field); -2 its batch is paused (parked as in STAGE_LUA). Otherwise
 * { started ms, normalized, input, alert, ...extra fields }. ARGV: STAGE_LUA's five, then the
 * requirement flag, then the extra field names.
 */
const BEGIN_STAGE_LUA = `
local extra = {}
for i = 7, #ARGV do extra[#extra + 1] = ARGV[i] end
local v = redis.call('HMGET', KEYS[1], 'status', 'normalized', 'input', 'alert', 'batch_id', unpack(extra))
local st = v[1]
if not st then return {-3} end
if st == 'completed' or st == 'failed' then return {-1} end
if not (v[2] or v[3] or v[4]) then return {-3} end
if ARGV[6] == '1' and not v[6] then return {-3} end
local b = v[5]
if b and ARGV[4] ~= '' and redis.call('HGET', ARGV[3] .. b, 'paused') == '1' then
  local pk = ARGV[3] .. b .. ':parked'
  redis.call('SADD', pk, ARGV[4])
  redis.call('EXPIRE', pk, ARGV[5])
  return {-2}
end
redis.call('HSET', KEYS[1], 'status', ARGV[1])
local f = ARGV[1] .. '_started_ms'
redis.call('HSETNX', KEYS[1], f, ARGV[2])
local out = {tonumber(redis.call('HGET', KEYS[1], f)), v[2], v[3], v[4]}
for i = 1, #extra do out[4 + i] = v[5 + i] end
return out
`;

/*
 * Sets fields of an alert record only while it exists: a plain HSET on a record that expired or was
 * forgotten (its intake failed) would re-create it as a key without a TTL, kept for good.
 */
const HSET_EXISTING_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
`;

/** HINCRBY of a record field only while the record exists (0 when it is gone): never re-creates it. */
const HINCR_EXISTING_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
`;

/** The normalized alert of a record: its input normalized again, or (older records) as stored. */
function revive(input?: Buffer | null, alert?: Buffer | null): NormalizedAlert | undefined {
  if (input) {
    const { f, v } = decodeJson<{ f?: AlertFormat; v: unknown }>(input);
    return normalize(v, f ? { format: f } : {});
  }
  return alert ? NormalizedAlert.parse(decodeJson(alert)) : undefined;
}

/** The normalized alert enrich left for classify (`saveEnrichment`), else the submission's. */
function payloadAlert(
  normalized?: Buffer | null,
  input?: Buffer | null,
  alert?: Buffer | null,
): NormalizedAlert | undefined {
  if (normalized) return NormalizedAlert.parse(decodeJson(normalized));
  return revive(input, alert);
}

/**
 * Where a worker's stage stands as it begins (`beginEnrich`, `beginClassify`): `gone` when the
 * record expired or lacks what the stage needs, `final` when the alert already has its outcome (a
 * duplicate delivery), `paused` when its batch is paused (the job was recorded as parked, see
 * `setStage`), else `started` with when the stage first started (ms) and the alert.
 */
export type StageStart<T = object> =
  | { state: 'gone' }
  | { state: 'final' }
  | { state: 'paused' }
  | ({ state: 'started'; startedAt: number; alert: NormalizedAlert } & T);

/** What classify works on besides the alert (`beginClassify`). */
export interface ClassifyInput {
  enrichment: Enrichment;
  /** When ingest accepted the alert (epoch ms), for the end-to-end latency. */
  receivedAt?: number;
  /** Its SIEM id had been seen before with other content (claimAndCreate). */
  sourceIdReused: boolean;
}

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

  /**
   * Stores records as given, each with its own fields (intake uses `claimAndCreate`, which claims
   * source ids and writes a request's records in one script call), then, for a batch, closes it
   * (`closeBatch`; `entries` default: these alerts).
   */
  async create(
    alerts: NewAlert[],
    batchId?: string,
    entries?: BatchEntry[],
    lane: Lane = 'live',
  ): Promise<void> {
    if (alerts.length > 0) {
      const pipe = this.redis.pipeline();
      for (const a of alerts) {
        const key = this.k.alert(a.id);
        pipe.hset(key, {
          status: 'queued',
          received_at: storedTime(a.received_at),
          name: a.alert.name,
          // With the name and source id, what a webhook tells of the source without normalizing
          // the submission again (`source`).
          format: a.alert.format,
          // Listed with the verdict (one HMGET per row), so a client can match results to its input.
          ...(a.alert.source_id ? { source_id: a.alert.source_id } : {}),
          ...(a.input
            ? { input: a.input.encoded ?? encodeSubmission(a.input) }
            : { alert: encodeJson(a.alert) }),
          ...(a.batch_id ? { batch_id: a.batch_id } : {}),
          ...(a.source_id_reused ? { source_id_reused: '1' } : {}),
        });
        pipe.expire(key, this.ttl);
      }
      const now = Date.now();
      pipe.zadd(this.k.inflight, ...alerts.flatMap((a) => [now, a.id]));
      const err = (await pipe.exec())?.find(([e]) => e)?.[0];
      if (err) throw err;
    }
    if (batchId) await this.closeBatch(batchId, entries ?? alerts.map((a) => ({ id: a.id })), lane);
  }

  /**
   * A batch's total accepted, duplicates and listing: every accepted item in input order.
   * Duplicates among them are counted in the batch like the alert they repeat (ACCOUNT_DUP_LUA).
   */
  async closeBatch(batchId: string, entries: BatchEntry[], lane: Lane): Promise<void> {
    const pipe = this.redis.pipeline();
    const bk = this.k.batch(batchId);
    const dups = entries.filter((e) => e.duplicate).map((e) => e.id);
    pipe.hset(bk, { total: entries.length, duplicates: dups.length, lane });
    // Kept from `openBatch` when the batch was opened before its alerts were stored.
    pipe.hsetnx(bk, 'created_ms', Date.now());
    pipe.expire(bk, this.ttl);
    const ik = this.k.batchIds(batchId);
    for (let i = 0; i < entries.length; i += 1000) {
      pipe.rpush(ik, ...entries.slice(i, i + 1000).map((e) => (e.duplicate ? DUP_MARK + e.id : e.id)));
    }
    pipe.expire(ik, this.ttl);
    const err = (await pipe.exec())?.find(([e]) => e)?.[0];
    if (err) throw err;
    if (dups.length) {
      const now = String(Date.now());
      await evalScriptMany(
        this.redis,
        ACCOUNT_DUP_LUA,
        2,
        dups.map((id) => [this.k.alert(id), bk, bk, now, this.ttl]),
      );
    }
  }

  /**
   * A batch's summary before its alerts are stored and enqueued chunk by chunk: its lane, and as its
   * total every item of the request (no fewer can be accepted), so no reader can take it for done
   * while items are still going in. `closeBatch` then writes the total accepted, the duplicates and
   * the listing.
   */
  async openBatch(batchId: string, items: number, lane: Lane): Promise<void> {
    const bk = this.k.batch(batchId);
    // A pipeline, not MULTI: a refusal (out of memory) then comes back as itself, not EXECABORT.
    const res = await this.redis
      .pipeline()
      .hset(bk, { total: items, duplicates: 0, created_ms: Date.now(), lane })
      .expire(bk, this.ttl)
      .exec();
    const err = res?.find(([e]) => e)?.[0];
    if (err) throw err;
  }

  /**
   * Moves a record to `enriching` / `classifying`, never back from a final state. Returns when the
   * stage first started (ms; kept across retries and delays), undefined when the alert is final, or
   * `paused` when its batch is paused — then `parkAs` (`<queue>|<job id>`) is recorded for resume.
   */
  async setStage(
    id: string,
    status: Extract<AlertStatus, 'enriching' | 'classifying'>,
    parkAs = '',
  ): Promise<number | undefined | 'paused'> {
    const started = (await evalScript(
      this.redis,
      STAGE_LUA,
      1,
      ...this.stageArgs(id, status, parkAs),
    )) as number;
    if (started === -2) return 'paused';
    return started < 0 ? undefined : started;
  }

  /**
   * Enrich's first step in one round trip: reads the alert and moves its record to `enriching`
   * (`setStage` + `loadAlert`). Nothing is written when the record is gone, final or paused.
   */
  async beginEnrich(id: string, parkAs = ''): Promise<StageStart> {
    const r = await this.beginStage(id, 'enriching', parkAs, false, []);
    if ('state' in r) return r;
    const [normalized, input, stored] = r.fields;
    const alert = payloadAlert(normalized, input, stored);
    return alert ? { state: 'started', startedAt: r.startedAt, alert } : { state: 'gone' };
  }

  /**
   * Classify's first step in one round trip: reads the alert, its enrichment and the intake fields
   * and moves the record to `classifying` (`setStage` + `loadAlert` + `loadEnrichment` + `intake`).
   * `gone` also when the enrichment is missing; nothing is written unless the stage starts.
   */
  async beginClassify(id: string, parkAs = ''): Promise<StageStart<ClassifyInput>> {
    const r = await this.beginStage(id, 'classifying', parkAs, true, [
      'enrichment',
      'received_at',
      'source_id_reused',
    ]);
    if ('state' in r) return r;
    const [normalized, input, stored, enrichment, at, reused] = r.fields;
    const alert = payloadAlert(normalized, input, stored);
    if (!alert || !enrichment) return { state: 'gone' };
    const ms = at ? Date.parse(isoTime(at.toString())) : Number.NaN;
    return {
      state: 'started',
      startedAt: r.startedAt,
      alert,
      enrichment: decodeJson<Enrichment>(enrichment),
      ...(Number.isFinite(ms) ? { receivedAt: ms } : {}),
      sourceIdReused: reused?.toString() === '1',
    };
  }

  /** The key and arguments STAGE_LUA and BEGIN_STAGE_LUA share. */
  private stageArgs(id: string, status: string, parkAs: string): Array<string | number> {
    return [this.k.alert(id), status, String(Date.now()), this.k.batch(''), parkAs, this.ttl];
  }

  private async beginStage(
    id: string,
    status: Extract<AlertStatus, 'enriching' | 'classifying'>,
    parkAs: string,
    requireFirstExtra: boolean,
    extra: string[],
  ): Promise<
    | { state: 'gone' }
    | { state: 'final' }
    | { state: 'paused' }
    | { startedAt: number; fields: Array<Buffer | null> }
  > {
    const [code, ...fields] = (await evalScriptBuffer(
      this.redis,
      BEGIN_STAGE_LUA,
      1,
      ...this.stageArgs(id, status, parkAs),
      requireFirstExtra ? '1' : '0',
      ...extra,
    )) as [number, ...Array<Buffer | null>];
    if (code === -1) return { state: 'final' };
    if (code === -2) return { state: 'paused' };
    if (code < 0) return { state: 'gone' };
    return { startedAt: Number(code), fields };
  }

  /** The normalized alert: as enrich left it for classify (`saveEnrichment`), else normalized again. */
  async loadAlert(id: string): Promise<NormalizedAlert | undefined> {
    const [normalized, input, alert] = await this.redis.hmgetBuffer(
      this.k.alert(id),
      'normalized',
      'input',
      'alert',
    );
    return payloadAlert(normalized, input, alert);
  }

  /**
   * What ingest recorded about the intake: when it accepted the alert (epoch ms, for the end-to-end
   * latency) and whether its SIEM id had been seen with other content.
   */
  async intake(id: string): Promise<{ receivedAt?: number; sourceIdReused: boolean }> {
    const [at, reused] = await this.redis.hmget(this.k.alert(id), 'received_at', 'source_id_reused');
    const ms = at ? Date.parse(isoTime(at)) : Number.NaN;
    return { ...(Number.isFinite(ms) ? { receivedAt: ms } : {}), sourceIdReused: reused === '1' };
  }

  /**
   * The enrichment lives only until the verdict (COMPLETE_LUA drops it): classify is its one reader.
   * With it, the normalized `alert` enrich worked on, for classify to read instead of normalizing
   * the submission again (a Wazuh alert: decoding it costs about a quarter of normalizing it, and
   * enrich pays about as much once to encode it); dropped at the verdict too, so neither a queued
   * nor a completed alert keeps it. Not kept when it would not fit the record's compact encoding.
   */
  async saveEnrichment(id: string, enrichment: Enrichment, alert?: NormalizedAlert): Promise<void> {
    const normalized = alert && encodeJson(alert);
    await evalScript(
      this.redis,
      HSET_EXISTING_LUA,
      1,
      this.k.alert(id),
      'enrichment',
      encodeJson(enrichment),
      ...(normalized && normalized.length <= LISTPACK_VALUE_MAX ? ['normalized', normalized] : []),
    );
  }

  async loadEnrichment(id: string): Promise<Enrichment | undefined> {
    const raw = await this.redis.hgetBuffer(this.k.alert(id), 'enrichment');
    return raw ? decodeJson<Enrichment>(raw) : undefined;
  }

  /** Writes the verdict once. Returns false when the alert was already final (a retried job). */
  async complete(
    id: string,
    result: TriageResult,
    batchId?: string,
    opts: { tiCacheHit?: boolean } = {},
  ): Promise<boolean> {
    const now = String(Date.now());
    const done = await evalScript(
      this.redis,
      COMPLETE_LUA,
      5,
      this.k.alert(id),
      batchId ? this.k.batch(batchId) : '',
      this.k.completedChannel,
      this.k.progress,
      this.k.inflight,
      encodeVerdict(result),
      now,
      CLASS_FIELD[result.classification],
      String(result.performance.cost_usd ?? 0),
      result.decided_by === 'cache' ? '1' : '0',
      opts.tiCacheHit ? '1' : '0',
      now,
      id,
    );
    return done === 1;
  }

  /**
   * Replaces the verdict of a completed alert (feedback, incident escalation); batch counters
   * follow. False when the alert is not completed.
   */
  async amend(id: string, result: TriageResult, batchId?: string): Promise<boolean> {
    const done = await evalScript(
      this.redis,
      AMEND_LUA,
      2,
      this.k.alert(id),
      batchId ? this.k.batch(batchId) : '',
      encodeVerdict(result),
      CLASS_FIELD[result.classification],
    );
    return done === 1;
  }

  /**
   * Whether webhook message `messageId` about alert `alertId` was delivered already. Exactly-once
   * delivery rests on this, not on keeping finished results jobs: a results job re-added after its
   * first run completed and was removed (a classify job run again after a crash or a stall) finds
   * the marker and sends nothing. The message of an alert's own verdict (`messageId` = `alertId`,
   * nearly every message) is marked in its record, which outlives any re-add of it (a record that
   * expired has no verdict left to deliver); other messages (feedback, incidents) by a key each,
   * kept as long as a record.
   */
  async delivered(alertId: string, messageId: string): Promise<boolean> {
    if (messageId === alertId) return (await this.redis.hget(this.k.alert(alertId), 'delivered')) === '1';
    return (await this.redis.exists(this.k.delivered(messageId))) === 1;
  }

  /** Records that webhook message `messageId` about `alertId` was delivered (see `delivered`). */
  async markDelivered(alertId: string, messageId: string): Promise<void> {
    if (messageId === alertId)
      await evalScript(this.redis, HSET_EXISTING_LUA, 1, this.k.alert(alertId), 'delivered', '1');
    else await this.redis.set(this.k.delivered(messageId), '1', 'EX', this.ttl);
  }

  /** Marks the alert failed once (after its last attempt). */
  async fail(id: string, error: string, batchId?: string): Promise<boolean> {
    const now = String(Date.now());
    const done = await evalScript(
      this.redis,
      FAIL_LUA,
      5,
      this.k.alert(id),
      batchId ? this.k.batch(batchId) : '',
      this.k.completedChannel,
      this.k.progress,
      this.k.inflight,
      error.slice(0, 2000),
      now,
      now,
      id,
    );
    return done === 1;
  }

  async get(id: string): Promise<AlertView | undefined> {
    const [status, batchId, receivedAt, completedAt, error, input, stored, result] =
      await this.redis.hmgetBuffer(
        this.k.alert(id),
        'status',
        'batch_id',
        'received_at',
        'completed_at',
        'error',
        'input',
        'alert',
        'result',
      );
    const alert = status ? revive(input, stored) : undefined;
    if (!status || !alert) return undefined;
    return {
      id,
      status: status.toString() as AlertStatus,
      ...(batchId ? { batch_id: batchId.toString() } : {}),
      received_at: receivedAt ? isoTime(receivedAt.toString()) : '',
      ...(completedAt ? { completed_at: isoTime(completedAt.toString()) } : {}),
      ...(error ? { error: error.toString() } : {}),
      alert,
      ...(result ? { result: decodeJson<TriageResult>(result) } : {}),
    };
  }

  /**
   * Status, verdict and source fields of an alert, read as stored: no submission normalized again
   * (what a webhook carries). Records written before the format was stored are read whole.
   */
  async source(id: string): Promise<AlertSource | undefined> {
    const [status, batchId, result, format, name, sourceId, delivered] = await this.redis.hmgetBuffer(
      this.k.alert(id),
      'status',
      'batch_id',
      'result',
      'format',
      'name',
      'source_id',
      'delivered',
    );
    if (!status) return undefined;
    if (!format || !name) {
      const view = await this.get(id);
      if (!view) return undefined;
      const { alert } = view;
      return {
        status: view.status,
        ...(view.batch_id ? { batch_id: view.batch_id } : {}),
        ...(view.result ? { result: view.result } : {}),
        format: alert.format,
        name: alert.name,
        ...(alert.source_id ? { source_id: alert.source_id } : {}),
        delivered: delivered?.toString() === '1',
      };
    }
    return {
      status: status.toString() as AlertStatus,
      ...(batchId ? { batch_id: batchId.toString() } : {}),
      ...(result ? { result: decodeJson<TriageResult>(result) } : {}),
      format: format.toString() as AlertFormat,
      name: name.toString(),
      ...(sourceId ? { source_id: sourceId.toString() } : {}),
      delivered: delivered?.toString() === '1',
    };
  }

  /** Status (and verdict when there is one) of many alerts in one round trip. */
  async statuses(
    ids: string[],
  ): Promise<
    Array<{ id: string; status: AlertStatus; name?: string; source_id?: string; result?: TriageResult }>
  > {
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hmgetBuffer(this.k.alert(id), 'status', 'result', 'name', 'source_id');
    const res = (await pipe.exec()) ?? [];
    return ids.map((id, i) => {
      const [status, result, name, sourceId] = ((res[i]?.[1] as Array<Buffer | null> | undefined) ?? []).map(
        (b, j) => (j === 1 ? b : b?.toString()),
      ) as [string | undefined, Buffer | undefined, string | undefined, string | undefined];
      return {
        id,
        // A record that expired (RESULT_TTL_SECONDS) while its batch index remained.
        status: (status ?? 'failed') as AlertStatus,
        ...(name ? { name } : {}),
        ...(sourceId ? { source_id: sourceId } : {}),
        ...(result ? { result: decodeJson<TriageResult>(result) } : {}),
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
      lane: h.lane === 'backlog' ? 'backlog' : 'live',
      paused: h.paused === '1',
      total,
      duplicates: n('duplicates'),
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

  /**
   * Pauses a batch: its jobs still queued are parked as they come up (setStage). Returns the lane,
   * or undefined for an unknown batch; only a backlog batch is paused (live alerts are never held).
   */
  async pauseBatch(batchId: string): Promise<Lane | undefined> {
    const lane = await this.redis.hget(this.k.batch(batchId), 'lane');
    if (lane === null) return undefined;
    if (lane === 'backlog') await this.redis.hset(this.k.batch(batchId), 'paused', '1');
    return lane === 'backlog' ? 'backlog' : 'live';
  }

  /**
   * Resumes a batch. Returns how many of its jobs are parked (to hand to `promoteParked`), or
   * undefined for an unknown batch.
   */
  async resumeBatch(batchId: string): Promise<number | undefined> {
    const bk = this.k.batch(batchId);
    const res = (await this.redis
      .multi()
      .exists(bk)
      .hdel(bk, 'paused')
      .scard(this.k.batchParked(batchId))
      .exec()) as Array<[Error | null, number]> | null;
    return res?.[0]?.[1] ? (res[2]?.[1] ?? 0) : undefined;
  }

  /**
   * Hands a resumed batch's parked jobs (`<queue>|<job id>`) to `promote`, a page at a time; a page
   * leaves the parked set only after `promote` returned, so a promotion cut short (a crash) is
   * finished by resuming again — and every parked job also comes back by itself after PARK_MS.
   */
  async unparkAll(batchId: string, promote: (parked: string[]) => Promise<void>): Promise<number> {
    const pk = this.k.batchParked(batchId);
    let n = 0;
    for (;;) {
      if (await this.isPaused(batchId)) return n; // paused again meanwhile: leave the rest parked
      const page = await this.redis.srandmember(pk, 500);
      if (page.length === 0) return n;
      await promote(page);
      await this.redis.srem(pk, ...page);
      n += page.length;
    }
  }

  /** Whether a batch is paused now (a parked job checks again after parking itself). */
  async isPaused(batchId: string): Promise<boolean> {
    return (await this.redis.hget(this.k.batch(batchId), 'paused')) === '1';
  }

  /** Summaries of many batches in one round trip (undefined for an unknown one). */
  async batchSummaries(batchIds: string[]): Promise<Array<BatchSummary | undefined>> {
    return Promise.all(batchIds.map((id) => this.batchSummary(id)));
  }

  /** One page of a batch's listing: every accepted item in input order. */
  async batchEntries(batchId: string, cursor: number, limit: number): Promise<BatchEntry[]> {
    const raw = await this.redis.lrange(this.k.batchIds(batchId), cursor, cursor + limit - 1);
    return raw.map((e) => (e.startsWith(DUP_MARK) ? { id: e.slice(1), duplicate: true } : { id: e }));
  }

  /**
   * Intake's write of new alerts, in request order: remembers which alert each SIEM id and content
   * became, and stores the record of every alert that is not a re-send (with `received_at` and
   * `batch_id` of the request) in the same script call — one round trip and one command to build
   * per chunk of a batch instead of three. Returns, per alert: `{ duplicate: id }` when the same
   * source id with the same content (fingerprint) was already accepted (no record is written: the
   * caller answers with that id), `{ reused: true }` when the id was seen with other content (a new
   * alert all the same, flagged in its record), `{}` otherwise. A claim whose alert record never
   * appeared (the accepting process died between the two steps, so the SIEM never got a 202) is
   * taken over after a grace period instead of turning the re-send into a phantom duplicate.
   * On an error any of these alerts may have been written: `forget` them all.
   */
  async claimAndCreate(
    alerts: IntakeAlert[],
    request: { receivedAt: string; batchId?: string | undefined },
  ): Promise<Array<{ duplicate?: string; reused?: boolean }>> {
    if (alerts.length === 0) return [];
    const head = [this.ttl, String(Date.now()), this.k.alert(''), storedTime(request.receivedAt)];
    const calls: Array<Promise<unknown>> = [];
    for (let i = 0; i < alerts.length; i += CLAIM_CREATE_PER_CALL) {
      const keys: string[] = [this.k.inflight];
      const args: Array<string | number | Buffer> = [...head, request.batchId ?? ''];
      for (const a of alerts.slice(i, i + CLAIM_CREATE_PER_CALL)) {
        const sid = a.alert.source_id ?? '';
        keys.push(this.k.alert(a.id));
        if (sid) keys.push(this.k.sourceId(a.alert.format, sid));
        args.push(
          a.id,
          a.alert.fingerprint,
          a.alert.name,
          a.alert.format,
          sid,
          a.input.encoded ?? encodeSubmission(a.input),
        );
      }
      // Calls on one connection run in order: a later call sees an earlier one's claims.
      calls.push(evalScript(this.redis, CLAIM_CREATE_LUA, keys.length, ...keys, ...args));
    }
    const results = (await Promise.all(calls)).flat() as string[];
    return alerts.map((_, j) => {
      const r = results[j] ?? '';
      if (r.startsWith('d') && r.length > 1) return { duplicate: r.slice(1) };
      return r === 'r' ? { reused: true } : {};
    });
  }

  /** Undoes `create` or `claimAndCreate` when enqueueing failed, so a retry of the request is not a "duplicate". */
  async forget(alerts: Array<Pick<NewAlert, 'id' | 'alert'>>, batchId?: string): Promise<void> {
    const pipe = this.redis.pipeline();
    if (batchId) pipe.del(this.k.batch(batchId), this.k.batchIds(batchId));
    for (const a of alerts) pipe.del(this.k.alert(a.id));
    if (alerts.length) pipe.zrem(this.k.inflight, ...alerts.map((a) => a.id));
    await pipe.exec();
    await this.releaseClaims(
      alerts.flatMap((a) =>
        a.alert.source_id
          ? [
              {
                format: a.alert.format,
                sourceId: a.alert.source_id,
                fingerprint: a.alert.fingerprint,
                id: a.id,
              },
            ]
          : [],
      ),
    );
  }

  /**
   * Withdraws source-id claims a request made but could not honour (Redis refused the rest of the
   * intake): only claims still naming that request's alert ids, so a concurrent request's stand.
   */
  async releaseClaims(claims: SourceIdClaim[]): Promise<void> {
    await evalScriptMany(
      this.redis,
      RELEASE_CLAIM_LUA,
      1,
      claims.map((c) => [this.k.sourceId(c.format, c.sourceId), c.fingerprint, `${c.id}|`]),
    );
  }

  /** Alerts in progress last checked before `before` (ms), oldest first: the sweeper's next page. */
  async inflightBefore(before: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.k.inflight, '-inf', before, 'LIMIT', 0, limit);
  }

  /** Marks alerts as checked now (to the back of the sweeper's list), and drops others from it. */
  async touchInflight(ids: string[], drop: string[] = [], at = Date.now()): Promise<void> {
    const pipe = this.redis.pipeline();
    if (ids.length) pipe.zadd(this.k.inflight, 'XX', ...ids.flatMap((id) => [at, id]));
    if (drop.length) pipe.zrem(this.k.inflight, ...drop);
    if (ids.length || drop.length) await pipe.exec();
  }

  /**
   * What the sweeper judges alerts by: status, batch, whether the enrichment is stored (then the
   * next stage is classify) and how often the alert was re-driven already.
   */
  async progressOf(ids: string[]): Promise<AlertProgress[]> {
    const pipe = this.redis.pipeline();
    for (const id of ids) {
      pipe.hmget(this.k.alert(id), 'status', 'batch_id', 'redrives');
      pipe.hexists(this.k.alert(id), 'enrichment');
    }
    const res = (await pipe.exec()) ?? [];
    return ids.map((id, i) => {
      const [status, batchId, redrives] = (res[2 * i]?.[1] as Array<string | null> | undefined) ?? [];
      return {
        id,
        ...(status ? { status: status as AlertStatus } : {}),
        ...(batchId ? { batchId } : {}),
        enriched: res[2 * i + 1]?.[1] === 1,
        redrives: Number(redrives ?? 0),
      };
    });
  }

  /**
   * Counts one more re-drive of a stranded alert; returns the new count, or 0 when the record is
   * gone (expired since it was read): then there is nothing to run again, and no key without TTL.
   */
  async countRedrive(id: string): Promise<number> {
    return Number(await evalScript(this.redis, HINCR_EXISTING_LUA, 1, this.k.alert(id), 'redrives'));
  }

  /** The lane of a batch (`live` when unknown). */
  async laneOf(batchId: string | undefined): Promise<Lane> {
    if (!batchId) return 'live';
    return (await this.redis.hget(this.k.batch(batchId), 'lane')) === 'backlog' ? 'backlog' : 'live';
  }
}
