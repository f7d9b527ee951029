import type {
  IntelVerdict,
  Observable,
  ObservableType,
  ProviderResult,
  VirusTotalData,
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

export interface VirusTotalOptions {
  apiKey: string;
  /** VIRUSTOTAL_BASE_URL, without a trailing slash. */
  baseUrl: string;
  maliciousDetections: number;
  suspiciousDetections: number;
  timeoutMs: number;
  retryDelayMs: number;
  gate?: CallGate;
}

/** The part of a v3 object we read (fixtures in test/fixtures/intel/virustotal_v3). */
const ObjectResponse = z.object({
  data: z.object({
    attributes: z.object({
      last_analysis_stats: z
        .object({
          malicious: z.number().default(0),
          suspicious: z.number().default(0),
          harmless: z.number().default(0),
          undetected: z.number().default(0),
        })
        .default({ malicious: 0, suspicious: 0, harmless: 0, undetected: 0 }),
      reputation: z.number().optional(),
      as_owner: z.string().optional(),
      registrar: z.string().optional(),
      country: z.string().optional(),
      tags: z.array(z.string()).optional(),
      meaningful_name: z.string().optional(),
    }),
  }),
});

/** VirusTotal's public limits are per minute and its 429 rarely carries Retry-After. */
const DEFAULT_BACKOFF_MS = 60_000;

const PATH: Record<string, string> = {
  ipv4: 'ip_addresses',
  ipv6: 'ip_addresses',
  domain: 'domains',
  md5: 'files',
  sha1: 'files',
  sha256: 'files',
  url: 'urls',
};

/** VT's URL identifier: the URL in unpadded URL-safe base64 (no submission, no SHA-256 needed). */
export function virusTotalUrlId(url: string): string {
  return Buffer.from(url, 'utf8').toString('base64url');
}

/** The VirusTotal options for this config, or undefined when no API key is set. */
export function virusTotalOptions(config: TriageConfig, gate?: CallGate): VirusTotalOptions | undefined {
  if (!config.VIRUSTOTAL_API_KEY) return undefined;
  return {
    apiKey: config.VIRUSTOTAL_API_KEY,
    baseUrl: config.VIRUSTOTAL_BASE_URL,
    maliciousDetections: config.VIRUSTOTAL_MALICIOUS_DETECTIONS,
    suspiciousDetections: config.VIRUSTOTAL_SUSPICIOUS_DETECTIONS,
    timeoutMs: config.INTEL_TIMEOUT_MS,
    retryDelayMs: config.INTEL_QUICK_RETRY_DELAY_MS,
    gate,
  };
}

/**
 * VirusTotal v3 object reports for IPs, domains, files and URLs. Read-only by design: a URL is
 * never POSTed for scanning, since that would publish a customer's URL (tokens, internal paths)
 * to every VT subscriber.
 */
export class VirusTotalProvider implements IntelProvider {
  /** Emails have no VT object type. */
  static readonly TYPES: ReadonlySet<ObservableType> = new Set(Object.keys(PATH) as ObservableType[]);
  readonly name = 'virustotal' as const;
  private readonly opts: VirusTotalOptions;

  constructor(opts: VirusTotalOptions) {
    this.opts = opts;
  }

  supports(type: ObservableType): boolean {
    return VirusTotalProvider.TYPES.has(type);
  }

  async lookup(obs: Observable, signal?: AbortSignal): Promise<ProviderResult> {
    const collection = PATH[obs.type];
    if (!collection)
      throw new ProviderRejectedError(this.name, 'PROVIDER_REJECTED', { message: `unsupported ${obs.type}` });
    const id = obs.type === 'url' ? virusTotalUrlId(obs.value) : encodeURIComponent(obs.value);
    const res = await getJson(
      `${this.opts.baseUrl}/api/v3/${collection}/${id}`,
      { 'x-apikey': this.opts.apiKey, Accept: 'application/json' },
      {
        provider: this.name,
        timeoutMs: this.opts.timeoutMs,
        retryDelayMs: this.opts.retryDelayMs,
        gate: this.opts.gate,
        signal,
      },
    );
    if (res.status === 404) {
      // NotFoundError: VT has never seen the value. A real answer ("unknown"), cached with the negative TTL.
      return {
        provider: this.name,
        verdict: 'unknown',
        checked_at: new Date().toISOString(),
        not_found: true,
      };
    }
    if (res.status === 429) {
      throw new ProviderRateLimitedError(this.name, retryAfterMs(res.headers, DEFAULT_BACKOFF_MS));
    }
    if (res.status === 401 || res.status === 403) {
      throw new ProviderAuthError(this.name, {
        status: res.status,
        message: `virustotal rejected the API key (${res.status})`,
      });
    }
    if (res.status !== 200) {
      throw new ProviderRejectedError(this.name, 'PROVIDER_REJECTED', {
        status: res.status,
        message: `virustotal answered HTTP ${res.status}`,
      });
    }
    const parsed = ObjectResponse.safeParse(res.body);
    if (!parsed.success) {
      throw new ProviderRejectedError(this.name, 'PROVIDER_BAD_RESPONSE', {
        message: 'virustotal answer has no attributes',
      });
    }
    return this.normalize(parsed.data.data.attributes);
  }

  normalize(a: z.infer<typeof ObjectResponse>['data']['attributes'], checkedAt = new Date()): ProviderResult {
    const stats = a.last_analysis_stats;
    const data: VirusTotalData = {
      malicious: stats.malicious,
      suspicious: stats.suspicious,
      harmless: stats.harmless,
      undetected: stats.undetected,
      reputation: a.reputation,
      owner: a.as_owner,
      registrar: a.registrar,
      country: a.country,
      tags: a.tags?.length ? a.tags.slice(0, 20) : undefined,
      meaningful_name: a.meaningful_name,
    };
    for (const k of Object.keys(data) as Array<keyof VirusTotalData>)
      if (data[k] === undefined) delete data[k];
    return {
      provider: this.name,
      verdict: this.verdict(stats),
      checked_at: checkedAt.toISOString(),
      virustotal: data,
    };
  }

  private verdict(s: { malicious: number; suspicious: number; harmless: number }): IntelVerdict {
    if (s.malicious >= this.opts.maliciousDetections) return 'malicious';
    if (s.malicious + s.suspicious >= this.opts.suspiciousDetections) return 'suspicious';
    // Engines actively calling it clean, none flagging it: the closest VT comes to "known good".
    if (s.harmless > 0) return 'harmless';
    return 'unknown';
  }
}
