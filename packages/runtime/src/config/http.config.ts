import { z } from 'zod';
import { EnvInt, EnvList } from './env.ts';

/** The ingest service's HTTP settings. */
export const HttpConfig = z.object({
  /** Ingest listen address. Loopback unless TRIAGE_API_KEYS is set. */
  HOST: z.string().default('127.0.0.1'),
  /** Ingest listen port. */
  PORT: EnvInt(0, 65535).default(3000),
  /** Comma-separated API keys; empty = no auth (then the server refuses a non-loopback bind). */
  TRIAGE_API_KEYS: EnvList.default([]),
  /** Largest body for a single alert. */
  ALERT_BODY_LIMIT_BYTES: EnvInt(1024).default(1024 * 1024),
  /** Largest body for a batch (JSON or NDJSON). */
  BATCH_BODY_LIMIT_BYTES: EnvInt(1024).default(64 * 1024 * 1024),
  /** Most alerts in one batch request (JSON or NDJSON). */
  BATCH_MAX_ITEMS: EnvInt(1, 100_000).default(10_000),
  /** Deepest JSON nesting accepted (checked before parsing). */
  MAX_JSON_DEPTH: EnvInt(2, 1000).default(64),
  /** Largest single string value inside an alert. */
  MAX_FIELD_BYTES: EnvInt(64).default(256 * 1024),
  /** Above this many waiting enrich jobs ingest answers 503 + Retry-After (backpressure). */
  ENRICH_MAX_BACKLOG: EnvInt(1).default(2_000_000),
  /** How long `POST /analyze` waits for the verdict before answering 202 with the id. */
  ANALYZE_WAIT_MS: EnvInt(0, 600_000).default(30_000),
});
