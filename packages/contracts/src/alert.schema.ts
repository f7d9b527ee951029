import { z } from 'zod';
import { FileHash, Severity } from './primitives.schema.ts';
import { AlertSignals } from './signals.schema.ts';

/**
 * Formats the normalizers understand. `generic` is the fallback for any JSON object. `windows`:
 * Windows events (evtx JSON, Winlogbeat, flat event rows) and Sigma matches carrying their event;
 * `hayabusa`: timeline rows of Sigma-over-EVTX tools (Hayabusa, Chainsaw CSV). Added values go
 * at the end: stored alerts and API clients know the earlier ones.
 */
export const AlertFormat = z.enum([
  'sentinel',
  'splunk',
  'elastic',
  'wazuh',
  'ocsf',
  'suricata',
  'original',
  'generic',
  'windows',
  'hayabusa',
]);
export type AlertFormat = z.infer<typeof AlertFormat>;

export const ProcessInfo = z.object({
  name: z.string().max(1024).optional(),
  pid: z.number().int().optional(),
  command_line: z.string().optional(),
  parent_name: z.string().max(1024).optional(),
  parent_command_line: z.string().optional(),
});
export type ProcessInfo = z.infer<typeof ProcessInfo>;

const Port = z.number().int().min(0).max(65535);

/**
 * What every normalizer produces (docs/api.md). Absent fields are omitted, never invented.
 * `raw` keeps the payload as received so nothing a SIEM sent is lost.
 */
export const NormalizedAlert = z.object({
  format: AlertFormat,
  source_id: z.string().optional(),
  name: z.string(),
  rule_id: z.string().optional(),
  severity: Severity,
  /** Severity was not stated by the source and was defaulted. */
  severity_inferred: z.boolean().optional(),
  source_confidence: z.number().min(0).max(100).optional(),
  first_seen: z.string().optional(),
  last_seen: z.string().optional(),
  src_ip: z.string().optional(),
  src_port: Port.optional(),
  dst_ip: z.string().optional(),
  dst_port: Port.optional(),
  user: z.string().optional(),
  host: z.string().optional(),
  process: ProcessInfo.optional(),
  hashes: z.array(FileHash).optional(),
  urls: z.array(z.string()).optional(),
  domains: z.array(z.string()).optional(),
  mitre: z.array(z.string()).optional(),
  /** Free text the source attached (description, full_log, message); feeds rules and extraction. */
  description: z.string().optional(),
  /** Source-specific facts the rules use (e.g. failed_logins, success, location, rule_level, groups). */
  facts: z.record(z.string(), z.unknown()).optional(),
  /**
   * Typed signals with provenance: the only alert input of the verdict engine (see signals.schema.ts).
   * Optional because records stored before signals existed do not have them.
   */
  signals: AlertSignals.optional(),
  fingerprint: z.string(),
  raw: z.unknown(),
});
export type NormalizedAlert = z.infer<typeof NormalizedAlert>;
