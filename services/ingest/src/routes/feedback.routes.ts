import {
  AlertIdParams,
  Feedback,
  FeedbackIdParams,
  FeedbackList,
  FeedbackQuery,
  FeedbackRequest,
  JOBS,
  type ResultJob,
  type TriageResult,
} from '@triage/contracts';
import { alertKey, baselineInput, threatProfile } from '@triage/memory';
import { AppError, validated } from '@triage/runtime';
import type { Queue } from 'bullmq';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app-deps.ts';
import { BODY_ERRORS, errorResponses, json } from '../lib/openapi.ts';

const EMPTY_INTEL = {
  observables: [],
  intel: {},
  partial: false,
  missing: [],
  cache: { hits: 0, misses: 0 },
};

/** Who acts: the analyst named in the request, else the API key's id, else `anonymous` (no keys configured). */
function actor(req: FastifyRequest, analyst?: string): { analyst: string; key_id?: string } {
  const id = req.principal?.id;
  const keyId = id && id !== 'anonymous' ? id : undefined;
  return { analyst: analyst ?? keyId ?? 'anonymous', ...(keyId ? { key_id: keyId } : {}) };
}

/** The alert's own verdict after the analyst's word: theirs, decided by memory, citing the feedback. */
function corrected(result: TriageResult, fb: Feedback): TriageResult {
  const note = fb.comment ? `: “${fb.comment.replace(/\s+/g, ' ').slice(0, 200)}”` : '';
  return {
    ...result,
    classification: fb.verdict,
    decided_by: 'memory',
    confidence: 99,
    flags: result.flags.filter((f) => f !== 'memory_conflict'),
    reasoning: [
      `Analyst ${fb.analyst} set this verdict to ${fb.verdict} (feedback ${fb.id}${note}).`,
      ...result.reasoning,
    ].slice(0, 6),
    memory: [
      {
        feedback_id: fb.id,
        verdict: fb.verdict,
        analyst: fb.analyst,
        created_at: fb.created_at,
        ...(fb.comment ? { comment: fb.comment } : {}),
        outcome: 'applied',
      },
    ],
  };
}

/**
 * `POST /v1/alerts/:id/feedback`, `GET /v1/feedback`, `GET|DELETE /v1/feedback/:id`. Feedback
 * changes the alert's own verdict at once (delivered again through the webhook with the feedback
 * attached) and, through its similarity key, the verdicts of later alerts (docs/memory.md).
 */
export function feedbackRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  const results = deps.queues.get(JOBS.results.name) as Queue<ResultJob>;
  return async (app) => {
    const postSchema = {
      tags: ['feedback'],
      summary: "An analyst's verdict on a triaged alert",
      description:
        "Changes the alert's own verdict (delivered again through the webhook with the feedback attached) and, through its similarity key (scope `similar`, the default) or its fingerprint (scope `alert`), the verdicts of later alerts. A FALSE_POSITIVE never closes an alert carrying threat evidence the judged one did not (docs/memory.md).",
      operationId: 'postFeedback',
      params: AlertIdParams,
      body: FeedbackRequest,
      response: {
        201: json(Feedback, 'The stored feedback: who, when, the similarity key and its parts'),
        ...errorResponses(...BODY_ERRORS, 'NOT_FOUND', 'NOT_TRIAGED'),
      },
    };
    app.post(
      '/v1/alerts/:id/feedback',
      { schema: postSchema, bodyLimit: 16 * 1024, config: { access: 'feedback' } },
      async (req, reply) => {
        const body = req.body;
        const id = req.params.id;
        const view = await deps.store.get(id);
        if (!view) throw new AppError('NOT_FOUND', { message: `No alert ${id} (unknown or expired)` });
        if (!view.result) {
          throw new AppError('NOT_TRIAGED', {
            message: `Alert ${id} is ${view.status}; it has no verdict yet`,
          });
        }
        const enrichment = (await deps.store.loadEnrichment(id)) ?? EMPTY_INTEL;
        const before = view.result;
        // The judged alert's threat evidence, as its verdict stood before any memory decided it.
        const base =
          before.decided_by === 'memory' ? { ...before, classification: 'NEEDS_REVIEW' as const } : before;
        const who = actor(req, body.analyst);
        const fb = await deps.memory.feedback.create({
          alert_id: id,
          verdict: body.verdict,
          scope: body.scope,
          ...(body.comment ? { comment: body.comment } : {}),
          ...who,
          similarity: body.scope === 'alert' ? alertKey(view.alert) : deps.memory.keyOf(view.alert),
          threat: threatProfile(base, enrichment),
          changed: {
            from: { classification: before.classification, decided_by: before.decided_by },
            to: { classification: body.verdict, decided_by: 'memory' },
          },
          ...(body.expires_in_days ? { expires_in_days: body.expires_in_days } : {}),
        });
        if (fb.verdict === 'TRUE_POSITIVE') {
          const b = baselineInput(view.alert, deps.memory.keyOf(view.alert));
          if (b.entity) await deps.memory.baselines.confirm(b.detection, b.entity);
        }
        const result = deps.memory.finish(view.alert, corrected(before, fb));
        if (await deps.store.amend(id, result, view.batch_id)) {
          const job = {
            alert_id: id,
            ...(view.batch_id ? { batch_id: view.batch_id } : {}),
            result,
            feedback: fb,
          };
          await results.add(JOBS.results.name, validated(JOBS.results, job), { jobId: `${id}-${fb.id}` });
        }
        return reply.status(201).send(fb);
      },
    );

    const listSchema = {
      tags: ['feedback'],
      summary: 'Feedback, newest first',
      description: 'Revoked feedback is listed too (with `revoked_at`); `?alert_id=` keeps one alert’s.',
      operationId: 'listFeedback',
      querystring: FeedbackQuery,
      response: { 200: json(FeedbackList, 'A page of feedback'), ...errorResponses('VALIDATION_FAILED') },
    };
    app.get('/v1/feedback', { schema: listSchema, config: { access: 'read' } }, async (req) => {
      const page = await deps.memory.feedback.list(
        req.query.cursor ?? 0,
        req.query.limit ?? 50,
        req.query.alert_id,
      );
      return { items: page.items, next_cursor: page.next === null ? null : String(page.next) };
    });

    const getSchema = {
      tags: ['feedback'],
      summary: 'One feedback, with how many verdicts it decided',
      operationId: 'getFeedback',
      params: FeedbackIdParams,
      response: { 200: json(Feedback, 'The feedback'), ...errorResponses('NOT_FOUND') },
    };
    app.get('/v1/feedback/:id', { schema: getSchema, config: { access: 'read' } }, async (req) => {
      const fb = await deps.memory.feedback.get(req.params.id);
      if (!fb) throw new AppError('NOT_FOUND', { message: `No feedback ${req.params.id}` });
      return fb;
    });

    const deleteSchema = {
      tags: ['feedback'],
      summary: 'Revoke a feedback',
      description: 'It stops deciding verdicts at once and stays listed and in the audit stream.',
      operationId: 'revokeFeedback',
      params: FeedbackIdParams,
      response: { 200: json(Feedback, 'The revoked feedback'), ...errorResponses('NOT_FOUND') },
    };
    app.delete('/v1/feedback/:id', { schema: deleteSchema, config: { access: 'feedback' } }, async (req) => {
      const fb = await deps.memory.feedback.revoke(req.params.id, actor(req).analyst);
      if (!fb) throw new AppError('NOT_FOUND', { message: `No feedback ${req.params.id}` });
      return fb;
    });
  };
}
