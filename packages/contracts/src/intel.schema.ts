import { z } from 'zod';
import { ObservableType } from './observable.schema.ts';

export const ProviderName = z.enum(['offline', 'abuseipdb', 'virustotal']);
export type ProviderName = z.infer<typeof ProviderName>;

/** Every provider's answer collapses to one of these (thresholds documented in config). */
export const IntelVerdict = z.enum(['malicious', 'suspicious', 'harmless', 'unknown']);
export type IntelVerdict = z.infer<typeof IntelVerdict>;

export const AbuseIpdbData = z.object({
  abuse_score: z.number(),
  is_tor: z.boolean().optional(),
  total_reports: z.number().optional(),
  distinct_users: z.number().optional(),
  usage_type: z.string().nullable().optional(),
  isp: z.string().nullable().optional(),
  domain: z.string().nullable().optional(),
  country: z.string().nullable().optional(),
  is_whitelisted: z.boolean().nullable().optional(),
  last_reported_at: z.string().nullable().optional(),
});
export type AbuseIpdbData = z.infer<typeof AbuseIpdbData>;

export const VirusTotalData = z.object({
  malicious: z.number(),
  suspicious: z.number(),
  harmless: z.number(),
  undetected: z.number(),
  reputation: z.number().optional(),
  owner: z.string().optional(),
  registrar: z.string().optional(),
  country: z.string().optional(),
  tags: z.array(z.string()).optional(),
  meaningful_name: z.string().optional(),
});
export type VirusTotalData = z.infer<typeof VirusTotalData>;

export const OfflineData = z.object({
  /** Lists the value is on: tor_exit, tor_relay, spamhaus_drop, spamhaus_edrop, spamhaus_dropv6, ... */
  lists: z.array(z.string()),
  /** Date of the bundled snapshot the match came from. */
  snapshot: z.string().optional(),
  /** The matching CIDR for blocklist hits. */
  cidr: z.string().optional(),
});
export type OfflineData = z.infer<typeof OfflineData>;

/** One provider's answer for one observable. */
export const ProviderResult = z.object({
  provider: ProviderName,
  verdict: IntelVerdict,
  /** When the provider answered (ISO-8601); cached answers keep their original time. */
  checked_at: z.string(),
  /** The provider knew nothing about the value (VirusTotal 404, no offline hit). */
  not_found: z.boolean().optional(),
  abuseipdb: AbuseIpdbData.optional(),
  virustotal: VirusTotalData.optional(),
  offline: OfflineData.optional(),
});
export type ProviderResult = z.infer<typeof ProviderResult>;

export const ObservableIntel = z.object({
  type: ObservableType,
  providers: z.record(z.string(), ProviderResult),
});
export type ObservableIntel = z.infer<typeof ObservableIntel>;

export const MissingIntel = z.object({
  provider: ProviderName,
  value: z.string(),
  reason: z.enum(['timeout', 'quota_exhausted', 'throttled', 'error', 'not_configured']),
});

/** What the enrich stage hands to classification. */
export const Enrichment = z.object({
  observables: z.array(
    z.object({
      type: ObservableType,
      value: z.string(),
      scope: z.string().optional(),
      allowlisted: z.boolean().optional(),
    }),
  ),
  /** Keyed by observable value. */
  intel: z.record(z.string(), ObservableIntel),
  /** Some lookups did not finish in time or failed: the verdict is made without them. */
  partial: z.boolean(),
  missing: z.array(MissingIntel).default([]),
  cache: z.object({ hits: z.number().int(), misses: z.number().int() }),
});
export type Enrichment = z.infer<typeof Enrichment>;
