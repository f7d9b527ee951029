import { randomUUID } from 'node:crypto';
import type { AlertSignals, Enrichment, NormalizedAlert, ProviderResult } from '@triage/contracts';
import { normalize } from '@triage/normalizers';
import { createLogger, type Logger, loadConfig, type TriageConfig } from '@triage/runtime';
import { cpuPerCall } from '@triage/testing';
import { extractFeatures } from './alert-features.ts';
import { detectInjection, injectionEvidence } from './guardrails.ts';
import { type RulesSettings, rulesSettings } from './rules/evidence.ts';
import { runRules } from './rules/rules-engine.ts';

/*
 * Alerts and intel for the classifier's tests: raw SIEM records go through the real normalizers
 * (so signals and their provenance are the product's); `alertOf` builds an alert by hand.
 */

type Obj = Record<string, unknown>;

/**
 * An alert built by hand, as a structured SIEM would send it. Unless the test gives `signals`, they
 * are derived with the provenance such a SIEM earns: its header (name, rule id, stated severity
 * and confidence, rule facts, addresses, ports, user, host, login outcome and counts) is metadata;
 * what the event carries (process and command lines, URLs, description text) is content.
 */
export function alertOf(partial: Partial<NormalizedAlert> & { name: string }): NormalizedAlert {
  const alert: NormalizedAlert = {
    format: 'generic',
    severity: 'Medium',
    fingerprint: randomUUID(),
    raw: {},
    ...partial,
  };
  return partial.signals ? alert : { ...alert, signals: signalsOf(alert) };
}

const num = (v: unknown) =>
  typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : undefined;
const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** See alertOf. */
export function signalsOf(a: NormalizedAlert): AlertSignals {
  const f = (a.facts ?? {}) as Obj;
  const provenance: AlertSignals['provenance'] = {};
  const out: Record<string, Record<string, unknown>> = {};
  const put = (path: string, value: unknown, origin: 'metadata' | 'content') => {
    if (value === undefined || value === null || (typeof value === 'number' && Number.isNaN(value))) return;
    const [section, field] = path.split('.') as [string, string];
    out[section] = { ...out[section], [field]: value };
    provenance[path] = { origin, from: path };
  };
  const success = f.success ?? f.outcome;
  put('detection.rule_name', a.name, 'metadata');
  put('detection.rule_name_template', a.name, 'metadata');
  put('detection.rule_id', a.rule_id, 'metadata');
  if (!a.severity_inferred) put('detection.severity', a.severity, 'metadata');
  put('detection.signature', str(f.signature), 'metadata');
  put('detection.category', str(f.category), 'metadata');
  put('detection.priority', num(f.ids_priority), 'metadata');
  put('detection.groups', Array.isArray(f.rule_groups) ? f.rule_groups : undefined, 'metadata');
  put('detection.fired_times', num(f.rule_firedtimes), 'metadata');
  const level = num(f.rule_level);
  put('detection.level', level === undefined ? undefined : { scale: 'wazuh', value: level }, 'metadata');
  put('source_verdict.confidence', a.source_confidence, 'metadata');
  put('network.src_ip', a.src_ip, 'metadata');
  put('network.dst_ip', a.dst_ip, 'metadata');
  put('network.src_port', a.src_port, 'metadata');
  put('network.dst_port', a.dst_port, 'metadata');
  put('network.direction', str(f.direction), 'metadata');
  put('auth.user', a.user, 'metadata');
  put('auth.outcome', success === true ? 'success' : success === false ? 'failure' : undefined, 'metadata');
  put('auth.failure_count', num(f.failed_logins), 'metadata');
  put('auth.distinct_users', num(f.distinct_users), 'metadata');
  put('host.name', a.host, 'metadata');
  put('event.time', a.first_seen ?? str(f.time), 'metadata');
  put('process.name', a.process?.name, 'content');
  put('process.command_line', a.process?.command_line, 'content');
  put('parent.command_line', a.process?.parent_command_line, 'content');
  put('network.url', a.urls?.[0], 'content');
  put('network.user_agent', str(f.user_agent), 'content');
  put('process.current_directory', str(f.pwd), 'content');
  return {
    ...out,
    ...(a.description ? { text: [{ value: a.description, from: 'description' }] } : {}),
    provenance,
  } as AlertSignals;
}

/**
 * The original service's `{name, alert: {user, source_ip, failed_logins, success, time, location,
 * severity}}`, read by the real normalizer (signals and their provenance included).
 */
export function originalAlert(name: string, a: Obj): NormalizedAlert {
  return normalize({ name, alert: a }, { format: 'original' });
}

/** A Wazuh alerts.json record, read by the real normalizer. */
export function wazuhAlert(raw: Obj): NormalizedAlert {
  return normalize(raw, { format: 'wazuh' });
}

/** A Suricata alert in ECS (Malcolm), read by the real normalizer. */
export function suricataEcsAlert(raw: Obj): NormalizedAlert {
  return normalize(raw);
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

/** CPU microseconds one rules verdict of `alert` costs (or `work` on it); see `cpuPerCall`. */
export function cpuPerVerdict(
  alert: NormalizedAlert,
  calls: number,
  work: (a: NormalizedAlert) => unknown = verdictOf,
): number {
  return cpuPerCall(() => work(alert), calls);
}
