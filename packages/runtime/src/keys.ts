/**
 * Every Redis key the project writes outside BullMQ, in one place, under `QUEUE_PREFIX`
 * so several stacks can share one Redis and a test file can use its own prefix.
 */
export function keys(prefix: string) {
  return {
    alert: (id: string) => `${prefix}:alert:${id}`,
    batch: (id: string) => `${prefix}:batch:${id}`,
    batchIds: (id: string) => `${prefix}:batch:${id}:ids`,
    /** Jobs of a paused batch parked as delayed, as `<queue>|<job id>`, to promote on resume. */
    batchParked: (id: string) => `${prefix}:batch:${id}:parked`,
    /** A batch request's Idempotency-Key → what it was answered. */
    idempotency: (key: string) => `${prefix}:idem:${key}`,
    sourceId: (format: string, sourceId: string) => `${prefix}:source:${format}:${sourceId}`,
    /**
     * A webhook message other than an alert's own verdict (feedback, incident) was delivered: its
     * marker (an alert's verdict is marked in its record, `AlertStore.markDelivered`).
     */
    delivered: (messageId: string) => `${prefix}:delivered:${messageId}`,
    /**
     * ZSET of alerts accepted and not final yet (alert id → when last checked, ms): the stranded-alert
     * sweeper's work list.
     */
    inflight: `${prefix}:inflight`,
    /** Held by the process sweeping for stranded alerts (one at a time across processes). */
    sweeperLock: `${prefix}:sweeper:lock`,
    /** Stream of admin actions (who, what, when), capped. */
    audit: `${prefix}:audit`,
    completedChannel: `${prefix}:events:completed`,
    /** HASH of pipeline-wide counters: `done` (alerts made final), sampled for the measured throughput. */
    progress: `${prefix}:progress`,
    /** ZSET worker instance → last heartbeat (ms) of the processes working one queue (Heartbeat). */
    workers: (queue: string) => `${prefix}:workers:${queue}`,
    /** JSON status snapshot a component publishes for /health and /metrics (TTL: a few heartbeats). */
    status: (component: string) => `${prefix}:status:${component}`,
    /** Namespace for package-owned keys (intel cache, ledgers, verdict cache): `${prefix}:<area>:...`. */
    ns: (area: string) => `${prefix}:${area}`,
  };
}
export type Keys = ReturnType<typeof keys>;
