import { isIP } from 'node:net';
import { FakeHttpServer, type FakeRateLimit, stableNumber, VendorFake } from './fake-server.ts';

export interface AbuseIpdbFakeOptions {
  apiKey?: string;
  /** The fake's own limit (the real one is daily; a per-second one makes tests fast). */
  rateLimit?: FakeRateLimit;
  /** abuseConfidenceScore per IP; others get a stable score derived from the IP. */
  scores?: Record<string, number>;
  /** IPs reported as Tor (`isTor: true`). */
  tor?: string[];
  /** IPs AbuseIPDB whitelists (`isWhitelisted: true`). */
  whitelisted?: string[];
}

/**
 * A local AbuseIPDB v2: `GET /api/v2/check?ipAddress=&maxAgeInDays=&verbose` with the `Key` header,
 * answering in the documented shape (see test/fixtures/intel/abuseipdb_v2). Errors use AbuseIPDB's
 * `{"errors": [{detail, status}]}` body; 429s carry Retry-After and X-RateLimit-* headers.
 */
export class AbuseIpdbFake extends VendorFake {
  readonly apiKey: string;
  protected readonly server: FakeHttpServer;
  private readonly scores: Map<string, number>;
  private readonly tor: Set<string>;
  private readonly whitelisted: Set<string>;

  constructor(opts: AbuseIpdbFakeOptions = {}) {
    super();
    this.apiKey = opts.apiKey ?? 'abuseipdb-test-key';
    this.scores = new Map(Object.entries(opts.scores ?? {}));
    this.tor = new Set(opts.tor ?? []);
    this.whitelisted = new Set(opts.whitelisted ?? []);
    this.server = new FakeHttpServer({
      keyHeader: 'key',
      apiKey: this.apiKey,
      rateLimit: opts.rateLimit,
      valueOf: (_req, url) =>
        url.pathname === '/api/v2/check' ? (url.searchParams.get('ipAddress') ?? '') : undefined,
      errorBody: (status, detail) => ({ errors: [{ detail, status }] }),
      handle: (req, url, ip) => {
        if (req.method !== 'GET' || url.pathname !== '/api/v2/check') {
          return { status: 404, body: { errors: [{ detail: 'Not found', status: 404 }] } };
        }
        if (!ip || !isIP(ip)) {
          return {
            status: 422,
            body: {
              errors: [
                {
                  detail:
                    'The ip address must be a valid IPv4 or IPv6 address (e.g. 8.8.8.8 or 2001:4860:4860::8888).',
                  status: 422,
                  source: { parameter: 'ipAddress' },
                },
              ],
            },
          };
        }
        return {
          status: 200,
          headers: { 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': '999' },
          body: { data: this.record(ip, url.searchParams.has('verbose')) },
        };
      },
    });
  }

  /** The score the fake gives an IP: configured, or stable 0–100 from the IP itself. */
  scoreOf(ip: string): number {
    return this.scores.get(ip) ?? stableNumber(ip, 101);
  }

  setScore(ip: string, score: number): void {
    this.scores.set(ip, score);
  }

  private record(ip: string, verbose: boolean) {
    const score = this.scoreOf(ip);
    const reports = score === 0 ? 0 : 1 + stableNumber(`${ip}#reports`, 200);
    const data: Record<string, unknown> = {
      ipAddress: ip,
      isPublic: true,
      ipVersion: ip.includes(':') ? 6 : 4,
      isWhitelisted: this.whitelisted.has(ip),
      abuseConfidenceScore: score,
      countryCode: 'NL',
      usageType: 'Data Center/Web Hosting/Transit',
      isp: 'Fake Hosting B.V.',
      domain: 'fake-hosting.example',
      hostnames: [],
      isTor: this.tor.has(ip),
      totalReports: reports,
      numDistinctUsers: Math.min(reports, 1 + stableNumber(`${ip}#users`, 50)),
      lastReportedAt: reports ? '2024-02-26T18:33:12+00:00' : null,
    };
    if (verbose) {
      data.countryName = 'Netherlands';
      data.reports = reports
        ? [
            {
              reportedAt: '2024-02-26T18:33:12+00:00',
              comment: `SSH brute force from ${ip}`,
              categories: [18, 22],
              reporterId: 1,
              reporterCountryCode: 'US',
              reporterCountryName: 'United States',
            },
          ]
        : [];
    }
    return data;
  }
}
