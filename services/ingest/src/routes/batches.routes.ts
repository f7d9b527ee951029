import { BatchQuery } from '@triage/contracts';
import { AppError, zodDetails } from '@triage/runtime';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app-deps.ts';

/** `GET /v1/batches/:id`: the summary and one page of results (`?cursor=&limit=`). */
export function batchRoutes(deps: AppDeps) {
  return async (app: FastifyInstance) => {
    app.get<{ Params: { id: string } }>('/v1/batches/:id', async (req) => {
      const q = BatchQuery.safeParse(req.query);
      if (!q.success) throw new AppError('VALIDATION_FAILED', { details: zodDetails(q.error.issues) });
      const summary = await deps.store.batchSummary(req.params.id);
      if (!summary)
        throw new AppError('NOT_FOUND', { message: `No batch ${req.params.id} (unknown or expired)` });
      const cursor = q.data.cursor ?? 0;
      const limit = q.data.limit ?? 100;
      const ids = await deps.store.batchIds(req.params.id, cursor, limit);
      const results = await deps.store.statuses(ids);
      const next = cursor + ids.length;
      return {
        batch_id: req.params.id,
        summary,
        results,
        next_cursor: next < summary.total ? String(next) : null,
      };
    });
  };
}
