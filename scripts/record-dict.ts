/**
 * Builds packages/runtime/data/record-dict-v1.txt, the preset dictionary of alert records
 * (see packages/runtime/src/record-codec.ts). Run once per dictionary version: a published version
 * must never change. Samples: normalized fixture alerts of every format (not the Wazuh file the
 * benchmark measures) and typical verdict texts. DEFLATE looks back at most 32 KiB and the end of the
 * dictionary is the cheapest to reference, so the most common material goes last.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { normalize } from '../packages/normalizers/src/index.ts';

const root = new URL('../test/fixtures/', import.meta.url);
const lines = (f: string) =>
  readFileSync(new URL(f, root), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as unknown);
const sample = (f: string, n: number) => lines(f).slice(0, n);
const docs: unknown[] = [
  ...sample('sentinel/securityalert_msticpy_alertlist.ndjson', 3),
  ...sample('elastic/kibana_alerts-security_8.1.0_source_only.ndjson', 2),
  ...sample('suricata-ecs/suricata_alerts_ecs_malcolm_6.ndjson', 3),
  ...sample('wazuh/aitads_russellmitchell_event_labeled.ndjson', 4),
  ...sample('wazuh/wazuh_alerts_aitads_no_attack_100.ndjson', 12),
];
const parts = docs.map((d) => JSON.stringify(normalize(d)));
const verdict = JSON.stringify({
  classification: 'NEEDS_REVIEW',
  confidence: 40,
  severity: 'Medium',
  title: 'Review: ',
  reasoning: [
    'No threat-intelligence verdict is available for the alert’s observables.',
    'Rules score +1.5 (TRUE_POSITIVE at ≥ 3, FALSE_POSITIVE at ≤ -2.5).',
    'Severity lowered from Medium to Low by the evidence above.',
  ],
  mitre: [{ id: 'T1110', name: 'Brute Force', tactic: 'credential-access' }],
  threat_intel: {},
  decided_by: 'rules',
  flags: ['partial_intel'],
  performance: {
    processing_time: 0.001,
    from_cache: false,
    cost: '$0.0000',
    cost_usd: 0,
    tokens: { input: 0, output: 0 },
  },
});
const dict = Buffer.from([...parts, verdict, verdict].join('\n'));
const out = dict.subarray(Math.max(0, dict.length - 32 * 1024));
writeFileSync(new URL('../packages/runtime/data/record-dict-v1.txt', import.meta.url), out);
process.stdout.write(`record-dict-v1.txt: ${out.length} bytes from ${docs.length} alerts\n`);
