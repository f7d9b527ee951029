import { BatchIdParams, BatchQuery, BatchView } from '@triage/contracts';
import { AppError } from '@triage/runtime';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app-deps.ts';
import { errorResponses, json } from '../lib/openapi.ts';

/** `GET /v1/batches/:id`: the summary and one page of results (`?cursor=&limit=`). */
export function batchRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const schema = {
      tags: ['batches'],
      summary: 'Batch summary and one page of results',
      operationId: 'getBatch',
      params: BatchIdParams,
      querystring: BatchQuery,
      response: {
        200: json(BatchView, 'The batch'),
        ...errorResponses('VALIDATION_FAILED', 'NOT_FOUND'),
      },
    };
    app.get('/v1/batches/:id', { schema, config: { access: 'read' } }, async (req) => {
      const summary = await deps.store.batchSummary(req.params.id);
      if (!summary)
        throw new AppError('NOT_FOUND', { message: `No batch ${req.params.id} (unknown or expired)` });
      const cursor = req.query.cursor ?? 0;
      const limit = req.query.limit ?? 100;
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
