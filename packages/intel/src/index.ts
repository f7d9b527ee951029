export { Allowlist } from './allowlist.ts';
export { type CacheRef, IntelCache } from './cache.ts';
export { type ExtractOptions, extractObservables, MAX_OBSERVABLES, refang } from './extract.ts';
export { intelKeys, nextUtcMidnight, utcDay } from './intel-keys.ts';
export {
  type GatherOptions,
  type GatherResult,
  IntelService,
  type IntelServiceOptions,
  type ProviderStatus,
} from './intel-service.ts';
export { ProviderLimits, type ProviderLimitsOptions } from './limits.ts';
export type { LookupOutcome } from './lookup.processor.ts';
export { PendingLookups, PROVIDER_TYPES, sendable } from './pending-lookups.ts';
export * from './provider.ts';
export {
  type AbuseIpdbOptions,
  AbuseIpdbProvider,
  abuseIpdbOptions,
} from './providers/abuseipdb.provider.ts';
export { OfflineProvider } from './providers/offline.provider.ts';
export {
  type VirusTotalOptions,
  VirusTotalProvider,
  virusTotalOptions,
  virusTotalUrlId,
} from './providers/virustotal.provider.ts';
