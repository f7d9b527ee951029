import { z } from 'zod';
import { EnvBool, EnvInt, EnvList, HttpUrl, OptionalSecret, RateLimit } from './env.ts';

/** Threat-intel providers, their limits, caching and verdict thresholds (README "Threat intel"). */
export const IntelConfig = z.object({
  /** Bundled Tor exit / Spamhaus DROP snapshots. */
  OFFLINE_INTEL: EnvBool.default(true),

  /** AbuseIPDB v2 key; unset = AbuseIPDB is not used. */
  ABUSEIPDB_API_KEY: OptionalSecret,
  /** AbuseIPDB endpoint (a proxy, a mirror, or a local fake in tests). */
  ABUSEIPDB_BASE_URL: HttpUrl.default('https://api.abuseipdb.com'),
  /** Requests per window across all processes: `N/s`, `N/min` or `N/h`. */
  ABUSEIPDB_RATE_LIMIT: RateLimit.prefault('60/min'),
  /** Checks per UTC day; resets 00:00 UTC. 0 = no daily cap (the rate limit still applies). */
  ABUSEIPDB_DAILY_QUOTA: EnvInt(0).default(1000),
  /** `maxAgeInDays` of the check: how far back reports count. */
  ABUSEIPDB_MAX_AGE_DAYS: EnvInt(1, 365).default(90),
  /** abuseConfidenceScore at or above → malicious. */
  ABUSEIPDB_MALICIOUS_SCORE: EnvInt(0, 100).default(75),
  /** abuseConfidenceScore at or above → suspicious. */
  ABUSEIPDB_SUSPICIOUS_SCORE: EnvInt(0, 100).default(25),

  /** VirusTotal v3 key; unset = VirusTotal is not used. */
  VIRUSTOTAL_API_KEY: OptionalSecret,
  /** VirusTotal endpoint. */
  VIRUSTOTAL_BASE_URL: HttpUrl.default('https://www.virustotal.com'),
  /** Requests per window across all processes (public API: 4/min). */
  VIRUSTOTAL_RATE_LIMIT: RateLimit.prefault('4/min'),
  /** Lookups per UTC day; resets 00:00 UTC. 0 = no daily cap (the rate limit still applies). */
  VIRUSTOTAL_DAILY_QUOTA: EnvInt(0).default(500),
  /** Engines flagging malicious at or above → malicious. */
  VIRUSTOTAL_MALICIOUS_DETECTIONS: EnvInt(1).default(3),
  /** malicious + suspicious engines at or above → suspicious. */
  VIRUSTOTAL_SUSPICIOUS_DETECTIONS: EnvInt(1).default(1),

  /** Per-request timeout for provider HTTP calls. */
  INTEL_TIMEOUT_MS: EnvInt(100).default(10_000),
  /** The longest an alert waits for lookups before it is classified with `partial_intel`. */
  INTEL_WAIT_MS: EnvInt(0).default(60_000),
  /** Cache TTL of an IP answer. */
  INTEL_TTL_IP_SECONDS: EnvInt(1).default(6 * 3600),
  /** Cache TTL of a domain answer. */
  INTEL_TTL_DOMAIN_SECONDS: EnvInt(1).default(24 * 3600),
  /** Cache TTL of a URL answer. */
  INTEL_TTL_URL_SECONDS: EnvInt(1).default(24 * 3600),
  /** Cache TTL of a file-hash answer (verdicts on files change slowly). */
  INTEL_TTL_HASH_SECONDS: EnvInt(1).default(7 * 24 * 3600),
  /** TTL of "unknown / not found" answers (negative cache). */
  INTEL_NEGATIVE_TTL_SECONDS: EnvInt(1).default(3600),
  /** IPs, CIDRs or domains never sent to any provider (e.g. your own egress, partner ranges). */
  INTEL_ALLOWLIST: EnvList.default([]),
  /**
   * Most observables taken from one alert (named fields first). Beyond this an alert is a log dump,
   * and every extra observable costs provider quota.
   */
  INTEL_MAX_OBSERVABLES: EnvInt(1, 10_000).default(100),
  /** Pause before the single quick retry of a provider call (network error, timeout, 502/503/504). */
  INTEL_QUICK_RETRY_DELAY_MS: EnvInt(0, 10_000).default(250),
  /**
   * How soon a waiting alert re-checks its lookups when no wake-up arrives (a finished lookup wakes
   * its alerts directly; this is the fallback).
   */
  INTEL_POLL_MS: EnvInt(50, 60_000).default(2000),
  /**
   * Safety margin added to each provider's rate window when reserving calls, so network latency and
   * clock skew between our reservation and the provider's own counter never add up to a 429.
   */
  INTEL_RATE_MARGIN_MS: EnvInt(0, 60_000).default(100),
});
