import { JOBS, type Observable } from '@triage/contracts';
import { createQueue, type TriageConfig } from '@triage/runtime';
import type { Queue } from 'bullmq';
import type { IntelServiceOptions } from './intel-service.options.ts';
import { ProviderLimits } from './limits.ts';
import type { IntelProvider } from './provider.ts';
import { AbuseIpdbProvider, abuseIpdbOptions } from './providers/abuseipdb.provider.ts';
import { VirusTotalProvider, virusTotalOptions } from './providers/virustotal.provider.ts';

export type ExternalName = 'abuseipdb' | 'virustotal';

/** A paid, rate-limited provider reached through its own lookup queue. */
export interface External {
  name: ExternalName;
  spec: typeof JOBS.intelAbuseipdb | typeof JOBS.intelVirustotal;
  /** Undefined when no API key is configured. */
  provider: IntelProvider | undefined;
  /** What the provider answers for, configured or not (an unconfigured one is reported as missing). */
  supports: (type: Observable['type']) => boolean;
  limits: ProviderLimits;
  queue: Queue | undefined;
}

/**
 * Both external providers with their limits; the provider and its queue exist only when its API
 * key is set (an unconfigured provider is still listed, so gather can report it as missing).
 */
export function buildExternals(opts: IntelServiceOptions): External[] {
  const c = opts.config;
  const limits = (name: ExternalName, rate: TriageConfig['ABUSEIPDB_RATE_LIMIT'], dailyQuota: number) =>
    new ProviderLimits(opts.redis, opts.prefix, name, {
      rate,
      dailyQuota,
      marginMs: c.INTEL_RATE_MARGIN_MS,
      // A reservation whose process died mid-call frees its slot after the longest possible call.
      maxCallMs: c.INTEL_TIMEOUT_MS + 5000,
    });
  const abuse = limits('abuseipdb', c.ABUSEIPDB_RATE_LIMIT, c.ABUSEIPDB_DAILY_QUOTA);
  const vt = limits('virustotal', c.VIRUSTOTAL_RATE_LIMIT, c.VIRUSTOTAL_DAILY_QUOTA);
  const abuseOpts = abuseIpdbOptions(c, abuse.gate);
  const vtOpts = virusTotalOptions(c, vt.gate);
  const externals: External[] = [
    {
      name: 'abuseipdb',
      spec: JOBS.intelAbuseipdb,
      limits: abuse,
      provider: abuseOpts && new AbuseIpdbProvider(abuseOpts),
      supports: (t) => AbuseIpdbProvider.TYPES.has(t),
      queue: undefined,
    },
    {
      name: 'virustotal',
      spec: JOBS.intelVirustotal,
      limits: vt,
      provider: vtOpts && new VirusTotalProvider(vtOpts),
      supports: (t) => VirusTotalProvider.TYPES.has(t),
      queue: undefined,
    },
  ];
  for (const e of externals) {
    if (e.provider) e.queue = createQueue(e.spec, opts.connection, opts.prefix);
  }
  return externals;
}
