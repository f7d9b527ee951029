import { z } from 'zod';
import { EnvInt, EnvList, RateLimit } from './env.ts';

/**
 * Comma-separated API keys, each either the key itself or `sha256:<64 hex>` (the SHA-256 of the key,
 * so the plain key need not sit in the environment: `printf %s "$KEY" | sha256sum`).
 */
const ApiKeys = EnvList.refine(
  (keys) => keys.every((k) => !k.toLowerCase().startsWith('sha256:') || /^sha256:[0-9a-f]{64}$/i.test(k)),
  'a hashed key is sha256:<64 hex digits>',
);

/** The ingest service's HTTP settings. */
export const HttpConfig = z.object({
  /** Ingest listen address. Loopback unless TRIAGE_API_KEYS is set. */
  HOST: z.string().default('127.0.0.1'),
  /** Ingest listen port. */
  PORT: EnvInt(0, 65535).default(3000),
  /**
   * Admin API keys (every route, Bull Board actions; each admin action is audit-logged). Plain keys or
   * `sha256:<hex>`. With no key of any kind there is no auth, and the server refuses a non-loopback bind.
   */
  TRIAGE_API_KEYS: ApiKeys.default([]),
  /** Submit-only keys (forwarders): `POST /v1/alerts`, `/v1/alerts/batch`, `/analyze`, `/batch`; no reads. */
  TRIAGE_INGEST_KEYS: ApiKeys.default([]),
  /** Read-only keys: GET routes, `/metrics`, `/health` details, Bull Board without its actions. */
  TRIAGE_READ_KEYS: ApiKeys.default([]),
  /** Analyst keys: what read keys may do, plus analyst feedback on verdicts. */
  TRIAGE_ANALYST_KEYS: ApiKeys.default([]),
  /** Requests per API key (per client address without auth is not limited): `N/s`, `N/min` or `N/h`, shared by every ingest process through Redis. */
  RATE_LIMIT_PER_KEY: RateLimit.prefault('6000/min'),
  /** Time a client has to send the request headers; a slow-header client (slowloris) is disconnected after it. */
  HTTP_HEADERS_TIMEOUT_MS: EnvInt(1000).default(15_000),
  /** Time a client has to send a whole request, body included (at least HTTP_HEADERS_TIMEOUT_MS). */
  HTTP_REQUEST_TIMEOUT_MS: EnvInt(1000).default(120_000),
  /** How long an idle keep-alive connection stays open between requests. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: EnvInt(100).default(5_000),
  /** Most open connections per ingest process; beyond it new connections are closed at once (file descriptors stay for Redis). */
  HTTP_MAX_CONNECTIONS: EnvInt(1).default(8_192),
  /** Largest body for a single alert. */
  ALERT_BODY_LIMIT_BYTES: EnvInt(1024).default(1024 * 1024),
  /** Largest body for a batch (JSON or NDJSON). */
  BATCH_BODY_LIMIT_BYTES: EnvInt(1024).default(64 * 1024 * 1024),
  /** Most alerts in one batch request (JSON or NDJSON). */
  BATCH_MAX_ITEMS: EnvInt(1, 100_000).default(10_000),
  /**
   * Worker threads that read NDJSON batches of 64 lines or more (parse, normalize without signals,
   * compress) beside the event loop, which then only claims, stores and enqueues: reading uses
   * more cores, and the event loop stays free for other requests while a large batch is read.
   * Default: one per core but one (the event loop's and Redis's), at least 1, at most 4. 0:
   * everything on the event loop.
   */
  INGEST_THREADS: EnvInt(0, 64).optional(),
  /** Deepest JSON nesting accepted (checked before parsing). */
  MAX_JSON_DEPTH: EnvInt(2, 1000).default(64),
  /** Largest single string value inside an alert. */
  MAX_FIELD_BYTES: EnvInt(64).default(256 * 1024),
  /** Above this many alerts waiting for enrich or classify ingest answers 503 + Retry-After (backpressure). */
  ENRICH_MAX_BACKLOG: EnvInt(1).default(2_000_000),
  /**
   * Share of Redis maxmemory past which ingest refuses new alerts (503 REDIS_FULL + Retry-After) and
   * /health says `degraded`: the rest is room for the work already accepted to finish (stage
   * records, verdicts, result jobs). Unused when Redis has no maxmemory.
   */
  REDIS_MEMORY_WATERMARK: z.coerce.number().gt(0).max(1).default(0.9),
  /** How long `POST /analyze` waits for the verdict before answering 202 with the id. */
  ANALYZE_WAIT_MS: EnvInt(0, 600_000).default(30_000),
});
