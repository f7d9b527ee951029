import type {
  IncidentView,
  IncidentWebhookPayload,
  NormalizedAlert,
  ResultJob,
  TriageResult,
  WebhookPayload,
} from '@triage/contracts';
import { verdictMappings } from './verdict-mappings.ts';

export type { IncidentWebhookPayload, WebhookEvent, WebhookPayload } from '@triage/contracts';

export function buildPayload(
  job: ResultJob & { result: TriageResult },
  alert: Pick<NormalizedAlert, 'format' | 'name' | 'source_id'> | undefined,
  now: Date,
): WebhookPayload {
  return {
    type: 'alert.verdict',
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

/** An incident update (`incident.updated`): the incident as the member that changed it left it. */
export function buildIncidentPayload(
  job: ResultJob & { incident: IncidentView },
  messageId: string,
  now: Date,
): IncidentWebhookPayload {
  const { alert_ids: _members, ...incident } = job.incident;
  return {
    type: 'incident.updated',
    id: messageId,
    incident_id: incident.id,
    revision: job.revision ?? 0,
    changes: job.changes ?? [],
    alert_id: job.alert_id,
    incident,
    mappings: verdictMappings(incident.verdict),
    delivered_at: now.toISOString(),
  };
}
