import type { ProviderResult } from '@triage/contracts';
import type { Evidence, Rule } from './evidence.ts';
import { signalPathOf } from './provenance.ts';

/**
 * Threat-intel evidence. Scores follow how SOCs read these feeds: an AbuseIPDB confidence of 75+
 * or 3+ VirusTotal engines is actionable, a single engine or a low abuse score is a hint, Spamhaus
 * DROP ranges are hijacked or criminal netblocks, a Tor exit hides the real origin.
 */

const BLOCKLISTS: Record<string, { weight: number; label: string; mitre?: string[] }> = {
  spamhaus_drop: { weight: 3.5, label: 'Spamhaus DROP (hijacked or criminal netblock)' },
  spamhaus_edrop: { weight: 3.5, label: 'Spamhaus EDROP (hijacked or criminal netblock)' },
  spamhaus_dropv6: { weight: 3.5, label: 'Spamhaus DROPv6 (hijacked or criminal netblock)' },
  feodo: { weight: 4.5, label: 'Feodo Tracker botnet C2 list', mitre: ['T1071'] },
  dshield: { weight: 2, label: 'DShield top attacking subnets' },
};

function roleOf(value: string, src?: string, dst?: string): string {
  if (value === src) return 'source';
  if (value === dst) return 'destination';
  return 'observable';
}

/**
 * Benign intel about a value counts only when the value itself is metadata: an address an attacker
 * typed into a message ("8.8.8.8", a partner's IP) must not bring its good reputation along.
 */
type BasisOf = (value: string) => string[];

function abuseEvidence(v: string, role: string, r: ProviderResult, basisOf: BasisOf): Evidence[] {
  const d = r.abuseipdb;
  if (!d) return [];
  const out: Evidence[] = [];
  const reports = d.total_reports !== undefined ? ` from ${d.total_reports} reports` : '';
  const s = d.abuse_score;
  const w = s >= 90 ? 4 : s >= 75 ? 3 : s >= 50 ? 2 : s >= 25 ? 1.2 : 0;
  if (w > 0) {
    out.push({
      id: 'intel.abuseipdb_score',
      weight: w,
      group: `intel:${v}`,
      title: `Known-abusive IP ${v}`,
      reason: `AbuseIPDB gives the ${role} IP ${v} an abuse confidence of ${s}/100${reports}${d.country ? ` (${d.country})` : ''}.`,
      ...(s >= 75 ? { severityFloor: 'High' as const } : {}),
    });
  } else if (d.is_whitelisted) {
    out.push({
      id: 'intel.abuseipdb_whitelisted',
      weight: -1.5,
      group: `intel:${v}`,
      reason: `AbuseIPDB lists the ${role} IP ${v} as whitelisted (${d.isp ?? d.domain ?? 'known provider'}), abuse score ${s}.`,
      basis: basisOf(v),
    });
  }
  if (d.is_tor) {
    out.push({
      id: 'intel.tor_exit',
      weight: 2.5,
      group: `tor:${v}`,
      title: `Activity from Tor exit node ${v}`,
      reason: `AbuseIPDB marks the ${role} IP ${v} as a Tor exit node, which hides the real origin.`,
      mitre: ['T1090.003'],
    });
  }
  return out;
}

function vtEvidence(v: string, role: string, r: ProviderResult, isHash: boolean): Evidence[] {
  const d = r.virustotal;
  if (!d) return [];
  const m = d.malicious;
  const w = m >= 10 ? 4.5 : m >= 3 ? 3.5 : m >= 1 ? 1.5 : d.suspicious >= 2 ? 0.5 : 0;
  if (w === 0) return [];
  const name = d.meaningful_name ? ` (${d.meaningful_name})` : '';
  return [
    {
      id: isHash ? 'intel.vt_file' : 'intel.vt_detections',
      weight: isHash && m >= 3 ? w + 1 : w,
      group: `intel:${v}`,
      title: isHash ? `Malicious file ${v.slice(0, 12)}…${name}` : `VirusTotal-flagged ${role} ${v}`,
      reason: `VirusTotal: ${m} engines flag the ${role} ${isHash ? 'file hash' : 'indicator'} ${v}${name} as malicious (${d.suspicious} suspicious).`,
      ...(m >= 3 ? { severityFloor: 'High' as const } : {}),
    },
  ];
}

function offlineEvidence(v: string, role: string, r: ProviderResult): Evidence[] {
  const d = r.offline;
  if (!d) return [];
  const out: Evidence[] = [];
  const snap = d.snapshot ? ` (snapshot ${d.snapshot})` : '';
  for (const list of d.lists) {
    if (list === 'tor_exit' || list === 'tor_relay') {
      const exit = list === 'tor_exit';
      out.push({
        id: exit ? 'intel.tor_exit' : 'intel.tor_relay',
        weight: exit ? 2.5 : 1,
        group: `tor:${v}`,
        title: exit ? `Activity from Tor exit node ${v}` : `Activity involving Tor relay ${v}`,
        reason: `The ${role} IP ${v} is on the bundled Tor ${exit ? 'exit-node' : 'relay'} list${snap}.`,
        mitre: ['T1090.003'],
      });
      continue;
    }
    const known = BLOCKLISTS[list];
    out.push({
      id: `intel.blocklist.${list}`,
      weight: known?.weight ?? 1.5,
      group: `intel:${v}`,
      title: `Blocklisted ${role} IP ${v}`,
      reason: `The ${role} IP ${v} is on ${known?.label ?? list}${d.cidr ? ` via ${d.cidr}` : ''}${snap}.`,
      ...(known?.mitre ? { mitre: known.mitre } : {}),
      ...((known?.weight ?? 0) >= 3.5 ? { severityFloor: 'High' as const } : {}),
    });
  }
  return out;
}

export const intelRules: Rule = ({ alert, enrichment, features }) => {
  const out: Evidence[] = [];
  const basisOf: BasisOf = (value) => ['intel', signalPathOf(alert.signals, value)];
  for (const obs of enrichment.observables) {
    if (obs.allowlisted) {
      out.push({
        id: 'intel.allowlisted',
        weight: -1.5,
        group: `intel:${obs.value}`,
        reason: `${obs.value} is on the configured intel allow-list (own or partner infrastructure).`,
        basis: ['config', signalPathOf(alert.signals, obs.value)],
      });
    }
  }
  for (const [value, entry] of Object.entries(enrichment.intel)) {
    const role = roleOf(value, features.srcIp, features.dstIp);
    const isHash = entry.type === 'md5' || entry.type === 'sha1' || entry.type === 'sha256';
    const items: Evidence[] = [];
    for (const r of Object.values(entry.providers)) {
      const specific =
        r.provider === 'abuseipdb'
          ? abuseEvidence(value, role, r, basisOf)
          : r.provider === 'virustotal'
            ? vtEvidence(value, role, r, isHash)
            : offlineEvidence(value, role, r);
      // A provider verdict without the detail we expect still counts (other provider shapes).
      if (specific.length === 0 && (r.verdict === 'malicious' || r.verdict === 'suspicious')) {
        specific.push({
          id: `intel.${r.provider}_${r.verdict}`,
          weight: r.verdict === 'malicious' ? 3 : 1.2,
          group: `intel:${value}`,
          title: `${r.verdict === 'malicious' ? 'Malicious' : 'Suspicious'} ${role} ${value}`,
          reason: `${r.provider} rates the ${role} ${entry.type} ${value} ${r.verdict}.`,
        });
      } else if (specific.length === 0 && r.verdict === 'harmless' && r.provider !== 'offline') {
        specific.push({
          id: `intel.${r.provider}_harmless`,
          weight: -0.5,
          group: `intel:${value}`,
          reason: `${r.provider} rates the ${role} ${entry.type} ${value} harmless.`,
          basis: basisOf(value),
        });
      }
      items.push(...specific);
    }
    out.push(...items);
  }
  return out;
};

type IntelMap = Record<string, { providers: Record<string, ProviderResult> }>;

/** Values any provider rates malicious: the rules and the LLM may never close these as noise. */
export function maliciousIntel(intel: IntelMap): string[] {
  return ratedIntel(intel, ['malicious']);
}

/** Values any provider rates suspicious or malicious: the LLM may not close these on its own. */
export function flaggedIntel(intel: IntelMap): string[] {
  return ratedIntel(intel, ['malicious', 'suspicious']);
}

function ratedIntel(intel: IntelMap, verdicts: readonly string[]): string[] {
  const out: string[] = [];
  for (const [value, entry] of Object.entries(intel)) {
    for (const r of Object.values(entry.providers)) {
      if (verdicts.includes(r.verdict)) out.push(`${r.provider} rates ${value} ${r.verdict}`);
    }
  }
  return out;
}
