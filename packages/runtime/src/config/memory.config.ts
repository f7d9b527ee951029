import { AlertFormat } from '@triage/contracts';
import { z } from 'zod';
import { EnvBool, EnvInt, EnvJson, EnvList } from './env.ts';

const Mode = z.enum(['recommend', 'auto-close']);

/** `AUTONOMY_BY_FORMAT='{"wazuh":{"mode":"auto-close","min_confidence":95}}'`. */
const ByFormat = EnvJson('{"wazuh":{"mode":"auto-close"}}').pipe(
  z.partialRecord(
    AlertFormat,
    z.strictObject({ mode: Mode.optional(), min_confidence: z.number().int().min(0).max(100).optional() }),
  ),
);

/** Analyst memory, incidents and graduated autonomy (docs/memory.md). */
export const MemoryConfig = z.object({
  /**
   * Incidents: an alert joins its entity's (host, else user, else source address) incident when its
   * event time is within this many minutes of the incident's alerts (a sliding window).
   */
  INCIDENT_WINDOW_MINUTES: EnvInt(1, 7 * 24 * 60).default(30),
  /** Rolling window of the entity baselines (detection per host/user, process lineage per host), days. */
  BASELINE_DAYS: EnvInt(1, 90).default(14),
  /**
   * Only similarity keys whose entity (host, user) is metadata may close alerts as FALSE_POSITIVE.
   * Off by default: a generic SIEM export's host field has no known provenance, yet must match
   * exactly; on, a forged host name can never borrow another host's suppression.
   */
  MEMORY_REQUIRE_METADATA_ENTITY: EnvBool.default(false),
  /**
   * What may be closed without a person. `recommend`: every FALSE_POSITIVE is delivered as a
   * recommended close. `auto-close`: a FALSE_POSITIVE at or above `AUTONOMY_MIN_CONFIDENCE`,
   * decided by the rules or analyst memory, is closed, unless a never-auto-close condition holds.
   */
  AUTONOMY_MODE: Mode.default('recommend'),
  /** Confidence at or above which `auto-close` closes a FALSE_POSITIVE. */
  AUTONOMY_MIN_CONFIDENCE: EnvInt(0, 100).default(90),
  /** Let an LLM FALSE_POSITIVE (or its cached copy) be closed without a person. Off: the LLM alone only recommends. */
  AUTONOMY_ALLOW_LLM: EnvBool.default(false),
  /** Per-format overrides of mode and confidence (JSON keyed by format: sentinel, wazuh, ...). */
  AUTONOMY_BY_FORMAT: ByFormat.prefault('{}'),
  /** Severities never closed without a person (the source's or the verdict's). */
  NEVER_AUTO_CLOSE_SEVERITIES: EnvList.pipe(
    z.array(z.enum(['Critical', 'High', 'Medium', 'Low', 'Informational'])),
  ).prefault('Critical'),
  /** ATT&CK tactics (lower-case, dashes) never closed without a person. */
  NEVER_AUTO_CLOSE_TACTICS: EnvList.prefault('credential-access,lateral-movement,exfiltration,impact'),
  /** Hosts never closed without a person (case-insensitive names: domain controllers, crown jewels). */
  NEVER_AUTO_CLOSE_HOSTS: EnvList.default([]),
  /** Users never closed without a person (case-insensitive: admins, service accounts of value). */
  NEVER_AUTO_CLOSE_USERS: EnvList.default([]),
});
