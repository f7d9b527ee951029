import { randomUUID } from 'node:crypto';
import type { Enrichment, NormalizedAlert, ProviderResult, Severity } from '@triage/contracts';
import { createLogger, type Logger, loadConfig, type TriageConfig } from '@triage/runtime';
import { extractFeatures } from './alert-features.ts';
import { detectInjection, injectionEvidence } from './guardrails.ts';
import { type RulesSettings, rulesSettings } from './rules/evidence.ts';
import { runRules } from './rules/rules-engine.ts';

/*
 * Hand-built alerts and intel for the classifier's tests. The normalizers are written concurrently,
 * so these mappers mirror the fields a normalizer produces (name, severity, IPs, facts, raw) from
 * a raw SIEM record without importing them.
 */

type Obj = Record<string, unknown>;

export function alertOf(partial: Partial<NormalizedAlert> & { name: string }): NormalizedAlert {
  return {
    format: 'generic',
    severity: 'Medium',
    fingerprint: randomUUID(),
    raw: {},
    ...partial,
  };
}

/** The original service's `{name, alert: {user, source_ip, failed_logins, success, time, location, severity}}`. */
export function originalAlert(name: string, a: Obj): NormalizedAlert {
  const sev = a.severity as Severity | undefined;
  return alertOf({
    format: 'original',
    name,
    severity: sev ?? 'Medium',
    ...(sev ? {} : { severity_inferred: true }),
    ...(typeof a.source_ip === 'string' ? { src_ip: a.source_ip } : {}),
    ...(typeof a.user === 'string' ? { user: a.user } : {}),
    facts: Object.fromEntries(
      ['failed_logins', 'success', 'time', 'location']
        .filter((k) => a[k] !== undefined)
        .map((k) => [k, a[k]]),
    ),
    raw: { name, alert: a },
  });
}

const LEVEL_SEVERITY = (level: number): Severity =>
  level >= 12
    ? 'Critical'
    : level >= 10
      ? 'High'
      : level >= 7
        ? 'Medium'
        : level >= 4
          ? 'Low'
          : 'Informational';

/** A Wazuh alerts.json record. */
export function wazuhAlert(raw: Obj): NormalizedAlert {
  const rule = (raw.rule ?? {}) as Obj;
  const data = (raw.data ?? {}) as Obj;
  const mitre = ((rule.mitre ?? {}) as Obj).id as string[] | undefined;
  const srcip = (data.srcip ?? data.src_ip) as string | undefined;
  const dst = (data.dstip ?? data.dest_ip) as string | undefined;
  return alertOf({
    format: 'wazuh',
    source_id: raw.id as string,
    name: String(rule.description ?? 'Wazuh alert'),
    rule_id: String(rule.id ?? ''),
    severity: LEVEL_SEVERITY(Number(rule.level ?? 0)),
    ...(srcip ? { src_ip: srcip } : {}),
    ...(dst ? { dst_ip: dst.split(':')[0] } : {}),
    ...(data.dstuser || data.srcuser ? { user: String(data.srcuser ?? data.dstuser) } : {}),
    ...(mitre ? { mitre } : {}),
    ...(typeof raw.full_log === 'string' ? { description: raw.full_log } : {}),
    ...(typeof raw['@timestamp'] === 'string' ? { first_seen: raw['@timestamp'] } : {}),
    facts: {
      rule_level: rule.level,
      rule_groups: rule.groups,
      ...(rule.firedtimes !== undefined ? { rule_firedtimes: rule.firedtimes } : {}),
    },
    raw,
  });
}

/** A Suricata alert in ECS (Malcolm). */
export function suricataEcsAlert(raw: Obj): NormalizedAlert {
  const rule = (raw.rule ?? {}) as Obj;
  const src = (raw.source ?? {}) as Obj;
  const dst = (raw.destination ?? {}) as Obj;
  const ev = (raw.event ?? {}) as Obj;
  const sev = Number(ev.severity ?? 0);
  const cat = rule.category;
  return alertOf({
    format: 'suricata',
    name: String(rule.name),
    rule_id: String(rule.id),
    severity: sev >= 90 ? 'High' : sev >= 70 ? 'Medium' : sev >= 40 ? 'Low' : 'Informational',
    src_ip: String(src.ip),
    src_port: Number(src.port),
    dst_ip: String(dst.ip),
    dst_port: Number(dst.port),
    facts: { signature: rule.name, category: Array.isArray(cat) ? cat[0] : cat },
    raw,
  });
}

export function enrichmentOf(intel: Enrichment['intel'] = {}, opts: Partial<Enrichment> = {}): Enrichment {
  return {
    observables: Object.entries(intel).map(([value, e]) => ({ type: e.type, value, scope: 'public' })),
    intel,
    partial: false,
    missing: [],
    cache: { hits: 0, misses: 0 },
    ...opts,
  };
}

const now = '2025-01-01T00:00:00.000Z';

export function abuse(
  score: number,
  extra: Partial<NonNullable<ProviderResult['abuseipdb']>> = {},
): ProviderResult {
  return {
    provider: 'abuseipdb',
    verdict: score >= 75 ? 'malicious' : score >= 25 ? 'suspicious' : 'harmless',
    checked_at: now,
    abuseipdb: { abuse_score: score, total_reports: score * 3, ...extra },
  };
}

export function vt(malicious: number, suspicious = 0): ProviderResult {
  return {
    provider: 'virustotal',
    verdict: malicious >= 3 ? 'malicious' : malicious + suspicious >= 1 ? 'suspicious' : 'harmless',
    checked_at: now,
    virustotal: { malicious, suspicious, harmless: 60, undetected: 20 },
  };
}

export function offline(lists: string[]): ProviderResult {
  return {
    provider: 'offline',
    verdict: lists.some((l) => l.startsWith('spamhaus') || l === 'feodo')
      ? 'malicious'
      : lists.length
        ? 'suspicious'
        : 'unknown',
    checked_at: now,
    offline: { lists, snapshot: '2024-02-27' },
  };
}

export const ipIntel = (...providers: ProviderResult[]) => ({
  type: 'ipv4' as const,
  providers: Object.fromEntries(providers.map((p) => [p.provider, p])),
});

export function testConfig(overrides: Record<string, unknown> = {}): TriageConfig {
  return loadConfig({}, overrides);
}

export const silentLogger = (): Logger => createLogger('classifier-test', 'silent');

export const settingsFrom = (c: TriageConfig): RulesSettings => rulesSettings(c);

/** The rules verdict for an alert, as the chain computes it (injection evidence included). */
export function verdictOf(
  alert: NormalizedAlert,
  enrichment: Enrichment = enrichmentOf(),
  c: TriageConfig = testConfig(),
) {
  const inj = injectionEvidence(detectInjection(alert));
  return runRules(
    { alert, enrichment, features: extractFeatures(alert, enrichment), settings: settingsFrom(c) },
    inj ? [inj] : [],
  );
}
