import { createHash } from 'node:crypto';
import { keys, type Redis } from '@triage/runtime';

const DAY_MS = 86_400_000;

export interface BaselineStoreOptions {
  redis: Redis;
  prefix: string;
  /** Rolling window of the counts (days). Default 14. */
  days?: number;
  /** A host's lineage memory ("first time ever seen") is forgotten after this many idle days. Default 90. */
  lineageMemoryDays?: number;
}

/** What the environment's own history says about one alert, read before the alert is counted. */
export interface BaselineFacts {
  days: number;
  detection?: {
    entity: string;
    /** Times this detection fired on the entity in the window, before this alert. */
    count: number;
    /** Times an analyst confirmed it (TRUE_POSITIVE feedback) on the entity in the window. */
    confirmed: number;
    /** Hosts it fired on in the window (HyperLogLog estimate), this one included. */
    hosts: number;
  };
  lineage?: {
    host: string;
    pair: string;
    /** Times this parent → child pair ran on the host in the window, before this alert. */
    count: number;
    /** Never seen on this host before (while the host's lineage memory lasts). */
    firstOnHost: boolean;
    /** The host had no lineage on record at all (everything is "first" on a new host). */
    newHost: boolean;
  };
}

export interface BaselineInput {
  /** The detection's identity (the similarity key's detection parts). */
  detection: string;
  /** Host, else user. */
  entity?: string;
  host?: string;
  parentImage?: string;
  image?: string;
}

const hash16 = (s: string) => createHash('sha1').update(s).digest('hex').slice(0, 16);

/**
 * Rolling counts of the environment's own history, bounded in memory: one small hash per
 * (detection, entity) and per (host, lineage) with a field per day, trimmed to the window and
 * expiring with it; HyperLogLogs (12 KB at most, a few hundred bytes while small) for distinct
 * hosts per detection and for the lineages a host ever ran. Counts are evidence with numbers for
 * people; they never close an alert: volume is something an attacker can make.
 */
export class BaselineStore {
  private readonly redis: Redis;
  private readonly ns: string;
  private readonly days: number;
  private readonly lineageTtl: number;

  constructor(opts: BaselineStoreOptions) {
    this.redis = opts.redis;
    this.ns = `${keys(opts.prefix).ns('memory')}:bl`;
    this.days = opts.days ?? 14;
    this.lineageTtl = (opts.lineageMemoryDays ?? 90) * 86_400;
  }

  /**
   * Reads the facts for an alert, then counts it. The commands are sent in one tick: on an
   * auto-pipelining connection (a worker's general one) they go out in one write with the other
   * alerts' commands of that tick, where an explicit pipeline is a write of its own per alert.
   */
  async observe(input: BaselineInput, now = Date.now()): Promise<BaselineFacts> {
    const day = Math.floor(now / DAY_MS);
    const ttl = (this.days + 1) * 86_400;
    const stale = Array.from({ length: 7 }, (_, i) => day - this.days - i);
    const r = this.redis;
    const calls: Array<Promise<unknown>> = [];
    const det = input.entity
      ? `${this.ns}:det:${hash16(input.detection)}:${input.entity.toLowerCase()}`
      : undefined;
    const hosts = `${this.ns}:hosts:${hash16(input.detection)}`;
    const pair =
      input.host && input.image && input.parentImage ? `${input.parentImage} → ${input.image}` : undefined;
    const lin = pair ? `${this.ns}:lin:${input.host!.toLowerCase()}` : undefined;
    const linc = pair ? `${this.ns}:linc:${input.host!.toLowerCase()}:${hash16(pair)}` : undefined;
    if (det) {
      calls.push(r.hgetall(det));
      calls.push(r.hincrby(det, `d${day}`, 1));
      calls.push(r.hdel(det, ...stale.flatMap((d) => [`d${d}`, `c${d}`])));
      calls.push(r.expire(det, ttl));
    }
    if (input.host) {
      calls.push(r.pfadd(hosts, input.host.toLowerCase()));
      calls.push(r.expire(hosts, ttl));
    }
    calls.push(r.pfcount(hosts));
    if (lin && linc) {
      calls.push(r.pfcount(lin));
      calls.push(r.pfadd(lin, pair!));
      calls.push(r.expire(lin, this.lineageTtl));
      calls.push(r.hgetall(linc));
      calls.push(r.hincrby(linc, `d${day}`, 1));
      calls.push(r.hdel(linc, ...stale.map((d) => `d${d}`)));
      calls.push(r.expire(linc, ttl));
    }
    const res = await Promise.all(calls);
    return this.facts(res, { det, pair, host: input.host, entity: input.entity, day });
  }

  /** An analyst confirmed this detection on this entity (TRUE_POSITIVE feedback). */
  async confirm(detection: string, entity: string, now = Date.now()): Promise<void> {
    const key = `${this.ns}:det:${hash16(detection)}:${entity.toLowerCase()}`;
    await this.redis
      .pipeline()
      .hincrby(key, `c${Math.floor(now / DAY_MS)}`, 1)
      .expire(key, (this.days + 1) * 86_400)
      .exec();
  }

  private facts(
    res: unknown[],
    c: { det?: string; pair?: string; host?: string; entity?: string; day: number },
  ): BaselineFacts {
    // The order of the commands is fixed by observe(): map replies back by position.
    let i = 0;
    const next = () => res[i++];
    const out: BaselineFacts = { days: this.days };
    let detHash: Record<string, string> | undefined;
    if (c.det) {
      detHash = next() as Record<string, string>;
      i += 3; // hincrby, hdel, expire
    }
    if (c.host) i += 2; // pfadd, expire
    const hostCount = Number(next() ?? 0);
    if (c.det && c.entity) {
      const sum = (p: string) =>
        Object.entries(detHash ?? {})
          .filter(([f]) => f.startsWith(p) && c.day - Number(f.slice(1)) < this.days)
          .reduce((s, [, v]) => s + Number(v), 0);
      out.detection = { entity: c.entity, count: sum('d'), confirmed: sum('c'), hosts: hostCount };
    }
    if (c.pair && c.host) {
      const before = Number(next() ?? 0);
      const added = Number(next() ?? 0);
      i += 1; // expire
      const linHash = (next() as Record<string, string>) ?? {};
      const count = Object.entries(linHash)
        .filter(([f]) => c.day - Number(f.slice(1)) < this.days)
        .reduce((s, [, v]) => s + Number(v), 0);
      out.lineage = { host: c.host, pair: c.pair, count, firstOnHost: added === 1, newHost: before === 0 };
    }
    return out;
  }
}
