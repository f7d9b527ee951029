import type { NormalizedAlert, ResultJob, TriageResult, WebhookPayload } from '@triage/contracts';
import { verdictMappings } from './verdict-mappings.ts';

export type { WebhookPayload } from '@triage/contracts';

export function buildPayload(
  job: ResultJob & { result: TriageResult },
  alert: NormalizedAlert | undefined,
  now: Date,
): WebhookPayload {
  return {
    id: job.alert_id,
    alert_id: job.alert_id,
    ...(job.batch_id ? { batch_id: job.batch_id } : {}),
    ...(alert ? { source: alert.format } : {}),
    ...(alert?.source_id ? { source_id: alert.source_id } : {}),
    ...(alert ? { alert_name: alert.name } : {}),
    result: job.result,
    mappings: verdictMappings(job.result.classification, job.result.disposition),
    ...(job.feedback ? { feedback: job.feedback } : {}),
    delivered_at: now.toISOString(),
  };
}
