import type { AlertSignalsInput, Enrichment, NormalizedAlert, TriageResult } from '@triage/contracts';
import { AlertSignals } from '@triage/contracts';

/** Signal paths the tests' sensors write as metadata. */
export const SENSOR_METADATA = [
  'detection.vendor',
  'detection.rule_id',
  'detection.rule_name',
  'host.name',
  'process.image',
  'parent.image',
];

/** Hand-built signals (the normalizers fill them in production); every listed path is metadata. */
export function signals(input: Omit<AlertSignalsInput, 'provenance'>, metadata: string[] = []): AlertSignals {
  const provenance: Record<string, { origin: 'metadata' | 'content' }> = {};
  for (const p of metadata) provenance[p] = { origin: 'metadata' };
  return AlertSignals.parse({ ...input, provenance });
}

let seq = 0;

export function alertWith(s: AlertSignals | undefined, over: Partial<NormalizedAlert> = {}): NormalizedAlert {
  return {
    format: 'wazuh',
    name: s?.detection?.rule_name ?? 'Test alert',
    severity: 'Medium',
    fingerprint: `fp-${++seq}`,
    raw: {},
    ...(s ? { signals: s } : {}),
    ...over,
  };
}

export const noIntel: Enrichment = {
  observables: [],
  intel: {},
  partial: false,
  missing: [],
  cache: { hits: 0, misses: 0 },
};

export function intelOn(value: string, verdict: 'malicious' | 'suspicious'): Enrichment {
  return {
    ...noIntel,
    intel: {
      [value]: {
        type: 'ipv4',
        providers: { offline: { provider: 'offline', verdict, checked_at: '2025-01-01T00:00:00Z' } },
      },
    },
  };
}

export function verdict(over: Partial<TriageResult> = {}): TriageResult {
  return {
    classification: 'NEEDS_REVIEW',
    confidence: 55,
    severity: 'Medium',
    title: 'Review: test',
    reasoning: ['Rules score +0.5.'],
    mitre: [],
    threat_intel: {},
    decided_by: 'rules',
    flags: [],
    performance: { processing_time: 0, from_cache: false, cost: '$0.0000', tokens: { input: 0, output: 0 } },
    ...over,
  };
}
