import { FakeHttpServer, type FakeRateLimit, stableNumber, VendorFake } from './fake-server.ts';

export interface VirusTotalStats {
  malicious: number;
  suspicious: number;
  harmless: number;
  undetected: number;
}

export interface VirusTotalFakeOptions {
  apiKey?: string;
  /** The fake's own limit (the public API allows 4/min; tests use per-second limits). */
  rateLimit?: FakeRateLimit;
  /** last_analysis_stats per value (IP, domain, hash, or the URL itself); others get stable stats. */
  detections?: Record<string, Partial<VirusTotalStats>>;
  /** Values VirusTotal has never seen: 404 NotFoundError. */
  notFound?: string[];
}

const COLLECTIONS: Record<string, string> = {
  ip_addresses: 'ip_address',
  domains: 'domain',
  files: 'file',
  urls: 'url',
};

/** Decodes a v3 URL identifier (unpadded URL-safe base64) back to the URL, for the stats. */
function decodeUrlId(id: string): string {
  return Buffer.from(id, 'base64url').toString('utf8');
}

/**
 * A local VirusTotal v3: `GET /api/v3/{ip_addresses,domains,files,urls}/{id}` with `x-apikey`,
 * answering `{"data": {id, type, attributes: {last_analysis_stats, reputation, ...}}}` (shapes from
 * test/fixtures/intel/virustotal_v3) and VT's `{"error": {code, message}}` bodies. URL ids are
 * decoded, so `seen` holds the URLs themselves. A POST to /api/v3/urls (a scan submission) is
 * answered but counted in `submissions`: the pipeline must never make one.
 */
export class VirusTotalFake extends VendorFake {
  readonly apiKey: string;
  protected readonly server: FakeHttpServer;
  private readonly detections: Map<string, Partial<VirusTotalStats>>;
  private readonly notFound: Set<string>;
  private submissionCount = 0;

  constructor(opts: VirusTotalFakeOptions = {}) {
    super();
    this.apiKey = opts.apiKey ?? 'virustotal-test-key';
    this.detections = new Map(Object.entries(opts.detections ?? {}));
    this.notFound = new Set(opts.notFound ?? []);
    this.server = new FakeHttpServer({
      keyHeader: 'x-apikey',
      apiKey: this.apiKey,
      rateLimit: opts.rateLimit,
      valueOf: (req, url) => {
        const m = /^\/api\/v3\/([a-z_]+)\/([^/]+)$/.exec(url.pathname);
        if (!m || req.method !== 'GET') return undefined;
        const id = decodeURIComponent(m[2]!);
        return m[1] === 'urls' ? decodeUrlId(id) : id;
      },
      errorBody: (status, message) => ({ error: { code: VirusTotalFake.errorCode(status), message } }),
      handle: (req, url, value) => {
        if (req.method === 'POST' && url.pathname === '/api/v3/urls') {
          this.submissionCount++;
          return { status: 200, body: { data: { type: 'analysis', id: 'u-fake-analysis' } } };
        }
        const m = /^\/api\/v3\/([a-z_]+)\/([^/]+)$/.exec(url.pathname);
        const type = m ? COLLECTIONS[m[1]!] : undefined;
        if (req.method !== 'GET' || !m || !type || value === undefined) {
          return { status: 404, body: { error: { code: 'NotFoundError', message: 'Resource not found.' } } };
        }
        if (this.notFound.has(value)) {
          return {
            status: 404,
            body: { error: { code: 'NotFoundError', message: `${type} "${value}" not found` } },
          };
        }
        return { status: 200, body: { data: this.object(m[1]!, type, m[2]!, value) } };
      },
    });
  }

  private static errorCode(status: number): string {
    if (status === 401) return 'WrongCredentialsError';
    if (status === 404) return 'NotFoundError';
    if (status === 429) return 'QuotaExceededError';
    if (status === 503) return 'TransientError';
    return 'InternalError';
  }

  /** The analysis stats the fake reports for a value: configured, or stable from the value. */
  statsOf(value: string): VirusTotalStats {
    const d = this.detections.get(value) ?? {};
    return {
      malicious: d.malicious ?? stableNumber(`${value}#m`, 6),
      suspicious: d.suspicious ?? stableNumber(`${value}#s`, 2),
      harmless: d.harmless ?? 60,
      undetected: d.undetected ?? 10,
    };
  }

  setDetections(value: string, stats: Partial<VirusTotalStats>): void {
    this.detections.set(value, stats);
  }

  setNotFound(value: string): void {
    this.notFound.add(value);
  }

  private object(collection: string, type: string, id: string, value: string) {
    const stats = { ...this.statsOf(value), timeout: 0 };
    const attributes: Record<string, unknown> = {
      last_analysis_stats: stats,
      last_analysis_results: {
        'Fake Engine': {
          category: stats.malicious ? 'malicious' : 'harmless',
          engine_name: 'Fake Engine',
          method: 'blacklist',
          result: stats.malicious ? 'malicious' : 'clean',
        },
      },
      reputation: -stats.malicious,
      tags: stats.malicious ? ['fake-malicious'] : [],
      total_votes: { harmless: 0, malicious: stats.malicious ? 1 : 0 },
    };
    if (type === 'ip_address')
      Object.assign(attributes, { as_owner: 'FAKE-AS', asn: 64500, country: 'NL', network: `${value}/32` });
    if (type === 'domain')
      Object.assign(attributes, { registrar: 'Fake Registrar LLC', creation_date: 1_600_000_000 });
    if (type === 'file')
      Object.assign(attributes, {
        meaningful_name: 'payload.exe',
        type_description: 'Win32 EXE',
        size: 1024,
      });
    if (type === 'url') Object.assign(attributes, { url: value, last_final_url: value });
    return { type, id, links: { self: `${this.url}/api/v3/${collection}/${id}` }, attributes };
  }

  /** URL scan submissions received (must stay 0). */
  get submissions(): number {
    return this.submissionCount;
  }
}
