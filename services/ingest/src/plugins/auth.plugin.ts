import { timingSafeEqual } from 'node:crypto';
import { AppError } from '@triage/runtime';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Paths that stay open for probes even when keys are configured. */
const OPEN = new Set(['/health']);

function matches(candidate: string, keys: Buffer[]): boolean {
  const c = Buffer.from(candidate);
  return keys.some((k) => k.length === c.length && timingSafeEqual(k, c));
}

/** Key from `Authorization: Bearer`, `X-API-Key`, or Basic auth's password (for Bull Board in a browser). */
function presented(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim();
  if (h?.startsWith('Basic ')) {
    const decoded = Buffer.from(h.slice(6), 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  const x = req.headers['x-api-key'];
  return typeof x === 'string' ? x : undefined;
}

/** API-key auth on every route (and Bull Board) when TRIAGE_API_KEYS is set. */
export function registerAuth(app: FastifyInstance, apiKeys: string[]): void {
  if (apiKeys.length === 0) return;
  const keys = apiKeys.map((k) => Buffer.from(k));
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (OPEN.has(path)) return;
    const key = presented(req);
    if (key && matches(key, keys)) return;
    // Browser pages (Bull Board, the API docs): let the browser ask for the key as a Basic password.
    if (path.startsWith('/admin/queues') || path.startsWith('/docs'))
      reply.header('www-authenticate', 'Basic realm="triage"');
    // Answered here rather than thrown: Bull Board's plugin has an error handler of its own.
    const err = new AppError('UNAUTHORIZED');
    return reply.status(err.status).send(err.toBody());
  });
}
