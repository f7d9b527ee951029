import type { ResultJob } from '@triage/contracts';
import type { AlertStore, Logger, Metrics } from '@triage/runtime';
import { Backoffs, DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { DeliveryFailedError } from '../lib/delivery-failed.error.ts';
import type { SendOutcome, WebhookClient } from '../lib/webhook-client.ts';
import { buildIncidentPayload, buildPayload } from '../lib/webhook-payload.ts';

export interface DeliverDeps {
  /** Undefined when no WEBHOOK_URL is configured: results are acknowledged without a request. */
  client: WebhookClient | undefined;
  store: AlertStore;
  metrics: Metrics;
  logger: Logger;
}

export type DeliverResult = { delivered: true; status: number } | { delivered: false; reason: string };

/**
 * results → the SOAR webhook. 2xx completes; a refusal (4xx but 408/429) is dead-lettered at once;
 * anything else is retried with the queue's exponential backoff, or after the receiver's
 * `Retry-After` when that is longer (the job is parked as delayed and the attempt is not spent).
 */
export function deliverProcessor(deps: DeliverDeps) {
  return async (data: ResultJob, job: Job, token?: string): Promise<DeliverResult> => {
    if (!deps.client) {
      deps.metrics.inc('triage_webhook_deliveries_total', { outcome: 'skipped' });
      return { delivered: false, reason: 'no webhook configured' };
    }
    const log = deps.logger.child({ job_id: job.id, alert_id: data.alert_id });
    // The job id is the message id: the alert id for its verdict, another id for a verdict delivered
    // again (feedback, incident) or an incident update, the same on every retry of one message.
    const messageId = String(job.id ?? data.alert_id);
    // Sent before and its job since removed, then re-added (a classify job run twice): not again.
    // The marker of an alert's own verdict is read with the record's source fields (one round trip).
    const duplicate = () => {
      deps.metrics.inc('triage_webhook_deliveries_total', { outcome: 'duplicate' });
      return { delivered: false, reason: 'delivered before' } as const;
    };
    const own = messageId === data.alert_id;
    const incident = data.event === 'incident.updated';
    if ((!own || incident) && (await deps.store.delivered(data.alert_id, messageId))) return duplicate();
    const sent = { alertId: data.alert_id, messageId };
    if (data.event === 'incident.updated') {
      if (!data.incident) throw new UnrecoverableError(`incident update ${messageId} carries no incident`);
      const body = JSON.stringify(
        buildIncidentPayload({ ...data, incident: data.incident }, messageId, new Date()),
      );
      return settle(deps, log, job, token, sent, await deps.client.send(messageId, body));
    }
    const view = await deps.store.source(data.alert_id);
    if (own && view?.delivered) return duplicate();
    if (!view) log.warn('alert record expired before delivery; sending the verdict without source fields');
    const result = data.result ?? view?.result;
    if (!result) {
      // classify adds this job just before it writes the verdict: a few ms early, try again (backoff).
      if (view && view.status !== 'completed' && view.status !== 'failed') {
        throw new Error(`the verdict of ${data.alert_id} is not written yet`);
      }
      throw new UnrecoverableError(`the verdict of ${data.alert_id} expired before delivery`);
    }
    const body = JSON.stringify(buildPayload({ ...data, result }, view, new Date()));
    return settle(deps, log, job, token, sent, await deps.client.send(messageId, body));
  };
}

/** A delivery's outcome: done, dead-lettered, deferred to the receiver's `Retry-After`, or retried. */
async function settle(
  deps: DeliverDeps,
  log: Logger,
  job: Job,
  token: string | undefined,
  sent: { alertId: string; messageId: string },
  out: SendOutcome,
): Promise<DeliverResult> {
  if (out.kind === 'delivered') {
    await deps.store.markDelivered(sent.alertId, sent.messageId);
    deps.metrics.inc('triage_webhook_deliveries_total', { outcome: 'delivered' });
    return { delivered: true, status: out.status };
  }
  if (out.kind === 'rejected') {
    deps.metrics.inc('triage_webhook_deliveries_total', { outcome: 'rejected' });
    throw new UnrecoverableError(`webhook rejected the delivery (${out.detail})`);
  }
  const err = new DeliveryFailedError(`webhook delivery failed (${out.detail})`, out.status);
  if (out.retryAfterMs !== undefined && (await mayDefer(job, out.retryAfterMs, err))) {
    deps.metrics.inc('triage_webhook_deliveries_total', { outcome: 'deferred' });
    log.warn({ status: out.status, retry_after_ms: out.retryAfterMs }, 'webhook asked to retry later');
    await job.moveToDelayed(Date.now() + out.retryAfterMs, token);
    throw new DelayedError();
  }
  const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  deps.metrics.inc('triage_webhook_deliveries_total', { outcome: last ? 'failed' : 'retry' });
  log.warn(
    { status: out.status, attempt: job.attemptsMade + 1, detail: out.detail },
    'webhook delivery failed',
  );
  throw err;
}

/**
 * Honour `Retry-After` only when it is longer than the backoff BullMQ would apply anyway, and at
 * most `attempts` times per job: a deferral does not spend an attempt, so without this bound a
 * receiver answering 429 forever would keep the job alive forever.
 */
async function mayDefer(job: Job, retryAfterMs: number, err: Error): Promise<boolean> {
  const deferrals = job.attemptsStarted - job.attemptsMade - 1;
  if (deferrals >= (job.opts.attempts ?? 1)) return false;
  const backoff = Backoffs.normalize(job.opts.backoff ?? 0);
  const backoffMs = backoff ? ((await Backoffs.calculate(backoff, job.attemptsMade + 1, err, job)) ?? 0) : 0;
  return retryAfterMs > backoffMs;
}
