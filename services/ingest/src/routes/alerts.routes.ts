import {
  AlertAccepted,
  AlertIdParams,
  AlertSubmission,
  AlertView,
  BatchAccepted,
  BatchRequest,
  BatchSubmission,
  FormatQuery,
  IdempotencyKey,
  type Lane,
  LaneQuery,
  NdjsonSubmission,
} from '@triage/contracts';
import { AppError, zodDetails } from '@triage/runtime';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../app-deps.ts';
import { type IntakeItem, rejectedAlertError, rejectedBatchError } from '../lib/intake.ts';
import { BODY_ERRORS, errorResponses, json } from '../lib/openapi.ts';
import { admitAndAccept } from '../lib/submit.ts';
import { NdjsonBody } from '../plugins/body.plugin.ts';
import { checkedByRoute, failsWith } from '../plugins/validation.plugin.ts';

/** `?format=`: an unknown format answers UNKNOWN_FORMAT. */
export const formatQuery = failsWith(FormatQuery, 'UNKNOWN_FORMAT');
/** `?format=` and `?lane=` of the batch routes; the lane is checked by `parseLane` (VALIDATION_FAILED). */
export const batchQuery = failsWith(
  FormatQuery.extend({
    lane: z
      .string()
      .optional()
      .describe(
        '`live` (default) or `backlog`: a backlog runs behind live alerts at every stage and can be paused (also as the `X-Triage-Lane` header)',
      ),
  }),
  'UNKNOWN_FORMAT',
);

/** `?lane=` or the `X-Triage-Lane` header (the query wins). */
export function parseLane(lane: unknown, headers: Record<string, unknown>): Lane {
  const q = LaneQuery.safeParse({ lane: lane ?? headers['x-triage-lane'] });
  if (!q.success) {
    throw new AppError('VALIDATION_FAILED', {
      message: 'Unknown lane: expected live or backlog',
      details: zodDetails(q.error.issues),
    });
  }
  return q.data.lane ?? 'live';
}

function idempotencyKey(headers: Record<string, unknown>): string | undefined {
  const raw = headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const k = IdempotencyKey.safeParse(raw);
  if (!k.success) {
    throw new AppError('VALIDATION_FAILED', {
      message: 'Idempotency-Key must be 1-128 characters of A-Z a-z 0-9 _ . : -',
    });
  }
  return k.data;
}
/** One alert (JSON), checked by the guarded parser and the normalizers. */
export const alertBody = checkedByRoute(AlertSubmission);
/** A batch as JSON or NDJSON, checked item by item. */
export const batchBody = {
  content: {
    'application/json': { schema: checkedByRoute(BatchSubmission) },
    'application/x-ndjson': { schema: checkedByRoute(NdjsonSubmission) },
  },
};

/** Body → items, for both JSON `{"alerts": [...]}` and NDJSON; enforces the item limit. */
export function batchItems(body: unknown, maxItems: number): IntakeItem[] {
  if (body === undefined || body === null) throw new AppError('EMPTY_BODY');
  let items: IntakeItem[];
  if (body instanceof NdjsonBody) {
    if (body.count > maxItems) {
      throw new AppError('TOO_MANY_ITEMS', {
        message: `The batch has ${body.count} alerts; the limit is ${maxItems}`,
      });
    }
    items = body.lines.map((text, index) => ({ index, text }));
  } else {
    const parsed = BatchRequest.safeParse(body);
    if (!parsed.success) {
      throw new AppError('VALIDATION_FAILED', {
        message: 'Expected {"alerts": [...]} or an NDJSON body',
        details: zodDetails(parsed.error.issues),
      });
    }
    items = parsed.data.alerts.map((value, index) => ({ index, value }));
  }
  if (items.length === 0) throw new AppError('VALIDATION_FAILED', { message: 'The batch has no alerts' });
  if (items.length > maxItems) {
    throw new AppError('TOO_MANY_ITEMS', {
      message: `The batch has ${items.length} alerts; the limit is ${maxItems}`,
    });
  }
  return items;
}

export function singleItem(body: unknown): IntakeItem {
  if (body === undefined || body === null) throw new AppError('EMPTY_BODY');
  if (body instanceof NdjsonBody) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', { message: 'NDJSON is accepted on /v1/alerts/batch only' });
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('VALIDATION_FAILED', {
      message: `Expected one alert as a JSON object, got ${Array.isArray(body) ? 'an array' : typeof body}`,
    });
  }
  return { index: 0, value: body };
}

/** `POST /v1/alerts`, `POST /v1/alerts/batch`, `GET /v1/alerts/:id`. */
export function alertRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const schema = {
      tags: ['alerts'],
      summary: 'Submit one alert',
      description:
        'Any supported format, auto-detected (`?format=` forces one). A SIEM alert sent again (same source, source id and content) answers the first id with `duplicate: true` and is not triaged again; the same source id with other content is a new alert, answered with `source_id_reused: true` and triaged (its verdict carries the flag `source_id_reused`).',
      operationId: 'submitAlert',
      querystring: formatQuery,
      body: alertBody,
      response: {
        202: json(AlertAccepted, 'Queued'),
        ...errorResponses(...BODY_ERRORS, 'UNKNOWN_FORMAT', 'BACKPRESSURE'),
      },
    };
    app.post(
      '/v1/alerts',
      { schema, bodyLimit: deps.config.ALERT_BODY_LIMIT_BYTES, config: { access: 'submit' } },
      async (req, reply) => {
        const { format } = req.query;
        const item = singleItem(req.body as unknown);
        const res = await admitAndAccept(deps, [item], { batch: false, ...(format ? { format } : {}) });
        const rejected = res.rejected[0];
        if (rejected) throw rejectedAlertError(rejected);
        const id = res.ids[0]!;
        const duplicate = res.duplicate[0] ?? false;
        const reused = res.sourceIdReused[0] ?? false;
        const status = duplicate ? ((await deps.store.get(id))?.status ?? 'queued') : 'queued';
        return reply.status(202).send({
          id,
          status,
          ...(duplicate ? { duplicate } : {}),
          ...(reused ? { source_id_reused: true } : {}),
          links: { self: `/v1/alerts/${id}` },
        });
      },
    );

    const batchSchema = {
      tags: ['alerts'],
      summary: 'Submit a batch of alerts',
      description:
        'Up to BATCH_MAX_ITEMS alerts as `{"alerts": [...]}` or NDJSON. Good items are accepted when some are bad; `rejected` lists the bad ones by index, `ids` the accepted ones in input order (a re-sent SIEM alert answers the earlier alert\'s id). With an `Idempotency-Key` header the same key again answers the first answer (same `batch_id` and `ids`, header `Idempotent-Replayed: true`) instead of accepting the alerts twice.',
      operationId: 'submitBatch',
      querystring: batchQuery,
      body: batchBody,
      response: {
        202: json(BatchAccepted, 'Queued'),
        ...errorResponses(
          ...BODY_ERRORS,
          'UNKNOWN_FORMAT',
          'TOO_MANY_ITEMS',
          'BACKPRESSURE',
          'IDEMPOTENCY_IN_PROGRESS',
          'IDEMPOTENCY_MISMATCH',
        ),
      },
    };
    app.post(
      '/v1/alerts/batch',
      { schema: batchSchema, bodyLimit: deps.config.BATCH_BODY_LIMIT_BYTES, config: { access: 'submit' } },
      async (req, reply) => {
        const { format } = req.query;
        const lane = parseLane(req.query.lane, req.headers);
        const key = idempotencyKey(req.headers);
        const items = batchItems(req.body as unknown, deps.config.BATCH_MAX_ITEMS);
        const replay = key ? await deps.idempotency.begin(key, items.length) : undefined;
        if (replay) {
          const entries = await deps.store.batchEntries(replay.batch_id, 0, replay.accepted);
          return reply
            .status(202)
            .header('idempotent-replayed', 'true')
            .send({
              batch_id: replay.batch_id,
              accepted: replay.accepted,
              ids: entries.map((e) => e.id),
              rejected: replay.rejected,
              links: { self: `/v1/batches/${replay.batch_id}` },
            });
        }
        try {
          const res = await admitAndAccept(deps, items, { batch: true, lane, ...(format ? { format } : {}) });
          if (res.ids.length === 0) throw rejectedBatchError(res.rejected);
          const batchId = res.batchId!;
          const answer = { batch_id: batchId, accepted: res.ids.length, rejected: res.rejected };
          if (key) await deps.idempotency.commit(key, { ...answer, items: items.length });
          return reply
            .status(202)
            .send({ ...answer, ids: res.ids, links: { self: `/v1/batches/${batchId}` } });
        } catch (err) {
          if (key) await deps.idempotency.abort(key).catch(() => undefined);
          throw err;
        }
      },
    );

    const getSchema = {
      tags: ['alerts'],
      summary: 'Status, normalized alert and verdict of one alert',
      operationId: 'getAlert',
      params: AlertIdParams,
      response: { 200: json(AlertView, 'The alert'), ...errorResponses('NOT_FOUND') },
    };
    app.get('/v1/alerts/:id', { schema: getSchema, config: { access: 'read' } }, async (req) => {
      const view = await deps.store.get(req.params.id);
      if (!view)
        throw new AppError('NOT_FOUND', { message: `No alert ${req.params.id} (unknown or expired)` });
      return view;
    });
  };
}
