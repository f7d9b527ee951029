import { z } from 'zod';
import { AlertFormat } from './alert.schema.ts';
import { AlertStatus, BatchSummary, TriageResult } from './result.schema.ts';

/** `?format=` on the alert routes forces a normalizer instead of auto-detection. */
export const FormatQuery = z.object({ format: AlertFormat.optional() });

/** `POST /v1/alerts` → 202. */
export const AlertAccepted = z.object({
  id: z.string(),
  status: AlertStatus,
  /** True when the same source alert (source + source id) was already accepted. */
  duplicate: z.boolean().optional(),
  links: z.object({ self: z.string() }),
});
export type AlertAccepted = z.infer<typeof AlertAccepted>;

export const BatchRequest = z.object({ alerts: z.array(z.unknown()) });

export const Rejected = z.object({
  index: z.number().int(),
  error: z.object({ code: z.string(), message: z.string() }),
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

/** `GET /v1/batches/:id`. */
export const BatchView = z.object({
  batch_id: z.string(),
  summary: BatchSummary,
  results: z.array(z.object({ id: z.string(), status: AlertStatus, result: TriageResult.optional() })),
  next_cursor: z.string().nullable(),
});
export type BatchView = z.infer<typeof BatchView>;

/** `POST /analyze` (original shape): the verdict itself, plus the id to poll when it took too long. */
export const AnalyzeResponse = TriageResult.partial().extend({
  id: z.string(),
  status: AlertStatus,
  alert_name: z.string(),
});

/** `POST /batch` (original shape). */
export const LegacyBatchResponse = z.object({
  batch_id: z.string(),
  summary: BatchSummary,
  results: z.array(z.record(z.string(), z.unknown())),
});
