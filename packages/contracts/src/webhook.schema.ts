import { z } from 'zod';
import { AlertFormat } from './alert.schema.ts';
import { Feedback, IncidentView } from './memory.schema.ts';
import { TriageResult } from './result.schema.ts';

/**
 * OCSF `verdict_id` (Detection Finding / Incident Finding, OCSF 1.1+): 0 Unknown, 1 False Positive,
 * 2 True Positive, 3 Disregard, 4 Suspicious, 5 Benign, 6 Test, 7 Insufficient Data, 8 Security
 * Risk, 9 Managed Externally, 10 Duplicate, 99 Other. We send 1, 2 or 4; `verdict` is the caption.
 */
export const OcsfVerdict = z.object({
  verdict_id: z.union([z.literal(1), z.literal(2), z.literal(4)]),
  verdict: z.enum(['False Positive', 'True Positive', 'Suspicious']),
  /**
   * OCSF finding `status_id` from the disposition: 4 Resolved when auto-closed, else 1 New (a
   * recommended close is still an analyst's call). Absent on results without a disposition.
   */
  status_id: z.union([z.literal(1), z.literal(4)]).optional(),
  status: z.enum(['New', 'Resolved']).optional(),
});
export type OcsfVerdict = z.infer<typeof OcsfVerdict>;

/** Microsoft Sentinel incident `classification` (IncidentClassification). */
export const SentinelClassification = z.enum([
  'TruePositive',
  'FalsePositive',
  'BenignPositive',
  'Undetermined',
]);
export type SentinelClassification = z.infer<typeof SentinelClassification>;

/** Microsoft Sentinel `classificationReason` (IncidentClassificationReason). */
export const SentinelClassificationReason = z.enum([
  'SuspiciousActivity',
  'SuspiciousButExpected',
  'IncorrectAlertLogic',
  'InaccurateData',
]);
export type SentinelClassificationReason = z.infer<typeof SentinelClassificationReason>;

export const SentinelVerdict = z.object({
  /**
   * Incident status from the disposition: `Closed` only when auto-closed; `New` leaves it to an
   * analyst (for a recommended close, `classification` is what to close it as). Absent on results
   * without a disposition.
   */
  status: z.enum(['New', 'Closed']).optional(),
  classification: SentinelClassification,
  /** Sentinel only accepts a reason with TruePositive / FalsePositive / BenignPositive; absent for Undetermined. */
  classificationReason: SentinelClassificationReason.optional(),
});
export type SentinelVerdict = z.infer<typeof SentinelVerdict>;

export const VerdictMappings = z.object({ ocsf: OcsfVerdict, sentinel: SentinelVerdict });
export type VerdictMappings = z.infer<typeof VerdictMappings>;

/**
 * The JSON body of one webhook delivery. Additive changes only: receivers parse it long after a
 * deploy. `source` and `alert_name` come from the stored alert and are omitted (never invented)
 * when its record has expired before delivery.
 */
export const WebhookPayload = z.object({
  /** The event: an alert's verdict (first delivery, or again after feedback or an incident raised it). */
  type: z.literal('alert.verdict'),
  /**
   * The alert id. Also the `webhook-id` of the delivery of its verdict; a verdict delivered again
   * (feedback, an incident) is a new message with its own `webhook-id`.
   */
  id: z.string(),
  alert_id: z.string(),
  batch_id: z.string().optional(),
  /** The normalized format the alert arrived in (`sentinel`, `splunk`, ...). */
  source: AlertFormat.optional(),
  /** The SIEM's own id for the alert, to update the record there. */
  source_id: z.string().optional(),
  alert_name: z.string().optional(),
  result: TriageResult,
  mappings: VerdictMappings,
  /**
   * The analyst feedback that changed this verdict: present on the second delivery of an alert
   * whose verdict an analyst corrected (same `id`: update the record you keep for it).
   */
  feedback: Feedback.optional(),
  /** When this attempt was sent (ISO-8601). */
  delivered_at: z.string(),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;

/**
 * The JSON body of an incident update: sent when an incident is first worth a person's look
 * (`opened`: its first member not closed as FALSE_POSITIVE), when its verdict changes, when a
 * tactic is first seen in it and when its members form a kill chain. Not for every member: the
 * verdicts carry `incident_id`. Signed like every delivery; its `webhook-id` is `id`.
 */
export const IncidentWebhookPayload = z.object({
  type: z.literal('incident.updated'),
  /** `<incident id>-r<revision>`, also the `webhook-id`: the revision grows with every update. */
  id: z.string(),
  incident_id: z.string(),
  /** The incident's revision after this update. */
  revision: z.number().int(),
  /** What changed: `opened`, `verdict:<CLASSIFICATION>`, `tactic:<tactic>`, `kill_chain`. */
  changes: z.array(z.string()),
  /** The member alert whose verdict made the change. */
  alert_id: z.string(),
  /** The incident right after the change (as `GET /v1/incidents/{id}`, without member ids). */
  incident: IncidentView,
  /** The incident's verdict in the SIEM vocabularies (no disposition: nothing closes an incident here). */
  mappings: VerdictMappings,
  /** When this attempt was sent (ISO-8601). */
  delivered_at: z.string(),
});
export type IncidentWebhookPayload = z.infer<typeof IncidentWebhookPayload>;

/** Every webhook body, told apart by `type`. */
export const WebhookEvent = z.discriminatedUnion('type', [WebhookPayload, IncidentWebhookPayload]);
export type WebhookEvent = z.infer<typeof WebhookEvent>;
