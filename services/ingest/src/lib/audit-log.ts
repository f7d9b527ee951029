import { keys, type Logger, type Redis } from '@triage/runtime';

export interface AuditEntry {
  /** Key fingerprint (`key:<12 hex>`), never the key. */
  key: string;
  method: string;
  /** The matched route pattern. */
  route: string;
  /** The path as requested. */
  path: string;
  /** The answer: 2xx done, 403 refused. */
  status: number;
}

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
  async recent(count = 100): Promise<Array<AuditEntry & { at: string }>> {
    const rows = await this.redis.xrevrange(this.key, '+', '-', 'COUNT', count);
    return rows.map(([, fields]) => {
      const o: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) o[fields[i]!] = fields[i + 1]!;
      return {
        at: o.at ?? '',
        key: o.key ?? '',
        method: o.method ?? '',
        route: o.route ?? '',
        path: o.path ?? '',
        status: Number(o.status),
      };
    });
  }
}
