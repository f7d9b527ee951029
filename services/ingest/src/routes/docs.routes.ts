import {
  AlertAccepted,
  AlertFormat,
  AlertView,
  AnalyzeResponse,
  BatchAccepted,
  BatchView,
  ErrorBody,
  LegacyBatchResponse,
} from '@triage/contracts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'output', unrepresentable: 'any' });

const json = (s: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema: schema(s) } },
});
const error = (description: string) => json(ErrorBody, description);
const formatParam = {
  name: 'format',
  in: 'query',
  required: false,
  description: 'Force a normalizer instead of auto-detection',
  schema: schema(AlertFormat),
};
const anyAlert = {
  required: true,
  content: {
    'application/json': {
      schema: {
        description:
          'One alert in any supported format (Sentinel, Splunk, Elastic, Wazuh, OCSF, Suricata, original, generic JSON)',
        type: 'object',
      },
      example: {
        name: 'Brute Force',
        alert: {
          user: 'alice',
          source_ip: '185.220.101.52',
          failed_logins: 12,
          success: true,
          severity: 'High',
        },
      },
    },
  },
};
const batchBody = {
  required: true,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: { alerts: { type: 'array', items: { type: 'object' } } },
        required: ['alerts'],
      },
    },
    'application/x-ndjson': { schema: { type: 'string', description: 'One alert per line' } },
  },
};
const common4xx = {
  '400': error(
    'Invalid input (bad JSON, schema, nesting, forbidden keys, NUL bytes, field size, too many items)',
  ),
  '401': error('Missing or wrong API key (when TRIAGE_API_KEYS is set)'),
  '413': error('Body too large'),
  '415': error('Unsupported content type'),
  '503': error('Backpressure or Redis unavailable; see Retry-After'),
};

/** The OpenAPI document, generated from the zod contracts. */
export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: { title: 'triage', version: '0.1.0', description: 'Security alert triage pipeline' },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
    security: [{ bearer: [] }, { apiKey: [] }, {}],
    paths: {
      '/v1/alerts': {
        post: {
          summary: 'Submit one alert',
          parameters: [formatParam],
          requestBody: anyAlert,
          responses: { '202': json(AlertAccepted, 'Queued'), ...common4xx },
        },
      },
      '/v1/alerts/batch': {
        post: {
          summary:
            'Submit up to BATCH_MAX_ITEMS alerts (JSON or NDJSON); good items are accepted when some are bad',
          parameters: [formatParam],
          requestBody: batchBody,
          responses: { '202': json(BatchAccepted, 'Queued'), ...common4xx },
        },
      },
      '/v1/alerts/{id}': {
        get: {
          summary: 'Status, normalized alert and verdict',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': json(AlertView, 'The alert'), '404': error('Unknown or expired') },
        },
      },
      '/v1/batches/{id}': {
        get: {
          summary: 'Batch summary and a page of results',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'cursor', in: 'query', schema: { type: 'integer', minimum: 0 } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
          ],
          responses: { '200': json(BatchView, 'The batch'), '404': error('Unknown or expired') },
        },
      },
      '/analyze': {
        post: {
          summary: 'Original-service compatible: submit one alert and wait for its verdict (bounded)',
          requestBody: anyAlert,
          responses: {
            '200': json(AnalyzeResponse, 'The verdict'),
            '202': json(AnalyzeResponse, 'Still running; poll links.self'),
            ...common4xx,
          },
        },
      },
      '/batch': {
        post: {
          summary: 'Original-service compatible batch: waits for the verdicts (bounded)',
          requestBody: batchBody,
          responses: {
            '200': json(LegacyBatchResponse, 'All verdicts'),
            '202': json(LegacyBatchResponse, 'Some still running'),
            ...common4xx,
          },
        },
      },
      '/health': {
        get: {
          summary: 'Liveness, Redis, queue depths, provider and LLM status',
          responses: { '200': { description: 'OK' }, '503': { description: 'Redis down' } },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          responses: { '200': { description: 'text/plain exposition' } },
        },
      },
      '/admin/queues': { get: { summary: 'Bull Board', responses: { '200': { description: 'HTML' } } } },
    },
  };
}

export function docsRoutes() {
  const doc = openApiDocument();
  return async (app: FastifyInstance) => {
    app.get('/docs', async () => doc);
    app.get('/docs/openapi.json', async () => doc);
  };
}
