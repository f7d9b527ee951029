import type { AlertFormat, NormalizedAlert, ResultJob, TriageResult } from '@triage/contracts';
import { type VerdictMappings, verdictMappings } from './verdict-mappings.ts';

/**
 * The JSON body of one webhook delivery. Additive changes only: receivers parse it long after a
 * deploy. `source` and `alert_name` come from the stored alert and are omitted (never invented)
 * when its record has expired before delivery.
 */
export interface WebhookPayload {
  /** Delivery id = alert id; also sent as `X-Triage-Delivery`. */
  id: string;
  alert_id: string;
  batch_id?: string;
  /** The normalized format the alert arrived in (`sentinel`, `splunk`, ...). */
  source?: AlertFormat;
  /** The SIEM's own id for the alert, to update the record there. */
  source_id?: string;
  alert_name?: string;
  result: TriageResult;
  mappings: VerdictMappings;
  /** When this attempt was sent (ISO-8601). */
  delivered_at: string;
}

export function buildPayload(job: ResultJob, alert: NormalizedAlert | undefined, now: Date): WebhookPayload {
  return {
    id: job.alert_id,
    alert_id: job.alert_id,
    ...(job.batch_id ? { batch_id: job.batch_id } : {}),
    ...(alert ? { source: alert.format } : {}),
    ...(alert?.source_id ? { source_id: alert.source_id } : {}),
    ...(alert ? { alert_name: alert.name } : {}),
    result: job.result,
    mappings: verdictMappings(job.result.classification),
    delivered_at: now.toISOString(),
  };
}
