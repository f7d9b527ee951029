import { type ObservableType, type ProviderName, ProviderResult } from '@triage/contracts';
import type { Redis, TriageConfig } from '@triage/runtime';
import { type IntelKeys, intelKeys } from './intel-keys.ts';

export interface CacheRef {
  provider: ProviderName;
  type: ObservableType;
  value: string;
}

/**
 * The Redis threat-intel cache: one key per (provider, type, value). Only answers are cached —
 * including "not found", with the shorter negative TTL — never errors, so a provider outage
 * does not poison the cache.
 */
export class IntelCache {
  private readonly redis: Redis;
  private readonly keys: IntelKeys;
  private readonly config: TriageConfig;

  constructor(redis: Redis, prefix: string, config: TriageConfig) {
    this.redis = redis;
    this.keys = intelKeys(prefix);
    this.config = config;
  }

  key(ref: CacheRef): string {
    return this.keys.cache(ref.provider, ref.type, ref.value);
  }

  /** TTL for an answer: by observable type, or the negative TTL when the provider knew nothing. */
  ttlSeconds(type: ObservableType, result: ProviderResult): number {
    const c = this.config;
    if (result.not_found || result.verdict === 'unknown') return c.INTEL_NEGATIVE_TTL_SECONDS;
    switch (type) {
      case 'ipv4':
      case 'ipv6':
        return c.INTEL_TTL_IP_SECONDS;
      case 'domain':
      case 'email':
        return c.INTEL_TTL_DOMAIN_SECONDS;
      case 'url':
        return c.INTEL_TTL_URL_SECONDS;
      default:
        return c.INTEL_TTL_HASH_SECONDS;
    }
  }

  /** Decodes a stored answer; anything unreadable (an older shape, a manual edit) counts as a miss. */
  static decode(raw: string | null | undefined): ProviderResult | undefined {
    if (!raw) return undefined;
    try {
      const parsed = ProviderResult.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** Many answers in one round trip (MGET), in the order asked. */
  async getMany(refs: readonly CacheRef[]): Promise<Array<ProviderResult | undefined>> {
    if (refs.length === 0) return [];
    const raw = await this.redis.mget(...refs.map((r) => this.key(r)));
    return raw.map((r) => IntelCache.decode(r));
  }

  async get(ref: CacheRef): Promise<ProviderResult | undefined> {
    return IntelCache.decode(await this.redis.get(this.key(ref)));
  }

  /** Stores an answer and indexes it for the size count; expired index entries are trimmed on the way. */
  async set(ref: CacheRef, result: ProviderResult, now = Date.now()): Promise<void> {
    const key = this.key(ref);
    const ttl = this.ttlSeconds(ref.type, result);
    const index = this.keys.cacheIndex(ref.provider);
    // The value is no longer a lookup ahead (PendingLookups): removed in the same step, so a
    // concurrent ingest either sees the answer or its mark is removed here.
    await this.redis
      .multi()
      .set(key, JSON.stringify(result), 'EX', ttl)
      .zadd(index, now + ttl * 1000, key)
      .zremrangebyscore(index, '-inf', now)
      .srem(this.keys.ahead(ref.provider), this.keys.obsId(ref.type, ref.value))
      .exec();
  }

  /** Live entries for one provider (ZCOUNT on the index: no SCAN). */
  async size(provider: ProviderName, now = Date.now()): Promise<number> {
    return this.redis.zcount(this.keys.cacheIndex(provider), now, '+inf');
  }
}
