import type { Classifier } from '@triage/classifier';
import { type AlertJob, JOBS, type ResultJob } from '@triage/contracts';
import { type IncidentUpdate, raisedByIncident, type VerdictMemory } from '@triage/memory';
import { type AlertStore, type Metrics, parkedMember, parkJob, validated } from '@triage/runtime';
import { type Job, type Queue, UnrecoverableError } from 'bullmq';

export interface ClassifyDeps {
  store: AlertStore;
  classifier: Classifier;
  memory: VerdictMemory;
  resultsQueue: Queue<ResultJob>;
  metrics: Metrics;
}

/**
 * classify: analyst memory read → verdict cache → rules → (LLM, unless memory will decide) →
 * analyst memory and disposition → the result store and the results queue. The results job is
 * added first with the alert id as job id, so a crash between the two steps re-adds nothing twice
 * (and the deliver worker finds the verdict in the record whichever way the two steps interleave).
 * It keeps the job's priority, so deliveries of a backlog stay behind live ones too.
 */
export function classifyProcessor(deps: ClassifyDeps) {
  return async (data: AlertJob, job?: Job, token?: string): Promise<{ classification: string }> => {
    const id = data.alert_id;
    // The alert, its enrichment and intake fields are read and the record moved to `classifying`
    // in one round trip. A verdict drops the enrichment: a retried job of a finished alert finds the
    // alert final, and has nothing to do.
    const begun = await deps.store.beginClassify(id, job ? parkedMember(job) : '');
    if (begun.state === 'final') return { classification: 'already-final' };
    if (begun.state === 'gone') throw new UnrecoverableError(`alert ${id} or its enrichment not found`);
    if (begun.state === 'paused') {
      if (job) return parkJob(job, token, deps.store, data.batch_id);
      return { classification: 'already-final' };
    }
    const { alert, enrichment, receivedAt, sourceIdReused, startedAt } = begun;

    // Memory before the LLM tier: when analyst feedback will decide the alert, the rules still run
    // (their evidence is what a FALSE_POSITIVE is checked against) but no LLM call is spent. The
    // feedback and the baselines are read while the verdict cache is (one round trip); the feedback
    // is awaited before any LLM call.
    const sim = deps.memory.keyOf(alert);
    const recalled = deps.memory.recall(alert, sim);
    const facts = deps.memory.observe(alert, sim);
    const llm = recalled.then((r) => !r.decisive);
    // A failed read fails the job below (apply awaits both), whether or not the LLM was asked.
    for (const p of [llm, facts]) p.catch(() => undefined);
    const verdict = await deps.classifier.classify(alert, enrichment, { llm });
    const recall = await recalled;
    const applied = await deps.memory.apply({
      alertId: id,
      alert,
      enrichment,
      result: verdict,
      recall,
      facts,
    });
    const { raise, note, incidentUpdate } = applied;
    // Told after the verdict (never cached with it): a reader sees why an id answered twice was triaged twice.
    const result = sourceIdReused
      ? { ...applied.result, flags: [...applied.result.flags, 'source_id_reused' as const] }
      : applied.result;
    // The verdict itself is read from the record at delivery: the job carries only the id.
    await deps.resultsQueue.add(JOBS.results.name, validated(JOBS.results, data), {
      jobId: id,
      ...(job?.opts.priority ? { priority: job.opts.priority } : {}),
    });
    // Queued before the verdict is final, like the results job: a crash after it re-adds nothing.
    if (incidentUpdate) await queueIncidentUpdate(deps, id, incidentUpdate);
    const tiCacheHit = enrichment.cache.hits > 0 && enrichment.cache.misses === 0;
    if (await deps.store.complete(id, result, data.batch_id, { tiCacheHit })) {
      deps.metrics.inc('triage_verdicts_total', {
        classification: result.classification,
        decided_by: result.decided_by,
      });
      const now = Date.now();
      deps.metrics.observe('triage_stage_duration_seconds', { stage: 'classify' }, (now - startedAt) / 1000);
      if (receivedAt !== undefined) {
        deps.metrics.observe(
          'triage_stage_duration_seconds',
          { stage: 'end_to_end' },
          (now - receivedAt) / 1000,
        );
      }
    }
    if (note) for (const other of raise) await raiseMember(deps, other, note);
    return { classification: result.classification };
  };
}

/**
 * An earlier member of the kill chain this alert completed: its stored verdict moves one step
 * toward TRUE_POSITIVE and is delivered again (once: the job id names the incident).
 */
async function raiseMember(deps: ClassifyDeps, id: string, note: string): Promise<void> {
  const view = await deps.store.get(id);
  if (!view?.result || view.result.classification === 'TRUE_POSITIVE') return;
  const result = deps.memory.finish(view.alert, raisedByIncident(view.result, note));
  if (!(await deps.store.amend(id, result, view.batch_id))) return;
  const job = { alert_id: id, ...(view.batch_id ? { batch_id: view.batch_id } : {}), result };
  await deps.resultsQueue.add(JOBS.results.name, validated(JOBS.results, job), {
    jobId: `${id}-${result.incident_id ?? 'incident'}`,
  });
}

/**
 * An incident update for the webhook (`incident.updated`), once per revision: the job id
 * `<incident>-r<revision>` is the message id, so a retried classify job queues nothing twice.
 */
async function queueIncidentUpdate(deps: ClassifyDeps, alertId: string, u: IncidentUpdate): Promise<void> {
  const job = {
    alert_id: alertId,
    event: 'incident.updated' as const,
    incident: u.incident,
    revision: u.revision,
    changes: u.changes,
  };
  await deps.resultsQueue.add(JOBS.results.name, validated(JOBS.results, job), {
    jobId: `${u.incident.id}-r${u.revision}`,
  });
}
