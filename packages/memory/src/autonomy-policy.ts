import type {
  AlertFormat,
  DecidedBy,
  Disposition,
  NormalizedAlert,
  Severity,
  TriageResult,
} from '@triage/contracts';
import type { TriageConfig } from '@triage/runtime';

export type AutonomyMode = 'recommend' | 'auto-close';

/** What may be closed without a person (config: AUTONOMY_*, NEVER_AUTO_CLOSE_*). */
export interface AutonomyPolicy {
  mode: AutonomyMode;
  /** `auto-close` closes a FALSE_POSITIVE at or above this confidence. */
  minConfidence: number;
  /** Verdict makers whose FALSE_POSITIVE may be closed alone (rules and memory; the LLM only when allowed). */
  deciders: readonly DecidedBy[];
  byFormat: Partial<Record<AlertFormat, { mode?: AutonomyMode; min_confidence?: number }>>;
  neverSeverities: readonly Severity[];
  neverTactics: readonly string[];
  neverHosts: readonly string[];
  neverUsers: readonly string[];
}

export function autonomyPolicy(c: TriageConfig): AutonomyPolicy {
  return {
    mode: c.AUTONOMY_MODE,
    minConfidence: c.AUTONOMY_MIN_CONFIDENCE,
    // A cached verdict is an LLM verdict served again.
    deciders: c.AUTONOMY_ALLOW_LLM ? ['rules', 'memory', 'llm', 'cache'] : ['rules', 'memory'],
    byFormat: c.AUTONOMY_BY_FORMAT,
    neverSeverities: c.NEVER_AUTO_CLOSE_SEVERITIES,
    neverTactics: c.NEVER_AUTO_CLOSE_TACTICS.map((t) => t.toLowerCase()),
    neverHosts: c.NEVER_AUTO_CLOSE_HOSTS.map((h) => h.toLowerCase()),
    neverUsers: c.NEVER_AUTO_CLOSE_USERS.map((u) => u.toLowerCase()),
  };
}

/** Why a FALSE_POSITIVE may not be closed without a person, or undefined when it may. */
export function neverAutoClose(
  p: AutonomyPolicy,
  result: TriageResult,
  alert: NormalizedAlert,
): string | undefined {
  for (const sev of [alert.severity, result.severity]) {
    if (p.neverSeverities.includes(sev)) return `severity ${sev} is never closed without a person`;
  }
  const tactics = [...result.mitre.map((m) => m.tactic), ...(alert.signals?.detection?.tactics ?? [])].filter(
    (t): t is string => !!t,
  );
  const tactic = tactics.find((t) => p.neverTactics.includes(t.toLowerCase()));
  if (tactic) return `ATT&CK tactic ${tactic} is never closed without a person`;
  const host = alert.signals?.host?.name ?? alert.host;
  if (host && p.neverHosts.includes(host.toLowerCase()))
    return `host ${host} is never closed without a person`;
  const users = [alert.signals?.auth?.user, alert.signals?.process?.user, alert.user];
  const user = users.find((u) => u && p.neverUsers.includes(u.toLowerCase()));
  if (user) return `user ${user} is never closed without a person`;
  return undefined;
}

/** The disposition of a verdict under the policy: only a FALSE_POSITIVE is ever closed. */
export function disposition(p: AutonomyPolicy, result: TriageResult, alert: NormalizedAlert): Disposition {
  if (result.classification !== 'FALSE_POSITIVE') return 'escalate';
  const own = p.byFormat[alert.format];
  const mode = own?.mode ?? p.mode;
  const min = own?.min_confidence ?? p.minConfidence;
  if (mode !== 'auto-close') return 'recommended_close';
  if (result.confidence < min || !p.deciders.includes(result.decided_by)) return 'recommended_close';
  return neverAutoClose(p, result, alert) ? 'recommended_close' : 'auto_closed';
}
