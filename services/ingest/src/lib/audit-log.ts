import type { AuditEntry as ListedEntry } from '@triage/contracts';
import { keys, type Logger, type Redis } from '@triage/runtime';

/** What is recorded of one admin action (the listing adds its stream id and time). */
export type AuditEntry = Omit<ListedEntry, 'id' | 'at'>;

/** How many entries the Redis stream keeps (approximately; trimming is lazy). */
const MAX_ENTRIES = 100_000;

/**
 * Who did what to the pipeline, when: every admin action (Bull Board actions, Redis stats), refused
 * ones included. One log line each (`audit: true`), and a capped Redis stream (`<prefix>:audit`,
 * read with `XREVRANGE`) that outlives the process's logs. Writing never delays or fails a request.
 */
export class AuditLog {
  private readonly redis: Redis;
  private readonly key: string;
  private readonly logger: Logger;

  constructor(redis: Redis, prefix: string, logger: Logger) {
    this.redis = redis;
    this.key = keys(prefix).audit;
    this.logger = logger.child({ component: 'audit' });
  }

  record(entry: AuditEntry): void {
    const at = new Date().toISOString();
    this.logger.info({ audit: true, at, ...entry }, 'admin action');
    void this.redis
      .xadd(this.key, 'MAXLEN', '~', MAX_ENTRIES, '*', 'at', at, ...Object.entries(entry).flat().map(String))
      .catch((err: Error) =>
        this.logger.warn({ err: err.message, ...entry }, 'audit entry not stored in Redis'),
      );
  }

  /** Newest first. */
  async recent(count = 100): Promise<ListedEntry[]> {
    return (await this.page(count)).items;
  }

  /**
   * A page of entries, newest first, older than `cursor` (a stream id from the previous page).
   * `next` is the cursor of the following page, null at the oldest entry.
   */
  async page(limit: number, cursor?: string): Promise<{ items: ListedEntry[]; next: string | null }> {
    const rows = await this.redis.xrevrange(this.key, cursor ? `(${cursor}` : '+', '-', 'COUNT', limit);
    const items = rows.map(([id, fields]) => {
      const o: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) o[fields[i]!] = fields[i + 1]!;
      return {
        id,
        at: o.at ?? '',
        key: o.key ?? '',
        method: o.method ?? '',
        route: o.route ?? '',
        path: o.path ?? '',
        status: Number(o.status),
      };
    });
    return { items, next: rows.length === limit ? (rows[rows.length - 1]?.[0] ?? null) : null };
  }
}
