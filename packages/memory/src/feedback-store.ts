import { randomUUID } from 'node:crypto';
import { Feedback } from '@triage/contracts';
import { keys, type Redis } from '@triage/runtime';

/** Newest feedback read per key when matching: the rest is history (audit), not memory. */
const PER_KEY = 20;
/** The audit stream is trimmed near this length (XADD MAXLEN ~): bounded, yet years of analyst actions. */
const AUDIT_MAXLEN = 1_000_000;

export interface FeedbackStoreOptions {
  redis: Redis;
  /** QUEUE_PREFIX: keys live under `<prefix>:memory:fb:` and `<prefix>:memory:audit`. */
  prefix: string;
}

export type NewFeedback = Omit<Feedback, 'id' | 'created_at' | 'applied' | 'expires_at'> & {
  expires_in_days?: number;
};

/**
 * Durable analyst feedback in Redis: one hash per feedback (no TTL unless it expires), a newest-
 * first index, an index per similarity key and per alert, and an append-only audit stream. All
 * keys sit under the configured prefix, so with a `{hash tag}` prefix every MULTI is one slot.
 */
export class FeedbackStore {
  private readonly redis: Redis;
  private readonly ns: string;

  constructor(opts: FeedbackStoreOptions) {
    this.redis = opts.redis;
    this.ns = keys(opts.prefix).ns('memory');
  }

  private k = {
    record: (id: string) => `${this.ns}:fb:${id}`,
    index: () => `${this.ns}:fb:index`,
    byKey: (key: string) => `${this.ns}:fb:key:${key}`,
    byAlert: (alertId: string) => `${this.ns}:fb:alert:${alertId}`,
    audit: () => `${this.ns}:audit`,
  };

  async create(input: NewFeedback, now = new Date()): Promise<Feedback> {
    const { expires_in_days, ...rest } = input;
    const fb: Feedback = Feedback.parse({
      ...rest,
      id: `fb_${randomUUID().replaceAll('-', '')}`,
      created_at: now.toISOString(),
      ...(expires_in_days
        ? { expires_at: new Date(now.getTime() + expires_in_days * 86_400_000).toISOString() }
        : {}),
      applied: { count: 0 },
    });
    const ms = now.getTime();
    const rec = this.k.record(fb.id);
    const tx = this.redis.multi();
    tx.hset(rec, { json: JSON.stringify(fb), applied_count: 0 });
    if (fb.expires_at) tx.pexpireat(rec, Date.parse(fb.expires_at));
    tx.zadd(this.k.index(), ms, fb.id);
    tx.zadd(this.k.byKey(fb.similarity.key), ms, fb.id);
    tx.zadd(this.k.byAlert(fb.alert_id), ms, fb.id);
    tx.xadd(this.k.audit(), 'MAXLEN', '~', AUDIT_MAXLEN, '*', ...auditFields('created', fb, fb.analyst, now));
    await exec(tx);
    return fb;
  }

  async get(id: string): Promise<Feedback | undefined> {
    const h = await this.redis.hgetall(this.k.record(id));
    return h.json ? withCounters(h) : undefined;
  }

  /** Revokes: the feedback stops deciding verdicts at once; its record stays for the audit. */
  async revoke(id: string, by: string, now = new Date()): Promise<Feedback | undefined> {
    const current = await this.get(id);
    if (!current) return undefined;
    if (current.revoked_at) return current;
    const fb: Feedback = { ...current, revoked_at: now.toISOString(), revoked_by: by };
    const tx = this.redis.multi();
    tx.hset(this.k.record(id), 'json', JSON.stringify({ ...fb, applied: current.applied }));
    tx.zrem(this.k.byKey(fb.similarity.key), id);
    tx.xadd(this.k.audit(), 'MAXLEN', '~', AUDIT_MAXLEN, '*', ...auditFields('revoked', fb, by, now));
    await exec(tx);
    return fb;
  }

  /** Newest first; `alertId` restricts to one alert's feedback. Expired records are dropped from the index. */
  async list(
    cursor: number,
    limit: number,
    alertId?: string,
  ): Promise<{ items: Feedback[]; next: number | null }> {
    const index = alertId ? this.k.byAlert(alertId) : this.k.index();
    const ids = await this.redis.zrevrange(index, cursor, cursor + limit - 1);
    const items = await this.load(ids, index);
    const next = ids.length === limit ? cursor + limit : null;
    return { items, next };
  }

  /** Active (not revoked, not expired) feedback on any of the keys, newest first. */
  async activeFor(similarityKeys: string[], now = Date.now()): Promise<Feedback[]> {
    // Sent in one tick: on an auto-pipelining connection (a worker's general one) one write with the
    // other alerts' commands of that tick, where an explicit pipeline is a write of its own.
    const res = await Promise.all(
      similarityKeys.map((key) => this.redis.zrevrange(this.k.byKey(key), 0, PER_KEY - 1)),
    );
    // The keys' records are read together too, not one key's after the other's.
    const loaded = await Promise.all(
      similarityKeys.map((key, i) => this.load(res[i] ?? [], this.k.byKey(key))),
    );
    return loaded
      .flat()
      .filter((f) => !f.revoked_at && !(f.expires_at && Date.parse(f.expires_at) <= now))
      .sort((a, b) => b.created_at.localeCompare(a.created_at));
  }

  /** Counts a verdict the feedback decided (shown on the feedback: how much it closed or raised). */
  async recordApplied(ids: string[], alertId: string, now = new Date()): Promise<void> {
    if (ids.length === 0) return;
    const pipe = this.redis.pipeline();
    for (const id of ids) {
      // HINCRBY would recreate an expired record as a stub without `json`: only touch live ones.
      pipe.hexists(this.k.record(id), 'json');
    }
    const live = ((await pipe.exec()) ?? []).map(([, v]) => v === 1);
    const write = this.redis.pipeline();
    ids.forEach((id, i) => {
      if (!live[i]) return;
      write.hincrby(this.k.record(id), 'applied_count', 1);
      write.hset(this.k.record(id), { applied_last_at: now.toISOString(), applied_last_alert: alertId });
    });
    await write.exec();
  }

  /** Audit entries, newest first (who did what to which feedback and alert, when). */
  async audit(count = 100): Promise<Array<Record<string, string>>> {
    const entries = await this.redis.xrevrange(this.k.audit(), '+', '-', 'COUNT', count);
    return entries.map(([id, fields]) => {
      const o: Record<string, string> = { entry: id };
      for (let i = 0; i + 1 < fields.length; i += 2) o[fields[i]!] = fields[i + 1]!;
      return o;
    });
  }

  private async load(ids: string[], index: string): Promise<Feedback[]> {
    if (ids.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hgetall(this.k.record(id));
    const res = (await pipe.exec()) ?? [];
    const out: Feedback[] = [];
    const gone: string[] = [];
    ids.forEach((id, i) => {
      const h = res[i]?.[1] as Record<string, string> | undefined;
      if (h?.json) out.push(withCounters(h));
      else gone.push(id);
    });
    // Expired feedback (expires_in_days) leaves its id behind in the indexes.
    if (gone.length) await this.redis.zrem(index, ...gone);
    return out;
  }
}

function withCounters(h: Record<string, string>): Feedback {
  const fb = Feedback.parse(JSON.parse(h.json!));
  return {
    ...fb,
    applied: {
      count: Number(h.applied_count ?? 0),
      ...(h.applied_last_at ? { last_at: h.applied_last_at } : {}),
      ...(h.applied_last_alert ? { last_alert_id: h.applied_last_alert } : {}),
    },
  };
}

function auditFields(action: 'created' | 'revoked', fb: Feedback, by: string, now: Date): string[] {
  return [
    'action',
    action,
    'at',
    now.toISOString(),
    'by',
    by,
    ...(fb.key_id ? ['key_id', fb.key_id] : []),
    'feedback_id',
    fb.id,
    'alert_id',
    fb.alert_id,
    'verdict',
    fb.verdict,
    'scope',
    fb.scope,
    'similarity_key',
    fb.similarity.key,
    ...(action === 'created' && fb.changed ? ['changed', JSON.stringify(fb.changed)] : []),
  ];
}

async function exec(tx: ReturnType<Redis['multi']>): Promise<void> {
  const res = await tx.exec();
  const err = res?.find(([e]) => e)?.[0];
  if (err) throw err;
  if (!res) throw new Error('feedback transaction aborted');
}
