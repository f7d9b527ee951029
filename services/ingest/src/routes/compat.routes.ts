import { AnalyzeResponse, LegacyBatchResponse, type TriageResult } from '@triage/contracts';
import { AppError } from '@triage/runtime';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app-deps.ts';
import { rejectedAlertError, rejectedBatchError } from '../lib/intake.ts';
import { BODY_ERRORS, errorResponses, json } from '../lib/openapi.ts';
import { admitAndAccept } from '../lib/submit.ts';
import { alertBody, batchBody, batchItems, formatQuery, singleItem } from './alerts.routes.ts';

/** The original service's answer: the verdict's fields at the top level, plus the alert's name and id. */
function legacyResult(id: string, status: string, name: string, result?: TriageResult) {
  return { id, status, alert_name: name, ...(result ?? {}) };
}

/**
 * `POST /analyze` and `POST /batch`, compatible with the original Flask service: they wait for the
 * verdicts (at most ANALYZE_WAIT_MS) and answer them inline; past that, 202 with the ids to poll.
 */
export function compatRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  const isDone = async (ids: string[]) =>
    (await deps.store.statuses(ids)).map((s) => s.status === 'completed' || s.status === 'failed');

  return async (app) => {
    const analyzeSchema = {
      tags: ['compat'],
      summary: 'Submit one alert and wait for its verdict',
      description:
        "The original service's API: waits for the verdict (at most ANALYZE_WAIT_MS) and answers it in the original shape; past that, 202 with the id to poll.",
      operationId: 'analyzeAlert',
      querystring: formatQuery,
      body: alertBody,
      response: {
        200: json(AnalyzeResponse, 'The verdict'),
        202: json(AnalyzeResponse, 'Still running: poll `links.self`'),
        ...errorResponses(...BODY_ERRORS, 'UNKNOWN_FORMAT', 'BACKPRESSURE'),
      },
    };
    app.post(
      '/analyze',
      { schema: analyzeSchema, bodyLimit: deps.config.ALERT_BODY_LIMIT_BYTES, config: { access: 'submit' } },
      async (req, reply) => {
        const { format } = req.query;
        const item = singleItem(req.body as unknown);
        await deps.waiter.start();
        const res = await admitAndAccept(deps, [item], { batch: false, ...(format ? { format } : {}) });
        const rejected = res.rejected[0];
        if (rejected) throw rejectedAlertError(rejected);
        const id = res.ids[0]!;
        const finished = await deps.waiter.waitAll([id], deps.config.ANALYZE_WAIT_MS, isDone);
        const view = await deps.store.get(id);
        if (!view) throw new AppError('INTERNAL', { message: `alert ${id} vanished` });
        const body = legacyResult(id, view.status, view.alert.name, view.result);
        if (!finished) return reply.status(202).send({ ...body, links: { self: `/v1/alerts/${id}` } });
        return reply.status(200).send(body);
      },
    );

    const batchSchema = {
      tags: ['compat'],
      summary: 'Submit a batch and wait for its verdicts',
      description:
        "The original service's batch API: waits for the verdicts (at most ANALYZE_WAIT_MS) and answers `{summary, results}`; 202 when some are still running.",
      operationId: 'analyzeBatch',
      querystring: formatQuery,
      body: batchBody,
      response: {
        200: json(LegacyBatchResponse, 'All verdicts'),
        202: json(LegacyBatchResponse, 'Some verdicts are still running: poll `links.self`'),
        ...errorResponses(...BODY_ERRORS, 'UNKNOWN_FORMAT', 'TOO_MANY_ITEMS', 'BACKPRESSURE'),
      },
    };
    app.post(
      '/batch',
      { schema: batchSchema, bodyLimit: deps.config.BATCH_BODY_LIMIT_BYTES, config: { access: 'submit' } },
      async (req, reply) => {
        const { format } = req.query;
        const items = batchItems(req.body as unknown, deps.config.BATCH_MAX_ITEMS);
        await deps.waiter.start();
        const res = await admitAndAccept(deps, items, { batch: true, ...(format ? { format } : {}) });
        if (res.ids.length === 0 || !res.batchId) throw rejectedBatchError(res.rejected);
        const finished = await deps.waiter.waitAll(
          [...new Set(res.ids)],
          deps.config.ANALYZE_WAIT_MS,
          isDone,
        );
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
      },
    );
  };
}
