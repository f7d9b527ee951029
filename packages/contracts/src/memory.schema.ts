import { z } from 'zod';
import { SignalOrigin } from './signals.schema.ts';

/**
 * Analyst memory: feedback on verdicts, the similarity key it applies to, incidents and the
 * disposition a result is delivered with (docs/memory.md).
 */

export const FeedbackVerdict = z.enum(['TRUE_POSITIVE', 'FALSE_POSITIVE']);
export type FeedbackVerdict = z.infer<typeof FeedbackVerdict>;

/** `alert`: this alert and exact re-sends of it (same fingerprint). `similar`: its similarity key. */
export const FeedbackScope = z.enum(['alert', 'similar']);
export type FeedbackScope = z.infer<typeof FeedbackScope>;

/** `POST /v1/alerts/{id}/feedback`. Unknown keys are refused: a typo must not silently widen a scope. */
export const FeedbackRequest = z.strictObject({
  verdict: FeedbackVerdict,
  scope: FeedbackScope.default('similar'),
  comment: z.string().max(2000).optional(),
  /** Who decided; defaults to the API key's id. Shown in every verdict the feedback decides. */
  analyst: z.string().trim().min(1).max(128).optional(),
  /** Unset = the feedback stands until revoked. */
  expires_in_days: z.number().int().min(1).max(3650).optional(),
});
export type FeedbackRequest = z.infer<typeof FeedbackRequest>;

/** The parts a similarity key is made of, in key order. */
export const KeyPartName = z.enum([
  'fingerprint',
  'detection',
  'detection_name',
  'host',
  'user',
  'source_network',
  'process_image',
  'parent_image',
  'command_line',
  'url_template',
  'dst_port',
]);
export type KeyPartName = z.infer<typeof KeyPartName>;

export const KeyPart = z.object({
  name: KeyPartName,
  /** The folded value the key is built from (long values shortened for display; the key hashes all of it). */
  value: z.string(),
  /** Where the value came from: only `metadata` parts can anchor a FALSE_POSITIVE suppression. */
  origin: SignalOrigin,
});
export type KeyPart = z.infer<typeof KeyPart>;

/** An explicit, readable similarity key (no embeddings): what "similar" means for one alert. */
export const SimilarityKey = z.object({
  /** `sim1:<hex>` (scope similar) or `alert1:<hex>` (scope alert): sha-256 over the parts. */
  key: z.string(),
  scope: FeedbackScope,
  parts: z.array(KeyPart),
  /**
   * The detection and the entity parts are metadata. Only an anchored key may close alerts as
   * FALSE_POSITIVE; on an unanchored key attacker-written text alone would decide what matches.
   */
  anchored: z.boolean(),
  /** The key as a sentence, for analysts. */
  text: z.string(),
});
export type SimilarityKey = z.infer<typeof SimilarityKey>;

/** Threat evidence an alert carried, compared between a feedback's alert and a later match. */
export const ThreatProfile = z.object({
  /** Threat-leaning signals: ATT&CK technique ids the evidence points at and threat flags. */
  signals: z.array(z.string()).max(200),
  /** Observable values intel rated suspicious or malicious, with that verdict (`value=malicious`). */
  intel: z.array(z.string()).max(200),
  /** The verdict the alert had without memory (a TRUE_POSITIVE then is itself threat evidence). */
  classification: z.enum(['TRUE_POSITIVE', 'FALSE_POSITIVE', 'NEEDS_REVIEW']),
});
export type ThreatProfile = z.infer<typeof ThreatProfile>;

/** One stored feedback (also the 201 body of the feedback route). */
export const Feedback = z.object({
  id: z.string(),
  alert_id: z.string(),
  verdict: FeedbackVerdict,
  scope: FeedbackScope,
  comment: z.string().optional(),
  /** The analyst as given, else the API key id, else `anonymous` (no keys configured). */
  analyst: z.string(),
  /** Id of the API key that posted it (never the key itself). */
  key_id: z.string().optional(),
  created_at: z.string(),
  expires_at: z.string().optional(),
  /** The key it applies to, with its parts. */
  similarity: SimilarityKey,
  /** The threat evidence of the alert the analyst judged (a later match with more evidence is escalated). */
  threat: ThreatProfile,
  /** What the feedback changed on its own alert (audit). */
  changed: z
    .object({
      from: z.object({ classification: z.string(), decided_by: z.string() }).optional(),
      to: z.object({ classification: z.string(), decided_by: z.string() }),
    })
    .optional(),
  revoked_at: z.string().optional(),
  revoked_by: z.string().optional(),
  /** How many later verdicts it decided, and the last one. */
  applied: z.object({
    count: z.number().int(),
    last_at: z.string().optional(),
    last_alert_id: z.string().optional(),
  }),
});
export type Feedback = z.infer<typeof Feedback>;

export const FeedbackQuery = z.object({
  cursor: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  /** Only feedback on this alert. */
  alert_id: z.string().max(128).optional(),
});

/** `:id` of `GET|DELETE /v1/feedback/:id`. */
export const FeedbackIdParams = z.object({ id: z.string().max(128).describe('The feedback id (`fb_…`)') });

/** `GET /v1/feedback`: newest first. */
export const FeedbackList = z.object({ items: z.array(Feedback), next_cursor: z.string().nullable() });
export type FeedbackList = z.infer<typeof FeedbackList>;

/** A feedback a verdict cites: who, when, why, and whether it was applied or overruled. */
export const MemoryCitation = z.object({
  feedback_id: z.string(),
  verdict: FeedbackVerdict,
  analyst: z.string(),
  created_at: z.string(),
  comment: z.string().optional(),
  outcome: z.enum(['applied', 'conflict']),
  /** The threat evidence this alert has that the judged alert did not (outcome `conflict`). */
  new_evidence: z.array(z.string()).optional(),
});
export type MemoryCitation = z.infer<typeof MemoryCitation>;

/**
 * How a result is delivered (graduated autonomy): `auto_closed` (closed without a person, only
 * where the policy allows), `recommended_close` (FALSE_POSITIVE offered to an analyst to close),
 * `escalate` (a person must look).
 */
export const Disposition = z.enum(['auto_closed', 'recommended_close', 'escalate']);
export type Disposition = z.infer<typeof Disposition>;

/** The entity an incident groups by: the alert's host, else its user, else its source address. */
export const IncidentEntity = z.object({
  type: z.enum(['host', 'user', 'source_ip']),
  value: z.string(),
});
export type IncidentEntity = z.infer<typeof IncidentEntity>;

export const IncidentStatus = z.enum(['open', 'closed']);
export type IncidentStatus = z.infer<typeof IncidentStatus>;

/** `GET /v1/incidents/{id}` (the list shows the same without `alert_ids`). */
export const IncidentView = z.object({
  id: z.string(),
  /** `open` while alerts keep arriving within the window of the last one; `closed` after. */
  status: IncidentStatus,
  entity: IncidentEntity,
  /** Every entity the members named (`host:…`, `user:…`, `source_ip:…`), bounded. */
  entities: z.array(z.string()),
  alert_count: z.number().int(),
  /** Member alert ids in event-time order (the first 1,000). */
  alert_ids: z.array(z.string()).optional(),
  /** ATT&CK tactics of members not closed as FALSE_POSITIVE, in kill-chain order, each with its first sighting. */
  tactics: z.array(z.object({ tactic: z.string(), first_seen: z.string(), alert_id: z.string() })),
  /** The kill chain when the members form one (then the incident raises its members toward TRUE_POSITIVE). */
  chain: z.array(z.string()),
  first_seen: z.string(),
  last_seen: z.string(),
  verdict: z.enum(['TRUE_POSITIVE', 'FALSE_POSITIVE', 'NEEDS_REVIEW']),
  updated_at: z.string(),
});
export type IncidentView = z.infer<typeof IncidentView>;

export const IncidentQuery = z.object({
  cursor: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  status: IncidentStatus.optional(),
  /** An entity value (host, user or address), case-insensitive. */
  entity: z.string().max(1024).optional(),
});

export const IncidentIdParams = z.object({ id: z.string().max(128).describe('The incident id (`inc_…`)') });

/** `GET /v1/incidents`: newest activity first. */
export const IncidentList = z.object({ items: z.array(IncidentView), next_cursor: z.string().nullable() });
export type IncidentList = z.infer<typeof IncidentList>;
