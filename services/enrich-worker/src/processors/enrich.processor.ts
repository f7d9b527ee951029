import { type AlertJob, JOBS, jobPriority, laneOfPriority } from '@triage/contracts';
import type { IntelService } from '@triage/intel';
import {
  type AlertStore,
  type Logger,
  type Metrics,
  parkedMember,
  parkJob,
  validated,
} from '@triage/runtime';
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
 * The job's priority (severity within its lane) carries over to the next stage and to its lookups,
 * so a backlog stays behind live alerts all the way; a paused batch's job is parked until resumed.
 */
export function enrichProcessor(deps: EnrichDeps) {
  return async (data: AlertJob, job: Job, token?: string): Promise<{ partial: boolean }> => {
    const id = data.alert_id;
    // The alert is read and moved to `enriching` in one round trip.
    const begun = await deps.store.beginEnrich(id, parkedMember(job));
    if (begun.state === 'gone')
      throw new UnrecoverableError(`alert ${id} not found (expired before enrichment?)`);
    if (begun.state === 'paused') return parkJob(job, token, deps.store, data.batch_id);
    if (begun.state === 'final') return { partial: false }; // a duplicate delivery
    const { alert, startedAt } = begun;

    const priority = job.opts.priority || jobPriority(alert.severity);
    const r = await deps.intel.gather(alert, {
      waiterId: String(job.id),
      firstAttemptAt: startedAt,
      lane: laneOfPriority(priority),
    });
    if (!r.done) {
      await job.moveToDelayed(Date.now() + r.retryInMs, token);
      throw new DelayedError();
    }
    await deps.store.saveEnrichment(id, r.enrichment, alert);
    await deps.classifyQueue.add(JOBS.classify.name, validated(JOBS.classify, data), { jobId: id, priority });
    if (r.enrichment.partial) deps.metrics.inc('triage_partial_intel_total');
    deps.metrics.observe(
      'triage_stage_duration_seconds',
      { stage: 'enrich' },
      (Date.now() - startedAt) / 1000,
    );
    return { partial: r.enrichment.partial };
  };
}
