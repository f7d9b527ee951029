import type { AlertJob, QueueName } from '@triage/contracts';
import type { VerdictMemory } from '@triage/memory';
import type { AlertStore, Logger, Metrics, PipelineStatus, Redis, TriageConfig } from '@triage/runtime';
import type { Queue } from 'bullmq';
import type { AuditLog } from './lib/audit-log.ts';
import type { Backpressure } from './lib/backpressure.ts';
import type { CompletionWaiter } from './lib/completion-waiter.ts';
import type { EtaEstimator } from './lib/eta.ts';
import type { IdempotentBatches } from './lib/idempotency.ts';
import type { Intake } from './lib/intake.ts';

/** Everything the HTTP app needs, built once in main.ts (or a test) and passed down. */
export interface AppDeps {
  config: TriageConfig;
  logger: Logger;
  redis: Redis;
  store: AlertStore;
  enrichQueue: Queue<AlertJob>;
  /** Every queue of the pipeline, for Bull Board, /health and /metrics. */
  queues: Map<QueueName, Queue>;
  intake: Intake;
  /** Idempotency-Key of batch requests (a client's safe retry after a lost answer). */
  idempotency: IdempotentBatches;
  waiter: CompletionWaiter;
  backpressure: Backpressure;
  metrics: Metrics;
  /** Queue counts, workers and component snapshots from Redis, for /health and /metrics. */
  pipeline: PipelineStatus;
  /** The quota-aware ETA of /health and GET /v1/batches/:id. */
  eta: EtaEstimator;
  /** Admin actions (Bull Board actions, Redis stats), in the log and a Redis stream. */
  audit: AuditLog;
  /** Analyst feedback (the feedback routes) and the autonomy policy. */
  memory: VerdictMemory;
}
