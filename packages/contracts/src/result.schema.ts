import { z } from 'zod';
import { NormalizedAlert } from './alert.schema.ts';
import { Disposition, MemoryCitation, SimilarityKey } from './memory.schema.ts';
import { Severity } from './primitives.schema.ts';

export const Classification = z.enum(['TRUE_POSITIVE', 'FALSE_POSITIVE', 'NEEDS_REVIEW']);
export type Classification = z.infer<typeof Classification>;

/** `memory`: an analyst's earlier feedback on a similar alert decided (docs/memory.md). */
export const DecidedBy = z.enum(['rules', 'llm', 'cache', 'memory']);
export type DecidedBy = z.infer<typeof DecidedBy>;

export const ResultFlag = z.enum([
  'partial_intel',
  'injection_suspected',
  'intel_conflict',
  'llm_fallback',
  'budget_exhausted',
  /** Analyst feedback said FALSE_POSITIVE, but this alert carries threat evidence the judged one did not. */
  'memory_conflict',
  /** The LLM proposed FALSE_POSITIVE against threat-leaning rules evidence: kept for an analyst. */
  'evidence_conflict',
  /**
   * The alert's SIEM id had been seen before with other content (Wazuh ids collide across
   * managers, and a caller could pre-claim ids): triaged as a new alert, not answered as a duplicate.
   */
  'source_id_reused',
]);
export type ResultFlag = z.infer<typeof ResultFlag>;

export const MitreTechnique = z.object({
  id: z.string(),
  name: z.string(),
  tactic: z.string().optional(),
});
export type MitreTechnique = z.infer<typeof MitreTechnique>;

export const TokenUsage = z.object({
  input: z.number().int(),
  output: z.number().int(),
  thinking: z.number().int().optional(),
});

/** What a verdict carries (docs/api.md). */
export const TriageResult = z.object({
  classification: Classification,
  confidence: z.number().int().min(0).max(100),
  severity: Severity,
  title: z.string(),
  reasoning: z.array(z.string()).min(1),
  mitre: z.array(MitreTechnique),
  /** value → provider → that provider's normalized fields. */
  threat_intel: z.record(z.string(), z.record(z.string(), z.record(z.string(), z.unknown()))),
  decided_by: DecidedBy,
  flags: z.array(ResultFlag),
  performance: z.object({
    processing_time: z.number(),
    from_cache: z.boolean(),
    cost: z.string(),
    /** Cost in USD as a number, for sums. */
    cost_usd: z.number().optional(),
    tokens: TokenUsage,
  }),
  /** The similarity key memory looked up for this alert, with its parts (absent before memory ran). */
  similarity: SimilarityKey.optional().describe(
    'The similarity key analyst feedback on this alert applies to (scope `similar`): detection, entity and the folded stable part of the activity, each part with its provenance; `anchored` says whether a FALSE_POSITIVE on it may close later alerts (docs/memory.md).',
  ),
  /** Analyst feedback this verdict used or overruled. */
  memory: z
    .array(MemoryCitation)
    .optional()
    .describe(
      'Analyst feedback this verdict used (`applied`) or set aside (`conflict`: new threat evidence, analysts disagreeing, or a key not anchored in metadata), with who, when and the comment.',
    ),
  /** The incident the alert was grouped into. */
  incident_id: z
    .string()
    .optional()
    .describe(
      'The incident the alert was grouped into (alerts sharing an entity within INCIDENT_WINDOW_MINUTES): `GET /v1/incidents/{id}`.',
    ),
  /** How the result is delivered under the autonomy policy (absent on results written before it existed). */
  disposition: Disposition.optional().describe(
    'How the verdict is delivered under the autonomy policy: `escalate` (TRUE_POSITIVE, NEEDS_REVIEW), `recommended_close` (a FALSE_POSITIVE for a person to close) or `auto_closed`.',
  ),
});
export type TriageResult = z.infer<typeof TriageResult>;

export const AlertStatus = z.enum(['queued', 'enriching', 'classifying', 'completed', 'failed']);
export type AlertStatus = z.infer<typeof AlertStatus>;

/** `GET /v1/alerts/:id`. */
export const AlertView = z.object({
  id: z.string(),
  status: AlertStatus,
  batch_id: z.string().optional(),
  received_at: z.string(),
  completed_at: z.string().optional(),
  error: z.string().optional(),
  alert: NormalizedAlert,
  result: TriageResult.optional(),
});
export type AlertView = z.infer<typeof AlertView>;

export const BatchSummary = z.object({
  /** `backlog` batches run behind live alerts at every stage and can be paused. */
  lane: z.enum(['live', 'backlog']),
  /** A paused backlog batch: its queued alerts wait (parked) until it is resumed. */
  paused: z.boolean(),
  /** Every accepted item, duplicates included: equals the `accepted` of the submission. */
  total: z.number().int(),
  /**
   * Items that repeated an earlier alert (same source and source id): listed with that alert's id
   * and verdict, and counted in `completed` / `failed` and the verdict counts once it is final.
   */
  duplicates: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  true_positive: z.number().int(),
  false_positive: z.number().int(),
  needs_review: z.number().int(),
  /** Seconds from the batch being accepted to its last verdict (or to now while running). */
  processing_time: z.number(),
  total_cost: z.string(),
  ai_cache_hit: z.number().int(),
  ti_cache_hit: z.number().int(),
});
export type BatchSummary = z.infer<typeof BatchSummary>;
