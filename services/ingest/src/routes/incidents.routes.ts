import { IncidentIdParams, IncidentList, IncidentQuery, IncidentView } from '@triage/contracts';
import { AppError } from '@triage/runtime';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app-deps.ts';
import { errorResponses, json } from '../lib/openapi.ts';

/** `GET /v1/incidents` (newest activity first, `?status=&entity=`) and `GET /v1/incidents/:id`. */
export function incidentRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const listSchema = {
      tags: ['incidents'],
      summary: 'Incidents, newest activity first',
      description:
        'Alerts sharing an entity (host, else user, else source address) within INCIDENT_WINDOW_MINUTES of each other. `status=open` while alerts keep arriving within the window; `entity` filters by the grouping entity (case-insensitive).',
      operationId: 'listIncidents',
      querystring: IncidentQuery,
      response: { 200: json(IncidentList, 'A page of incidents'), ...errorResponses('VALIDATION_FAILED') },
    };
    app.get('/v1/incidents', { schema: listSchema, config: { access: 'read' } }, async (req) => {
      const q = req.query;
      const page = await deps.memory.incidents.list({
        cursor: q.cursor ?? 0,
        limit: q.limit ?? 50,
        ...(q.status ? { status: q.status } : {}),
        ...(q.entity ? { entity: q.entity } : {}),
      });
      return { items: page.items, next_cursor: page.next === null ? null : String(page.next) };
    });

    const getSchema = {
      tags: ['incidents'],
      summary: 'One incident: member alerts, entities, ATT&CK tactics in order, first/last seen, verdict',
      operationId: 'getIncident',
      params: IncidentIdParams,
      response: { 200: json(IncidentView, 'The incident'), ...errorResponses('NOT_FOUND') },
    };
    app.get('/v1/incidents/:id', { schema: getSchema, config: { access: 'read' } }, async (req) => {
      const view = await deps.memory.incidents.get(req.params.id);
      if (!view)
        throw new AppError('NOT_FOUND', { message: `No incident ${req.params.id} (unknown or expired)` });
      return view;
    });
  };
}
