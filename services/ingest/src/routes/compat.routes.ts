import type { TriageResult } from '@triage/contracts';
import { AppError } from '@triage/runtime';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app-deps.ts';
import { batchItems, parseFormat, singleItem } from './alerts.routes.ts';

/** The original service's answer: the verdict's fields at the top level, plus the alert's name and id. */
function legacyResult(id: string, status: string, name: string, result?: TriageResult) {
  return { id, status, alert_name: name, ...(result ?? {}) };
}

/**
 * `POST /analyze` and `POST /batch`, compatible with the original Flask service: they wait for the
 * verdicts (at most ANALYZE_WAIT_MS) and answer them inline; past that, 202 with the ids to poll.
 */
export function compatRoutes(deps: AppDeps) {
  const isDone = async (ids: string[]) =>
    (await deps.store.statuses(ids)).map((s) => s.status === 'completed' || s.status === 'failed');

  return async (app: FastifyInstance) => {
    app.post('/analyze', { bodyLimit: deps.config.ALERT_BODY_LIMIT_BYTES }, async (req, reply) => {
      const format = parseFormat(req.query);
      const item = singleItem(req.body);
      await deps.backpressure.admit(1);
      await deps.waiter.start();
      const res = await deps.intake.accept([item], { batch: false, ...(format ? { format } : {}) });
      const rejected = res.rejected[0];
      if (rejected)
        throw new AppError(rejected.error.code as AppError['code'], { message: rejected.error.message });
      const id = res.ids[0]!;
      const finished = await deps.waiter.waitAll([id], deps.config.ANALYZE_WAIT_MS, isDone);
      const view = await deps.store.get(id);
      if (!view) throw new AppError('INTERNAL', { message: `alert ${id} vanished` });
      const body = legacyResult(id, view.status, view.alert.name, view.result);
      if (!finished) return reply.status(202).send({ ...body, links: { self: `/v1/alerts/${id}` } });
      return reply.status(200).send(body);
    });

    app.post('/batch', { bodyLimit: deps.config.BATCH_BODY_LIMIT_BYTES }, async (req, reply) => {
      const format = parseFormat(req.query);
      const items = batchItems(req.body, deps.config.BATCH_MAX_ITEMS);
      await deps.backpressure.admit(items.length);
      await deps.waiter.start();
      const res = await deps.intake.accept(items, { batch: true, ...(format ? { format } : {}) });
      if (res.ids.length === 0 || !res.batchId) {
        throw new AppError('VALIDATION_FAILED', { message: 'No alert in the batch could be accepted' });
      }
      const finished = await deps.waiter.waitAll([...new Set(res.ids)], deps.config.ANALYZE_WAIT_MS, isDone);
      const summary = await deps.store.batchSummary(res.batchId);
      const statuses = await deps.store.statuses(res.ids);
      const results = statuses.map((s) => legacyResult(s.id, s.status, s.name ?? '', s.result));
      return reply.status(finished ? 200 : 202).send({
        batch_id: res.batchId,
        summary,
        results,
        rejected: res.rejected,
        links: { self: `/v1/batches/${res.batchId}` },
      });
    });
  };
}
