import { type AlertJob, JOBS, SEVERITY_PRIORITY } from '@triage/contracts';
import type { IntelService } from '@triage/intel';
import { type AlertStore, type Logger, type Metrics, validated } from '@triage/runtime';
import { DelayedError, type Job, type Queue, UnrecoverableError } from 'bullmq';

export interface EnrichDeps {
  store: AlertStore;
  intel: IntelService;
  classifyQueue: Queue<AlertJob>;
  metrics: Metrics;
  logger: Logger;
}

/**
 * enrich: observables → intel. While lookups are pending the job is parked as delayed (it holds
 * no worker slot) and woken when a lookup it waits for finishes, or re-checked after `retryInMs`.
 */
export function enrichProcessor(deps: EnrichDeps) {
  return async (data: AlertJob, job: Job, token?: string): Promise<{ partial: boolean }> => {
    const id = data.alert_id;
    const alert = await deps.store.loadAlert(id);
    if (!alert) throw new UnrecoverableError(`alert ${id} not found (expired before enrichment?)`);
    const startedAt = await deps.store.setStage(id, 'enriching');
    if (startedAt === undefined) return { partial: false }; // already final: a duplicate delivery

    const r = await deps.intel.gather(alert, { waiterId: String(job.id), firstAttemptAt: startedAt });
    if (!r.done) {
      await job.moveToDelayed(Date.now() + r.retryInMs, token);
      throw new DelayedError();
    }
    await deps.store.saveEnrichment(id, r.enrichment);
    await deps.classifyQueue.add(JOBS.classify.name, validated(JOBS.classify, data), {
      jobId: id,
      priority: SEVERITY_PRIORITY[alert.severity],
    });
    if (r.enrichment.partial) deps.metrics.inc('triage_partial_intel_total');
    deps.metrics.observe(
      'triage_stage_duration_seconds',
      { stage: 'enrich' },
      (Date.now() - startedAt) / 1000,
    );
    return { partial: r.enrichment.partial };
  };
}
