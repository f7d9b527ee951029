import {
  BatchControl,
  BatchesQuery,
  BatchIdParams,
  BatchQuery,
  BatchSummaries,
  BatchView,
  IngestLimits,
} from '@triage/contracts';
import { AppError, promoteParked } from '@triage/runtime';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app-deps.ts';
import { errorResponses, json } from '../lib/openapi.ts';

/**
 * `GET /v1/batches/:id`: the summary and one page of results (`?cursor=&limit=`).
 * `POST /v1/batches/:id/pause|resume`: a backlog batch as a whole.
 */
export function batchRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const schema = {
      tags: ['batches'],
      summary: 'Batch summary, ETA and one page of results',
      description:
        'The summary counts every accepted item (duplicates included). `eta` says when the batch is expected to be triaged and what limits that (`limited_by`, e.g. "VirusTotal quota: 412 lookups left today"): a live batch by its own alerts left, a backlog batch behind everything queued; see `GET /health` for the bounds it weighs.',
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
      const entries = await deps.store.batchEntries(req.params.id, cursor, limit);
      const statuses = await deps.store.statuses(entries.map((e) => e.id));
      const results = statuses.map((s, i) => (entries[i]?.duplicate ? { ...s, duplicate: true } : s));
      const next = cursor + entries.length;
      // The ETA needs the pipeline snapshot (shared for a second); without Redis the batch still reads.
      const snap = await deps.pipeline.read().catch(() => undefined);
      return {
        batch_id: req.params.id,
        summary,
        ...(snap ? { eta: deps.eta.batch(snap, summary) } : {}),
        results,
        next_cursor: next < summary.total ? String(next) : null,
      };
    });

    const pauseSchema = {
      tags: ['batches'],
      summary: 'Pause a backlog batch',
      description:
        'Its alerts not yet enriched or classified are parked as they come up (delayed jobs: they hold no worker and block nothing) until the batch is resumed; verdicts already made are still delivered. Only a `lane=backlog` batch can be paused.',
      operationId: 'pauseBatch',
      params: BatchIdParams,
      response: {
        200: json(BatchControl, 'Paused'),
        ...errorResponses('NOT_FOUND', 'BATCH_NOT_PAUSABLE'),
      },
    };
    app.post('/v1/batches/:id/pause', { schema: pauseSchema, config: { access: 'admin' } }, async (req) => {
      const id = req.params.id;
      const lane = await deps.store.pauseBatch(id);
      if (!lane) throw new AppError('NOT_FOUND', { message: `No batch ${id} (unknown or expired)` });
      if (lane !== 'backlog') {
        throw new AppError('BATCH_NOT_PAUSABLE', {
          message: 'Only a batch submitted with lane=backlog can be paused: live alerts are never held',
        });
      }
      const summary = await deps.store.batchSummary(id);
      return { batch_id: id, parked: 0, summary: summary! };
    });

    const resumeSchema = {
      tags: ['batches'],
      summary: 'Resume a paused backlog batch',
      description: 'Its parked alerts go back to their queues at once (`parked` says how many).',
      operationId: 'resumeBatch',
      params: BatchIdParams,
      response: { 200: json(BatchControl, 'Resumed'), ...errorResponses('NOT_FOUND') },
    };
    app.post('/v1/batches/:id/resume', { schema: resumeSchema, config: { access: 'admin' } }, async (req) => {
      const id = req.params.id;
      const parked = await deps.store.resumeBatch(id);
      if (parked === undefined)
        throw new AppError('NOT_FOUND', { message: `No batch ${id} (unknown or expired)` });
      // Promotion runs after the answer: a million parked jobs take a while, and no new job of the
      // batch is parked from the moment `paused` was cleared.
      void deps.store
        .unparkAll(id, (page) => promoteParked(deps.queues, page))
        .catch((err: unknown) => deps.logger.warn({ err, batch_id: id }, 'unparking failed; resume again'));
      const summary = await deps.store.batchSummary(id);
      return { batch_id: id, parked, summary: summary! };
    });

    const manySchema = {
      tags: ['batches'],
      summary: 'Summaries of many batches at once',
      description:
        'For a client following a large submission (the `triage` CLI): one request per 100 batches.',
      operationId: 'getBatches',
      querystring: BatchesQuery,
      response: {
        200: json(BatchSummaries, 'The summaries (null: unknown or expired)'),
        ...errorResponses('VALIDATION_FAILED'),
      },
    };
    app.get('/v1/batches', { schema: manySchema, config: { access: 'read' } }, async (req) => {
      const ids = req.query.ids.split(',');
      const summaries = await deps.store.batchSummaries(ids);
      return { batches: ids.map((batch_id, i) => ({ batch_id, summary: summaries[i] ?? null })) };
    });

    const limitsSchema = {
      tags: ['batches'],
      summary: 'Submission limits',
      description:
        'BATCH_MAX_ITEMS, BATCH_BODY_LIMIT_BYTES and the per-alert limits: what a client splits its files under.',
      operationId: 'getLimits',
      response: { 200: json(IngestLimits, 'The limits'), ...errorResponses() },
    };
    const c = deps.config;
    app.get('/v1/limits', { schema: limitsSchema, config: { access: 'any' } }, async () => ({
      batch_max_items: c.BATCH_MAX_ITEMS,
      batch_body_limit_bytes: c.BATCH_BODY_LIMIT_BYTES,
      alert_body_limit_bytes: c.ALERT_BODY_LIMIT_BYTES,
      max_field_bytes: c.MAX_FIELD_BYTES,
      max_json_depth: c.MAX_JSON_DEPTH,
    }));
  };
}
