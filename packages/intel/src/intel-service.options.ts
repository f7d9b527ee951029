import type { Enrichment, Lane } from '@triage/contracts';
import type { Logger, Metrics, Redis, TriageConfig } from '@triage/runtime';
import type { ConnectionOptions } from 'bullmq';

export interface IntelServiceOptions {
  /** General Redis client (cache, ledgers, waiters). Owned by the caller. */
  redis: Redis;
  /** For BullMQ queues and workers (`maxRetriesPerRequest: null`). */
  connection: ConnectionOptions;
  /** QUEUE_PREFIX. */
  prefix: string;
  config: TriageConfig;
  logger: Logger;
  metrics: Metrics;
  /** Wakes enrich jobs whose lookups finished (e.g. promote their delayed job). Without it they poll. */
  wake?: (waiterIds: string[]) => Promise<void>;
  /** Where the offline snapshots live (defaults to the bundled data/). */
  offlineDataDir?: URL;
}

export interface GatherOptions {
  /** Id to wake when a lookup this alert waits for finishes (usually the enrich job id). */
  waiterId: string;
  /**
   * Epoch ms of the alert's first gather; with INTEL_WAIT_MS it bounds the total wait. Omit it and
   * the service remembers the first call per `waiterId` in Redis (cleared when done).
   */
  firstAttemptAt?: number;
  /** The alert's lane: a backlog alert's lookups queue behind every live alert's (default live). */
  lane?: Lane;
}

export type GatherResult = { done: true; enrichment: Enrichment } | { done: false; retryInMs: number };
