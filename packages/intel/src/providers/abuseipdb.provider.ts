import type {
  AbuseIpdbData,
  IntelVerdict,
  Observable,
  ObservableType,
  ProviderResult,
} from '@triage/contracts';
import type { TriageConfig } from '@triage/runtime';
import { z } from 'zod';
import {
  type CallGate,
  type IntelProvider,
  ProviderAuthError,
  ProviderRateLimitedError,
  ProviderRejectedError,
} from '../provider.ts';
import { getJson, retryAfterMs } from './http-client.ts';

export interface AbuseIpdbOptions {
  apiKey: string;
  /** ABUSEIPDB_BASE_URL, without a trailing slash. */
  baseUrl: string;
  maxAgeDays: number;
  maliciousScore: number;
  suspiciousScore: number;
  timeoutMs: number;
  retryDelayMs: number;
  gate?: CallGate;
}

/** The part of `GET /api/v2/check` we read (docs.abuseipdb.com; fixtures in test/fixtures/intel/abuseipdb_v2). */
const CheckResponse = z.object({
  data: z.object({
    ipAddress: z.string().optional(),
    abuseConfidenceScore: z.number(),
    isWhitelisted: z.boolean().nullable().optional(),
    isTor: z.boolean().optional(),
    totalReports: z.number().optional(),
    numDistinctUsers: z.number().optional(),
    usageType: z.string().nullable().optional(),
    isp: z.string().nullable().optional(),
    domain: z.string().nullable().optional(),
    countryCode: z.string().nullable().optional(),
    lastReportedAt: z.string().nullable().optional(),
  }),
});

/** Without a Retry-After, AbuseIPDB's limits are daily: back off a generous minute and let the ledger decide. */
const DEFAULT_BACKOFF_MS = 60_000;

/** The AbuseIPDB options for this config, or undefined when no API key is set. */
export function abuseIpdbOptions(config: TriageConfig, gate?: CallGate): AbuseIpdbOptions | undefined {
  if (!config.ABUSEIPDB_API_KEY) return undefined;
  return {
    apiKey: config.ABUSEIPDB_API_KEY,
    baseUrl: config.ABUSEIPDB_BASE_URL,
    maxAgeDays: config.ABUSEIPDB_MAX_AGE_DAYS,
    maliciousScore: config.ABUSEIPDB_MALICIOUS_SCORE,
    suspiciousScore: config.ABUSEIPDB_SUSPICIOUS_SCORE,
    timeoutMs: config.INTEL_TIMEOUT_MS,
    retryDelayMs: config.INTEL_QUICK_RETRY_DELAY_MS,
    gate,
  };
}

/** AbuseIPDB v2 `check`: crowd-sourced abuse reports for one IP. */
export class AbuseIpdbProvider implements IntelProvider {
  /** AbuseIPDB knows IPs only. */
  static readonly TYPES: ReadonlySet<ObservableType> = new Set<ObservableType>(['ipv4', 'ipv6']);
  readonly name = 'abuseipdb' as const;
  private readonly opts: AbuseIpdbOptions;

  constructor(opts: AbuseIpdbOptions) {
    this.opts = opts;
  }

  supports(type: ObservableType): boolean {
    return AbuseIpdbProvider.TYPES.has(type);
  }

  async lookup(obs: Observable, signal?: AbortSignal): Promise<ProviderResult> {
    const query = new URLSearchParams({ ipAddress: obs.value, maxAgeInDays: String(this.opts.maxAgeDays) });
    // `verbose` is a bare flag in AbuseIPDB's API; it adds countryName and the report list.
    const url = `${this.opts.baseUrl}/api/v2/check?${query.toString()}&verbose`;
    const res = await getJson(
      url,
      { Key: this.opts.apiKey, Accept: 'application/json' },
      {
        provider: this.name,
        timeoutMs: this.opts.timeoutMs,
        retryDelayMs: this.opts.retryDelayMs,
        gate: this.opts.gate,
        signal,
      },
    );
    if (res.status === 429) {
      throw new ProviderRateLimitedError(this.name, retryAfterMs(res.headers, DEFAULT_BACKOFF_MS));
    }
    if (res.status === 401 || res.status === 403) {
      throw new ProviderAuthError(this.name, {
        status: res.status,
        message: `abuseipdb rejected the API key (${res.status})`,
      });
    }
    if (res.status !== 200) {
      throw new ProviderRejectedError(this.name, 'PROVIDER_REJECTED', {
        status: res.status,
        message: `abuseipdb answered HTTP ${res.status} for an IP`,
      });
    }
    const parsed = CheckResponse.safeParse(res.body);
    if (!parsed.success) {
      throw new ProviderRejectedError(this.name, 'PROVIDER_BAD_RESPONSE', {
        message: 'abuseipdb answer has no data',
      });
    }
    return this.normalize(parsed.data.data);
  }

  /** The provider's answer in our shape, with its verdict. Exposed for the classifier's tests. */
  normalize(d: z.infer<typeof CheckResponse>['data'], checkedAt = new Date()): ProviderResult {
    const data: AbuseIpdbData = {
      abuse_score: d.abuseConfidenceScore,
      is_tor: d.isTor,
      total_reports: d.totalReports,
      distinct_users: d.numDistinctUsers,
      usage_type: d.usageType,
      isp: d.isp,
      domain: d.domain,
      country: d.countryCode,
      is_whitelisted: d.isWhitelisted,
      last_reported_at: d.lastReportedAt,
    };
    for (const k of Object.keys(data) as Array<keyof AbuseIpdbData>)
      if (data[k] === undefined) delete data[k];
    return {
      provider: this.name,
      verdict: this.verdict(d.abuseConfidenceScore, d.isWhitelisted === true),
      checked_at: checkedAt.toISOString(),
      // Never reported: AbuseIPDB has nothing on it, which is not the same as "known good".
      ...(d.totalReports === 0 && d.abuseConfidenceScore === 0 ? { not_found: true } : {}),
      abuseipdb: data,
    };
  }

  private verdict(score: number, whitelisted: boolean): IntelVerdict {
    // AbuseIPDB whitelists well-known infrastructure (resolvers, crawlers): reports there are noise.
    if (whitelisted) return 'harmless';
    if (score >= this.opts.maliciousScore) return 'malicious';
    if (score >= this.opts.suspiciousScore) return 'suspicious';
    return 'unknown';
  }
}
