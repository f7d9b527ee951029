import { BatchRequest, FormatQuery } from '@triage/contracts';
import { AppError, zodDetails } from '@triage/runtime';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app-deps.ts';
import type { IntakeItem } from '../lib/intake.ts';
import { NdjsonBody } from '../plugins/body.plugin.ts';

export function parseFormat(query: unknown) {
  const q = FormatQuery.safeParse(query);
  if (!q.success) {
    throw new AppError('UNKNOWN_FORMAT', {
      message: 'Unknown ?format=',
      details: zodDetails(q.error.issues),
    });
  }
  return q.data.format;
}

/** Body → items, for both JSON `{"alerts": [...]}` and NDJSON; enforces the item limit. */
export function batchItems(body: unknown, maxItems: number): IntakeItem[] {
  if (body === undefined || body === null) throw new AppError('EMPTY_BODY');
  let items: IntakeItem[];
  if (body instanceof NdjsonBody) {
    items = body.lines.map((l, index) => (l.ok ? { index, value: l.value } : { index, error: l.error }));
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
export function alertRoutes(deps: AppDeps) {
  return async (app: FastifyInstance) => {
    app.post('/v1/alerts', { bodyLimit: deps.config.ALERT_BODY_LIMIT_BYTES }, async (req, reply) => {
      const format = parseFormat(req.query);
      const item = singleItem(req.body);
      await deps.backpressure.admit(1);
      const res = await deps.intake.accept([item], { batch: false, ...(format ? { format } : {}) });
      const rejected = res.rejected[0];
      if (rejected) {
        throw new AppError(rejected.error.code as AppError['code'], { message: rejected.error.message });
      }
      const id = res.ids[0]!;
      const duplicate = res.duplicate[0] ?? false;
      const status = duplicate ? ((await deps.store.get(id))?.status ?? 'queued') : 'queued';
      return reply
        .status(202)
        .send({ id, status, ...(duplicate ? { duplicate } : {}), links: { self: `/v1/alerts/${id}` } });
    });

    app.post('/v1/alerts/batch', { bodyLimit: deps.config.BATCH_BODY_LIMIT_BYTES }, async (req, reply) => {
      const format = parseFormat(req.query);
      const items = batchItems(req.body, deps.config.BATCH_MAX_ITEMS);
      await deps.backpressure.admit(items.length);
      const res = await deps.intake.accept(items, { batch: true, ...(format ? { format } : {}) });
      if (res.ids.length === 0) {
        throw new AppError('VALIDATION_FAILED', {
          message: 'No alert in the batch could be accepted',
          details: res.rejected
            .slice(0, 20)
            .map((r) => ({ path: `alerts[${r.index}]`, message: `${r.error.code}: ${r.error.message}` })),
        });
      }
      return reply.status(202).send({
        batch_id: res.batchId,
        accepted: res.ids.length,
        ids: res.ids,
        rejected: res.rejected,
        links: { self: `/v1/batches/${res.batchId}` },
      });
    });

    app.get<{ Params: { id: string } }>('/v1/alerts/:id', async (req) => {
      const view = await deps.store.get(req.params.id);
      if (!view)
        throw new AppError('NOT_FOUND', { message: `No alert ${req.params.id} (unknown or expired)` });
      return view;
    });
  };
}
