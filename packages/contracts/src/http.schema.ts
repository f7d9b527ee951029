import { z } from 'zod';
import { AlertFormat } from './alert.schema.ts';
import { AlertStatus, BatchSummary, TriageResult } from './result.schema.ts';

/** `?format=` on the alert routes forces a normalizer instead of auto-detection. */
export const FormatQuery = z.object({
  format: AlertFormat.optional().describe('Force a normalizer instead of auto-detection'),
});

/** `:id` of `GET /v1/alerts/:id`. */
export const AlertIdParams = z.object({ id: z.string().describe('The alert id answered by a submission') });
/** `:id` of `GET /v1/batches/:id`. */
export const BatchIdParams = z.object({ id: z.string().describe('The batch id answered by a submission') });

/**
 * One alert in any supported format. Documentation of the body: the guarded JSON parser (size,
 * depth, forbidden keys, NUL bytes) and the normalizers validate it, with the error codes they own.
 */
export const AlertSubmission = z
  .record(z.string(), z.unknown())
  .describe(
    'One alert in any supported format: Microsoft Sentinel, Splunk, Elastic Security, Wazuh, Suricata EVE, OCSF, the original service format or generic JSON (auto-detected)',
  )
  .meta({
    examples: [
      {
        name: 'Brute Force',
        alert: {
          user: 'alice',
          source_ip: '185.220.101.52',
          failed_logins: 12,
          success: true,
          severity: 'High',
        },
      },
    ],
  });

/**
 * `{"alerts": [...]}`. Documentation of the body: each item is validated on its own, so the good
 * items of a batch are accepted when some are bad (a whole-body schema could not express that).
 */
export const BatchSubmission = z.object({ alerts: z.array(AlertSubmission) });

/** The NDJSON form of a batch: one alert per line; a bad line is rejected alone. */
export const NdjsonSubmission = z.string().describe('One alert (JSON object) per line');

/** `POST /v1/alerts` → 202. */
export const AlertAccepted = z.object({
  id: z.string(),
  status: AlertStatus,
  /** True when the same source alert (source, source id and content) was already accepted. */
  duplicate: z.boolean().optional(),
  /**
   * True when the source id was seen before with other content: this is a new alert, triaged on its
   * own (its verdict carries the flag `source_id_reused`).
   */
  source_id_reused: z.boolean().optional(),
  links: z.object({ self: z.string() }),
});
export type AlertAccepted = z.infer<typeof AlertAccepted>;

export const BatchRequest = z.object({ alerts: z.array(z.unknown()) });

/**
 * `?lane=` on the batch routes (or the `X-Triage-Lane` header): `backlog` runs the batch behind
 * live alerts at every stage and makes it pausable; `live` is the default.
 */
export const LaneQuery = z.object({ lane: z.enum(['live', 'backlog']).optional() });

/**
 * `Idempotency-Key` of `POST /v1/alerts/batch`: a client-chosen id for one batch's content. The
 * same key again answers what the first request was answered (same `batch_id` and `ids`) instead of
 * accepting the alerts twice — so a client that lost the answer (a crash, a cut connection) can
 * simply send again.
 */
export const IdempotencyKey = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/);

export const Rejected = z.object({
  index: z.number().int(),
  error: z.object({
    code: z.string(),
    message: z.string(),
    /** The offending field inside the alert (`alert.source_ip`), when one is to blame. */
    path: z.string().optional(),
  }),
});
export type Rejected = z.infer<typeof Rejected>;

/** `POST /v1/alerts/batch` → 202. `ids` follow the input order of the accepted items. */
export const BatchAccepted = z.object({
  batch_id: z.string(),
  accepted: z.number().int(),
  ids: z.array(z.string()),
  rejected: z.array(Rejected),
  links: z.object({ self: z.string() }),
});
export type BatchAccepted = z.infer<typeof BatchAccepted>;

export const BatchQuery = z.object({
  cursor: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

/**
 * When the alerts still queued are expected to be triaged, and what limits that. Every bound is a
 * time: the measured pipeline throughput over the alerts left, and for each configured provider
 * and the LLM the calls still to make (distinct observables not yet cached, capped by what is left
 * of today's quota or budget) at its rate. The ETA is the largest bound; `limited_by` says which.
 */
export const EtaBound = z.object({
  factor: z.enum(['throughput', 'provider_rate', 'provider_quota', 'llm_rate', 'llm_quota', 'llm_budget']),
  /** The stage, provider or `llm` the bound is about. */
  subject: z.string(),
  /** Seconds from now; null when it cannot be estimated yet (no throughput measured). */
  seconds: z.number().nullable(),
  /** For a person: "VirusTotal quota: 412 lookups left today (1,250 observables not yet cached)". */
  detail: z.string(),
  /** Provider / LLM bounds: calls still to make within today's quota or budget. */
  calls: z.number().int().optional(),
  /** Provider / LLM bounds: calls past today's quota or budget (those alerts go without that source). */
  over_limit: z.number().int().optional(),
});
export type EtaBound = z.infer<typeof EtaBound>;

export const Eta = z.object({
  /** Alerts the estimate is about (not yet final). */
  remaining: z.number().int(),
  /** Seconds until they are triaged; 0 when nothing is left; null while it cannot be estimated. */
  seconds: z.number().nullable(),
  /** `seconds` as a time. */
  at: z.string().nullable(),
  /** What sets the ETA, for a person ("VirusTotal quota: 412 lookups left today"). */
  limited_by: z.string(),
  /** The factor of the largest bound; `done`, `paused`, `no_workers` or `measuring` otherwise. */
  factor: z.enum([
    'throughput',
    'provider_rate',
    'provider_quota',
    'llm_rate',
    'llm_quota',
    'llm_budget',
    'done',
    'paused',
    'no_workers',
    'measuring',
  ]),
  /** Alerts finished per second over the last minute (whole pipeline); null before two readings. */
  done_per_second: z.number().nullable(),
  bounds: z.array(EtaBound),
});
export type Eta = z.infer<typeof Eta>;

/** `GET /v1/batches/:id`. */
export const BatchView = z.object({
  batch_id: z.string(),
  summary: BatchSummary,
  /** Until this batch is triaged (a backlog batch waits behind everything queued). */
  eta: Eta.optional(),
  /** Every accepted item in input order; a duplicate carries the earlier alert's id and verdict. */
  results: z.array(
    z.object({
      id: z.string(),
      status: AlertStatus,
      /** The rule or alert name. */
      name: z.string().optional(),
      /** The SIEM's own id of the alert, when it has one. */
      source_id: z.string().optional(),
      duplicate: z.boolean().optional(),
      result: TriageResult.optional(),
    }),
  ),
  next_cursor: z.string().nullable(),
});
export type BatchView = z.infer<typeof BatchView>;

/** `GET /v1/batches?ids=a,b,c`: many batches' summaries at once (a client following a large submission). */
export const BatchesQuery = z.object({
  ids: z
    .string()
    .regex(/^[^,]{1,128}(,[^,]{1,128}){0,99}$/, 'one to 100 comma-separated batch ids')
    .describe('Comma-separated batch ids (at most 100)'),
});
export const BatchSummaries = z.object({
  batches: z.array(z.object({ batch_id: z.string(), summary: BatchSummary.nullable() })),
});

/** `GET /v1/limits`: what a client must split its submissions under. */
export const IngestLimits = z.object({
  batch_max_items: z.number().int(),
  batch_body_limit_bytes: z.number().int(),
  alert_body_limit_bytes: z.number().int(),
  max_field_bytes: z.number().int(),
  max_json_depth: z.number().int(),
});

/** `POST /v1/batches/:id/pause|resume`. */
export const BatchControl = z.object({
  batch_id: z.string(),
  /** Resume: parked alerts sent back to their queues. */
  parked: z.number().int(),
  summary: BatchSummary,
});

/** `POST /analyze` (original shape): the verdict itself, plus the id to poll when it took too long. */
export const AnalyzeResponse = TriageResult.partial().extend({
  id: z.string(),
  status: AlertStatus,
  alert_name: z.string(),
  /** Present on 202 (still running): where to poll. */
  links: z.object({ self: z.string() }).optional(),
});

/** `POST /batch` (original shape). */
export const LegacyBatchResponse = z.object({
  batch_id: z.string(),
  summary: BatchSummary,
  results: z.array(z.record(z.string(), z.unknown())),
  rejected: z.array(Rejected),
  links: z.object({ self: z.string() }),
});

/** `GET /health`. Pipeline state as Redis shows it, at most a second old. */
export const HealthView = z.object({
  /**
   * `degraded`: Redis memory is at its watermark (REDIS_MEMORY_WATERMARK of maxmemory) or full, so
   * ingest refuses new alerts (503) and work in progress waits for memory to be freed.
   * `backpressure`: the enrich backlog is over ENRICH_MAX_BACKLOG.
   */
  status: z.enum(['ok', 'backpressure', 'degraded', 'unavailable']),
  /** Absent from the liveness-only answer (no key, or a key that may not read). */
  redis: z
    .object({
      ok: z.boolean(),
      latency_ms: z.number().optional(),
      /** used_memory / maxmemory (max 0: no limit) and the share at which ingest stops accepting. */
      memory: z
        .object({
          used_bytes: z.number().int(),
          max_bytes: z.number().int(),
          watermark: z.number(),
          /** At or over maxmemory: with noeviction, Redis refuses writes. */
          full: z.boolean(),
        })
        .optional(),
    })
    .optional(),
  /** Jobs per queue and BullMQ state. */
  queues: z.record(z.string(), z.record(z.string(), z.number().int())).optional(),
  /** Age of the oldest job waiting to run, per queue (0 when none waits). */
  oldest_waiting_seconds: z.record(z.string(), z.number()).optional(),
  /** Worker processes with a fresh heartbeat, per queue. */
  workers: z.record(z.string(), z.number().int()).optional(),
  backlog: z.object({ enrich: z.number().int(), limit: z.number().int() }).optional(),
  /** Threat-intel providers, as the enrich workers last reported them (null: no enrich worker reported). */
  providers: z.array(z.record(z.string(), z.unknown())).nullable().optional(),
  /** The LLM tier, as the classify workers last reported it (null: no classify worker reported). */
  llm: z.record(z.string(), z.unknown()).nullable().optional(),
  /** Until every alert queued now is triaged, and what limits that. */
  eta: Eta.optional(),
  /** When Redis was read for this answer (answers are shared for a second). */
  read_at: z.string().optional(),
});
export type HealthView = z.infer<typeof HealthView>;

/** One admin action as `GET /v1/audit` lists it (the Redis stream `<prefix>:audit`). */
export const AuditEntry = z.object({
  /** Stream entry id (`<ms>-<seq>`): the cursor of the next page. */
  id: z.string(),
  at: z.string(),
  /** Fingerprint of the key that acted (`key:<first 12 hex of its SHA-256>`), never the key. */
  key: z.string(),
  method: z.string(),
  /** The matched route pattern. */
  route: z.string(),
  /** The path as requested. */
  path: z.string(),
  /** The answer: 2xx done, 401/403 refused. */
  status: z.number().int(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/** `?cursor=&limit=` of `GET /v1/audit`: newest first; the cursor is the last id of the previous page. */
export const AuditQuery = z.object({
  cursor: z
    .string()
    .regex(/^\d{1,20}-\d{1,20}$/, 'a stream entry id, <ms>-<seq>')
    .optional()
    .describe('`next_cursor` of the previous page'),
  limit: z.coerce.number().int().min(1).max(1000).optional().describe('Entries per page (default 100)'),
});

export const AuditList = z.object({ items: z.array(AuditEntry), next_cursor: z.string().nullable() });
export type AuditList = z.infer<typeof AuditList>;
