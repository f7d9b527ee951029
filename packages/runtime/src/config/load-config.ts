import type { z } from 'zod';
import { AppError } from '../app-error.ts';
import { redactUrl } from '../redis.ts';
import { BaseConfig } from './base.config.ts';
import { ClassifierConfig } from './classifier.config.ts';
import { HttpConfig } from './http.config.ts';
import { IntelConfig } from './intel.config.ts';
import { MemoryConfig } from './memory.config.ts';
import { OpsConfig } from './ops.config.ts';
import { WebhookConfig } from './webhook.config.ts';

/** The whole environment contract. Every service parses it once in `main.ts`. */
export const TriageConfig = BaseConfig.extend(HttpConfig.shape)
  .extend(IntelConfig.shape)
  .extend(ClassifierConfig.shape)
  .extend(WebhookConfig.shape)
  .extend(OpsConfig.shape)
  .extend(MemoryConfig.shape);
export type TriageConfig = Readonly<z.output<typeof TriageConfig>>;

/** The prefix when REDIS_CLUSTER_NODES is set and QUEUE_PREFIX is not. */
export const CLUSTER_PREFIX = '{triage}';
/** A Redis Cluster hash tag: the first `{...}` with something inside decides the slot. */
const HASH_TAG = /^[^{}]*\{[^{}]+\}[^{}]*$/;

export class ConfigError extends AppError {
  constructor(message: string) {
    super('INTERNAL', { message });
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment once. Empty strings count as unset so `FOO=` in an env file means "default".
 * Throws a ConfigError naming each bad variable and what was expected.
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  overrides: Record<string, unknown> = {},
): TriageConfig {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(TriageConfig.shape)) {
    const v = env[key];
    if (v !== undefined && v.trim() !== '') input[key] = v;
  }
  Object.assign(input, overrides);
  // With Redis Cluster every key of a stack must hash to one slot: the default prefix carries a tag.
  if (input.QUEUE_PREFIX === undefined && typeof input.REDIS_CLUSTER_NODES === 'string') {
    input.QUEUE_PREFIX = CLUSTER_PREFIX;
  }
  const parsed = TriageConfig.superRefine((c, ctx) => {
    if (c.REDIS_CLUSTER_NODES.length > 0 && !HASH_TAG.test(c.QUEUE_PREFIX)) {
      ctx.addIssue({
        code: 'custom',
        path: ['QUEUE_PREFIX'],
        message: `with REDIS_CLUSTER_NODES the prefix needs a hash tag, e.g. "{${c.QUEUE_PREFIX.replace(/[{}]/g, '')}}", so each stack's keys share one cluster slot`,
      });
    }
  }).safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? '?');
      const value = env[name] ?? overrides[name];
      const shown = /KEY|SECRET/.test(name)
        ? '<redacted>'
        : JSON.stringify(typeof value === 'string' ? redactUrl(value) : value);
      return `${name}=${shown}: ${i.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return Object.freeze(parsed.data);
}
