import type { NormalizedAlert, Observable, ObservableType, ProviderName } from '@triage/contracts';
import { evalScript, type Redis, type TriageConfig } from '@triage/runtime';
import { Allowlist } from './allowlist.ts';
import { extractObservables } from './extract.ts';
import { intelKeys } from './intel-keys.ts';
import { AbuseIpdbProvider } from './providers/abuseipdb.provider.ts';
import { VirusTotalProvider } from './providers/virustotal.provider.ts';

/** What each paid provider answers for. */
export const PROVIDER_TYPES: Record<'abuseipdb' | 'virustotal', ReadonlySet<ObservableType>> = {
  abuseipdb: AbuseIpdbProvider.TYPES,
  virustotal: VirusTotalProvider.TYPES,
};

/** Observables that may leave the process: public or unscoped, and not allow-listed. */
export function sendable<T extends Observable>(observables: readonly T[]): T[] {
  return observables.filter((o) => !o.allowlisted && (o.scope === undefined || o.scope === 'public'));
}

/** Adds the members whose answer is not cached yet. KEYS: the set. ARGV: cache key prefix, TTL, members. */
const TRACK_LUA = `
local added = 0
for i = 3, #ARGV do
  if redis.call('EXISTS', ARGV[1] .. ARGV[i]) == 0 then
    added = added + redis.call('SADD', KEYS[1], ARGV[i])
  end
end
if added > 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return added
`;

/**
 * The distinct observables queued alerts will need a paid provider for and that are not cached:
 * one Redis set per provider, filled by ingest as alerts are accepted and emptied as answers are
 * cached, lookups fail for good, or alerts go on without them (quota spent). Its size is the
 * number of lookups still ahead, which is what the ETA needs: the queue holds alerts, not values.
 */
export class PendingLookups {
  private readonly redis: Redis;
  private readonly keys: ReturnType<typeof intelKeys>;
  private readonly config: TriageConfig;
  private readonly allowlist: Allowlist;
  /** Providers with an API key: only those are ever asked. */
  readonly providers: Array<'abuseipdb' | 'virustotal'>;

  constructor(redis: Redis, prefix: string, config: TriageConfig) {
    this.redis = redis;
    this.keys = intelKeys(prefix);
    this.config = config;
    this.allowlist = new Allowlist(config.INTEL_ALLOWLIST);
    this.providers = [
      ...(config.ABUSEIPDB_API_KEY ? (['abuseipdb'] as const) : []),
      ...(config.VIRUSTOTAL_API_KEY ? (['virustotal'] as const) : []),
    ];
  }

  /** The set of one provider (for a reader of its size). */
  key(provider: ProviderName): string {
    return this.keys.ahead(provider);
  }

  /** Whether `track` records anything (a provider has a key): it then reads the alerts' signals too. */
  get tracking(): boolean {
    return this.providers.length > 0;
  }

  /**
   * Records what newly accepted alerts will need looked up: one round trip per configured provider
   * (none without a key). Observables are extracted as the enrich worker will extract them.
   */
  async track(alerts: readonly NormalizedAlert[]): Promise<void> {
    if (this.providers.length === 0 || alerts.length === 0) return;
    const values = new Map<string, Observable>();
    for (const a of alerts) {
      const found = extractObservables(a, {
        allowlist: this.allowlist,
        maxObservables: this.config.INTEL_MAX_OBSERVABLES,
      });
      for (const o of sendable(found)) values.set(`${o.type}|${o.value}`, o);
    }
    await Promise.all(
      this.providers.map(async (p) => {
        const members = [...values.values()]
          .filter((o) => PROVIDER_TYPES[p].has(o.type))
          .map((o) => this.keys.obsId(o.type, o.value));
        if (members.length === 0) return;
        await evalScript(
          this.redis,
          TRACK_LUA,
          1,
          this.key(p),
          this.keys.cachePrefix(p),
          this.config.RESULT_TTL_SECONDS,
          ...members,
        );
      }),
    );
  }
}
