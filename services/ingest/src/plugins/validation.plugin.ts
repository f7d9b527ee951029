import type { ErrorCode } from '@triage/contracts';
import { AppError, zodDetails } from '@triage/runtime';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

/**
 * How the route schemas are enforced. Per schema: the error code a failure answers (default
 * `VALIDATION_FAILED`), or `checkedByRoute` for a body the route validates itself (documented in the
 * spec, not checked by Fastify).
 */
const enforcement = z.registry<{ code?: ErrorCode; checkedByRoute?: true }>();

/** A failure of `schema` answers `code` (e.g. an unknown `?format=` is `UNKNOWN_FORMAT`). */
export function failsWith<T extends z.ZodType>(schema: T, code: ErrorCode): T {
  enforcement.add(schema, { code });
  return schema;
}

/**
 * `schema` documents a body the route checks itself. Alert bodies are parsed by the guarded parser
 * (size, depth, forbidden keys, NUL bytes, each with its own code) and each batch item is normalized
 * on its own, so the good items of a batch are accepted when some are bad — a whole-body schema
 * check in front would reject them all, and with other codes.
 */
export function checkedByRoute<T extends z.ZodType>(schema: T): T {
  enforcement.add(schema, { checkedByRoute: true });
  return schema;
}

/**
 * zod validates params, query strings and bodies (fastify-type-provider-zod's model, with our error
 * body: a failure is an AppError the root handler answers as-is). Responses are documented, not
 * re-validated: they are built from the same contracts, and checking a 1,000-result batch page on
 * every request would cost the hot path for nothing.
 */
export function registerValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema }) => {
    const s = schema as z.ZodType;
    const rule = enforcement.get(s);
    if (rule?.checkedByRoute) return (data: unknown) => ({ value: data });
    const code = rule?.code ?? 'VALIDATION_FAILED';
    return (data: unknown) => {
      const r = s.safeParse(data);
      return r.success
        ? { value: r.data }
        : { error: new AppError(code, { details: zodDetails(r.error.issues) }) };
    };
  });
  app.setSerializerCompiler(() => (data: unknown) => JSON.stringify(data));
}
