import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { IncidentWebhookPayload, WebhookPayload } from '@triage/contracts';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TAGS } from '../lib/openapi.ts';

export const DOCS_PATH = '/docs';

type Doc = { components?: { schemas?: Record<string, unknown> } } & Record<string, unknown>;

/**
 * The zod registry yields each registered schema twice (`X` for responses, `XInput` for requests);
 * only the ones a route uses stay, so the spec has no dead components (Redocly: no-unused-components).
 */
function dropUnusedSchemas(doc: Doc): Doc {
  const schemas = doc.components?.schemas;
  if (!schemas) return doc;
  const used = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (k === '$ref' && typeof child === 'string') {
          const name = child.replace('#/components/schemas/', '');
          if (!used.has(name)) {
            used.add(name);
            visit(schemas[name]);
          }
        } else visit(child);
      }
    }
  };
  const { components, ...rest } = doc;
  visit(rest);
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  return { ...rest, components: { ...components, schemas: kept } };
}

/**
 * A webhook body as JSON Schema inside the spec: schemas registered with an id (TriageResult) are
 * `$defs` of the generated schema; they point at the spec's components instead.
 */
function bodySchema(schema: z.ZodType): unknown {
  const {
    $schema: _draft,
    $defs: _defs,
    ...rest
  } = z.toJSONSchema(schema, {
    io: 'output',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return JSON.parse(JSON.stringify(rest).replaceAll('"#/$defs/', '"#/components/schemas/'));
}

const SIGNATURE_HEADERS = [
  ['webhook-id', 'The message id, the same on every retry of one message: dedupe on it.'],
  ['webhook-timestamp', 'Unix seconds of this attempt (signed: refuse one more than 5 minutes off).'],
  [
    'webhook-signature',
    '`v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<raw body>">` keyed with WEBHOOK_SECRET (Standard Webhooks).',
  ],
] as const;

/** One webhook the deliver worker POSTs to WEBHOOK_URL (OpenAPI 3.1 `webhooks`). */
function webhook(operationId: string, summary: string, description: string, schema: z.ZodType) {
  return {
    post: {
      operationId,
      summary,
      description,
      tags: ['webhooks'],
      security: [],
      parameters: SIGNATURE_HEADERS.map(([name, text]) => ({
        name,
        in: 'header' as const,
        required: true,
        description: text,
        schema: { type: 'string' as const },
      })),
      requestBody: { required: true, content: { 'application/json': { schema: bodySchema(schema) } } },
      responses: {
        '200': { description: 'Any 2xx: delivered.' },
        '400': {
          description:
            'Any 4xx but 408 and 429: refused, dead-lettered at once. 408, 429, 5xx and network errors are retried with backoff (12 attempts, `Retry-After` honoured).',
        },
      },
    },
  };
}

/** The deliver worker's two events (OpenAPI 3.1 `webhooks`), added to the generated document. */
function withWebhooks(doc: Doc): Doc {
  return {
    ...doc,
    webhooks: {
      'alert.verdict': webhook(
        'webhookAlertVerdict',
        "An alert's verdict",
        'Every verdict once (`webhook-id` = alert id), and again as a new message when analyst feedback changes it (`feedback` set) or an incident kill chain raises it.',
        WebhookPayload,
      ),
      'incident.updated': webhook(
        'webhookIncidentUpdated',
        'An incident changed',
        'When an incident is first worth a look, changes verdict, sees a new ATT&CK tactic or forms a kill chain (`webhook-id` = `<incident>-r<revision>`); never for an incident of FALSE_POSITIVE members only.',
        IncidentWebhookPayload,
      ),
    },
  };
}

type Transform = ReturnType<typeof createJsonSchemaTransform>;
type BodyByType = { content: Record<string, { schema: z.ZodType }> };

/**
 * fastify-type-provider-zod converts a body given as one zod schema; a body with one schema per
 * content type (a batch: JSON or NDJSON) is converted type by type here, and @fastify/swagger
 * renders the `content` map as it is.
 */
function withBodyPerContentType(base: Transform): Transform {
  return (input) => {
    const body = input.schema?.body as BodyByType | z.ZodType | undefined;
    if (!body || body instanceof z.ZodType || !('content' in body)) return base(input);
    const { body: _omit, ...rest } = input.schema;
    const out = base({ ...input, schema: rest });
    const content = Object.fromEntries(
      Object.entries(body.content).map(([type, { schema }]) => [
        type,
        { schema: (base({ ...input, schema: { body: schema } }).schema as { body: unknown }).body },
      ]),
    );
    return { ...out, schema: { ...out.schema, body: { content } } };
  };
}

/**
 * OpenAPI 3.1 generated by @fastify/swagger from the route schemas (zod, through
 * fastify-type-provider-zod), the JSON at `/docs/json` and Swagger UI at `/docs`. Register before
 * the routes: the spec is collected as they are added. How to document a new route: docs/api.md.
 */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  const transformObject = createJsonSchemaTransformObject({ schemaRegistry: z.globalRegistry });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'triage',
        version: '1.0.0',
        description:
          'Queue-driven triage of SIEM security alerts: each alert comes back TRUE_POSITIVE, FALSE_POSITIVE or NEEDS_REVIEW with a confidence, reasons, threat-intel evidence and ATT&CK techniques. Every error has the body `{"error": {"code", "message", "details"}}`; codes are stable, messages may change. Bull Board (the queue UI) is at `/admin/queues`.',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [{ url: '/', description: 'The ingest service that serves this document' }],
      tags: [
        ...TAGS,
        {
          name: 'webhooks',
          description: 'What the deliver worker POSTs to WEBHOOK_URL, signed with Standard Webhooks',
        },
      ],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key from TRIAGE_API_KEYS, as `Authorization: Bearer <key>`',
          },
          apiKey: {
            type: 'apiKey',
            in: 'header' as const,
            name: 'X-API-Key',
            description: 'An API key from TRIAGE_API_KEYS, as `X-API-Key: <key>`',
          },
        },
      },
      // A deployment without TRIAGE_API_KEYS (loopback only) accepts requests without a key.
      security: [{ bearer: [] }, { apiKey: [] }],
    },
    hideUntagged: true,
    transform: withBodyPerContentType(
      createJsonSchemaTransform({ skipList: [], schemaRegistry: z.globalRegistry }),
    ),
    transformObject: (doc) =>
      dropUnusedSchemas(withWebhooks(transformObject(doc) as Doc)) as ReturnType<typeof transformObject>,
  });
  await app.register(swaggerUi, {
    routePrefix: DOCS_PATH,
    uiConfig: { docExpansion: 'list', deepLinking: true, tryItOutEnabled: false },
  });
}
