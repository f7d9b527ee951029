import { z } from 'zod';
import { ProviderName } from './intel.schema.ts';
import { Feedback, IncidentView } from './memory.schema.ts';
import { ObservableType } from './observable.schema.ts';
import { TriageResult } from './result.schema.ts';

/** Queue names, in one place (kebab-case, no `:`). */
export const QUEUE = {
  enrich: 'enrich',
  classify: 'classify',
  results: 'results',
  intelAbuseipdb: 'intel-abuseipdb',
  intelVirustotal: 'intel-virustotal',
  deadLetter: 'dead-letter',
} as const;
export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];

export const AlertJob = z.object({
  alert_id: z.string().min(1).max(128),
  batch_id: z.string().min(1).max(128).optional(),
});
export type AlertJob = z.infer<typeof AlertJob>;

export const LookupJob = z.object({
  provider: ProviderName,
  type: ObservableType,
  value: z.string().min(1).max(8192),
});
export type LookupJob = z.infer<typeof LookupJob>;

export const ResultJob = z.object({
  alert_id: z.string(),
  batch_id: z.string().optional(),
  /**
   * Optional since results jobs carry only the alert id: the verdict is read from the alert record at
   * delivery (kept RESULT_TTL_SECONDS), so a retained results job costs a few hundred bytes instead
   * of a second copy of the verdict. Jobs added before that still carry it, and it is used.
   */
  result: TriageResult.optional(),
  /** Set when the verdict is delivered again because analyst feedback changed it. */
  feedback: Feedback.optional(),
  /**
   * `incident.updated`: not a verdict but an incident `alert_id` changed (`incident` is its state
   * right after, `revision` its revision, `changes` what changed). Absent: the alert's verdict
   * (`alert.verdict`).
   */
  event: z.enum(['alert.verdict', 'incident.updated']).optional(),
  incident: IncidentView.optional(),
  revision: z.number().int().min(0).optional(),
  changes: z.array(z.string().max(128)).max(64).optional(),
});
export type ResultJob = z.infer<typeof ResultJob>;

export const DeadLetterJob = z.object({
  queue: z.string(),
  job_id: z.string(),
  data: z.unknown(),
  failed_reason: z.string(),
  failed_at: z.string(),
});
export type DeadLetterJob = z.infer<typeof DeadLetterJob>;

export interface QueueSpec<S extends z.ZodType = z.ZodType> {
  name: QueueName;
  schema: S;
  /** Default job options for this queue (BullMQ `DefaultJobOptions`-compatible). */
  defaults: {
    attempts: number;
    backoff: { type: 'exponential' | 'fixed'; delay: number };
    removeOnComplete: { age: number; count: number };
    removeOnFail: { age: number; count: number };
  };
}

const HOUR = 3600;
const DAY = 24 * HOUR;

/**
 * The job catalog. Retention is bounded on every queue so Redis never grows without limit;
 * failed jobs are kept a week for an operator to inspect in Bull Board.
 */
export const JOBS = {
  enrich: {
    name: QUEUE.enrich,
    schema: AlertJob,
    defaults: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      // A finished enrich or classify job is only an operator's view (the record holds the outcome,
      // and neither job id is ever re-added once its alert is final): keep the last 1,000 for an hour.
      removeOnComplete: { age: HOUR, count: 1000 },
      removeOnFail: { age: 7 * DAY, count: 100_000 },
    },
  },
  classify: {
    name: QUEUE.classify,
    schema: AlertJob,
    defaults: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: HOUR, count: 1000 },
      removeOnFail: { age: 7 * DAY, count: 100_000 },
    },
  },
  results: {
    name: QUEUE.results,
    schema: ResultJob,
    defaults: {
      attempts: 12,
      backoff: { type: 'exponential', delay: 2000 },
      // Like enrich and classify: an operator's view only. A classify job run again after a crash
      // may re-add a results job whose first run completed and is gone; the delivered marker
      // (AlertStore.delivered) is what keeps that re-add from sending twice, not a kept job.
      removeOnComplete: { age: HOUR, count: 1000 },
      removeOnFail: { age: 7 * DAY, count: 100_000 },
    },
  },
  intelAbuseipdb: {
    name: QUEUE.intelAbuseipdb,
    schema: LookupJob,
    defaults: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 2000 },
      removeOnComplete: { age: 60, count: 1000 },
      removeOnFail: { age: DAY, count: 10_000 },
    },
  },
  intelVirustotal: {
    name: QUEUE.intelVirustotal,
    schema: LookupJob,
    defaults: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 2000 },
      removeOnComplete: { age: 60, count: 1000 },
      removeOnFail: { age: DAY, count: 10_000 },
    },
  },
  deadLetter: {
    name: QUEUE.deadLetter,
    schema: DeadLetterJob,
    defaults: {
      attempts: 1,
      backoff: { type: 'fixed', delay: 0 },
      removeOnComplete: { age: 30 * DAY, count: 100_000 },
      removeOnFail: { age: 30 * DAY, count: 100_000 },
    },
  },
} as const satisfies Record<string, QueueSpec>;

/** Severity → BullMQ priority (1 is served first). */
export const SEVERITY_PRIORITY = {
  Critical: 1,
  High: 2,
  Medium: 3,
  Low: 4,
  Informational: 5,
} as const;

/**
 * Lanes. `live` alerts (the default) are served first at every stage; a `backlog` (a night's or a
 * migration's alerts, submitted with `?lane=backlog`) runs behind them in its own priority band,
 * so a live Informational alert still overtakes a million queued backlog alerts.
 */
export const Lane = z.enum(['live', 'backlog']);
export type Lane = z.infer<typeof Lane>;

/**
 * Start of the backlog band. BullMQ orders prioritized jobs by priority first, then by insertion,
 * and accepts priorities up to 2,097,151 (2^21 - 1, so `priority * 2^32 + counter` stays exact in
 * a Lua double): live uses 1-5, the backlog 1,000,001-1,000,005.
 */
export const BACKLOG_PRIORITY_OFFSET = 1_000_000;

/** The BullMQ priority of an alert's jobs at every stage. */
export function jobPriority(severity: keyof typeof SEVERITY_PRIORITY, lane: Lane = 'live'): number {
  return SEVERITY_PRIORITY[severity] + (lane === 'backlog' ? BACKLOG_PRIORITY_OFFSET : 0);
}

/** The lane a job belongs to, read back from its priority (what a stage passes to the next). */
export function laneOfPriority(priority: number | undefined): Lane {
  return (priority ?? 0) > BACKLOG_PRIORITY_OFFSET ? 'backlog' : 'live';
}

/**
 * Deterministic job id for a lookup, so N alerts sharing an observable add one job.
 * Percent-encoding keeps it injective and free of `:` (which BullMQ reserves).
 */
export function lookupJobId(job: LookupJob): string {
  const safe = job.value.replace(/[^A-Za-z0-9._-]/g, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''),
  );
  return `${job.provider}.${job.type}.${safe}`;
}
