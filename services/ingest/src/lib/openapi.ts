import {
  AlertSubmission,
  AlertView,
  BatchSummary,
  ERROR_CODES,
  ErrorBody,
  type ErrorCode,
  NormalizedAlert,
  TriageResult,
} from '@triage/contracts';
import { z } from 'zod';

/**
 * Route groups, in the order the docs show them. Every documented route names one: @fastify/swagger
 * runs with `hideUntagged`, so a route without a tag (Bull Board's) stays out of the spec.
 */
export const TAGS = [
  { name: 'alerts', description: 'Submit alerts and read their verdicts' },
  { name: 'batches', description: 'Batch progress and paged results' },
  { name: 'feedback', description: "Analysts' verdicts: remembered for similar alerts (docs/memory.md)" },
  { name: 'incidents', description: 'Alerts grouped by entity and time; kill chains raise them' },
  { name: 'compat', description: "The original service's API: submit and wait for the verdict" },
  { name: 'ops', description: 'Health and Prometheus metrics' },
] as const;
export type Tag = (typeof TAGS)[number]['name'];

/*
 * Components of the spec: schemas that many routes share are registered with an id, and
 * fastify-type-provider-zod turns every use into a `$ref`. Registered in zod's global registry (the
 * library reads ids from there); none of them is part of a schema sent to an LLM.
 */
for (const [schema, id] of [
  [ErrorBody, 'Error'],
  [TriageResult, 'TriageResult'],
  [NormalizedAlert, 'NormalizedAlert'],
  [BatchSummary, 'BatchSummary'],
  [AlertView, 'AlertView'],
  [AlertSubmission, 'AlertSubmission'],
] as const) {
  const meta = z.globalRegistry.get(schema);
  if (meta?.id !== id) z.globalRegistry.add(schema, { ...meta, id });
}

/** A documented response: a zod schema for one content type. */
export function json(schema: z.ZodType, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** Errors every route can answer: auth (when keys are configured), Redis away, a bug. */
const ALWAYS: ErrorCode[] = ['UNAUTHORIZED', 'FORBIDDEN', 'REDIS_UNAVAILABLE', 'INTERNAL'];

/**
 * The error responses of a route, from the codes it can answer plus {@link ALWAYS}: one entry per
 * HTTP status, each with the standard error body and the codes it carries, so a client can see
 * which codes to handle where.
 */
export function errorResponses(...codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...codes, ...ALWAYS]) {
    const status = ERROR_CODES[code].status;
    const list = byStatus.get(status) ?? [];
    if (!list.includes(code)) list.push(code);
    byStatus.set(status, list);
  }
  return Object.fromEntries(
    [...byStatus]
      .sort(([a], [b]) => a - b)
      .map(([status, list]) => [
        status,
        json(ErrorBody, list.map((c) => `\`${c}\`: ${ERROR_CODES[c].message}`).join('. ')),
      ]),
  ) as Record<number, ReturnType<typeof json>>;
}

/** What a body that fails the guarded parser answers (every route with a JSON body). */
export const BODY_ERRORS: ErrorCode[] = [
  'INVALID_JSON',
  'INVALID_ENCODING',
  'EMPTY_BODY',
  'VALIDATION_FAILED',
  'NESTING_TOO_DEEP',
  'FORBIDDEN_KEY',
  'FIELD_TOO_LARGE',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
];
