import type { NormalizedAlert } from '@triage/contracts';
import { wazuhLevelPrior } from '../knowledge/priors.ts';
import { type LinearPattern, linear } from '../linear.ts';
import type { Evidence, Rule } from './evidence.ts';
import { basisFor, metadataTemplate } from './provenance.ts';

/**
 * What the detecting product itself says: Wazuh rule level and groups, Suricata/Emerging Threats
 * signature class and classtype, the source's severity and confidence. These are claims, not
 * proof, so they weigh less than intel or observed behaviour — except at the extremes
 * (ET TROJAN / CNC signatures, Wazuh level 12+), which are high-fidelity by design.
 */

/** Emerging Threats signature prefixes, by the fidelity the ET ruleset documents for them. */
const ET_CLASSES: Array<{
  re: LinearPattern;
  weight: number;
  label: string;
  mitre?: string[];
  recon?: boolean;
}> = [
  {
    re: linear(/^(?:et|etpro) (?:trojan|malware|mobile_malware)\b/),
    weight: 5,
    label: 'malware signature',
    mitre: ['T1071'],
  },
  {
    re: linear(/^(?:et|etpro) (?:cnc|c2|botcc|compromised|drop|dshield)\b/),
    weight: 4.5,
    label: 'known C2 / compromised-host signature',
    mitre: ['T1071'],
  },
  {
    re: linear(/^(?:et|etpro) (?:exploit|exploit_kit|attack_response|shellcode|worm)\b/),
    weight: 4,
    label: 'exploit signature',
    mitre: ['T1190'],
  },
  {
    re: linear(/^(?:et|etpro) (?:current_events|phishing|coinminer)\b/),
    weight: 3,
    label: 'active campaign signature',
  },
  {
    re: linear(
      /^(?:et|etpro) (?:web_server|web_specific_apps|web_client|activex|sql|netbios|rpc|voip|scada)\b/,
    ),
    weight: 2,
    label: 'attack signature',
    mitre: ['T1190'],
  },
  { re: linear(/^(?:et|etpro) scan\b/), weight: 2, label: 'scan signature', mitre: ['T1595'], recon: true },
  {
    re: linear(/^(?:et|etpro) (?:user_agents|tor|dns|hunting|ja3)\b/),
    weight: 1,
    label: 'hunting-grade signature',
  },
  {
    re: linear(/^(?:et|etpro) (?:policy|games|chat|p2p|inappropriate)\b/),
    weight: -1.5,
    label: 'policy signature (allowed software, not an attack)',
  },
  {
    re: linear(/^(?:et|etpro) info\b|^gpl icmp_info\b|^gpl icmp\b/),
    weight: -1,
    label: 'informational signature',
  },
  // `SURICATA <proto> ...` decoder events are judged by protocol-anomaly.rules.ts.
];

/** Snort/Suricata classtypes (classification.config), by how often they mean an attack. */
const CLASSTYPES: Array<{ re: LinearPattern; weight: number }> = [
  { re: linear(/successful administrator privilege gain|successful user privilege gain/), weight: 5 },
  {
    re: linear(
      /network trojan|malware command and control|domain observed used for c2|command and control|exploit kit/,
    ),
    weight: 4.5,
  },
  { re: linear(/executable code was detected|attempted administrator privilege gain/), weight: 3 },
  { re: linear(/attempted user privilege gain|web application attack|crypto currency mining/), weight: 2.5 },
  {
    re: linear(/detection of a network scan|attempted information leak|large scale information leak/),
    weight: 1.5,
  },
  { re: linear(/not suspicious traffic/), weight: -2 },
  {
    re: linear(/potentially bad traffic|attempted denial of service|denial of service|suspicious/),
    weight: 1,
  },
  { re: linear(/potential corporate privacy violation|unknown traffic|misc activity/), weight: -0.5 },
  { re: linear(/generic protocol command decode|protocol command decode/), weight: -1 },
];

const SEVERITY_WEIGHT = { Critical: 2, High: 1, Medium: 0, Low: -0.5, Informational: -1.5 } as const;

/**
 * The signal the IDS signature was read from: `detection.signature` when the normalizer found one
 * (metadata for an IDS's own fields, a fast.log line an IDS decoder delivered), otherwise the rule
 * name it was recognised in.
 */
export function signatureBasis(alert: NormalizedAlert, sig: string): string {
  const s = alert.signals;
  if (basisFor(s, 'detection.signature', sig) !== 'text') return 'detection.signature';
  const template = metadataTemplate(s)?.toLowerCase();
  return template?.includes(sig.toLowerCase()) ? 'detection.rule_name_template' : 'text';
}

export const idsRules: Rule = ({ alert, features }) => {
  const out: Evidence[] = [];
  const sig = features.signature?.trim();
  const sigLc = sig?.toLowerCase() ?? '';
  const etClass = ET_CLASSES.find((c) => c.re.test(sigLc));
  if (sig && etClass) {
    out.push({
      id: 'ids.signature_class',
      prior: true,
      weight: etClass.weight,
      group: 'ids.signature',
      title: etClass.weight > 0 ? sig : undefined,
      reason: `IDS signature "${sig}" is a ${etClass.label}.`,
      basis: [signatureBasis(alert, sig)],
      ...(etClass.recon ? { recon: true } : {}),
      ...(etClass.mitre ? { mitre: etClass.mitre } : {}),
      ...(etClass.weight >= 4 ? { severityFloor: 'High' as const } : {}),
    });
  }
  const cat = features.category?.trim();
  const classtype = cat ? CLASSTYPES.find((c) => c.re.test(cat.toLowerCase())) : undefined;
  if (cat && classtype) {
    out.push({
      id: 'ids.classtype',
      prior: true,
      weight: classtype.weight,
      group: 'ids.signature',
      reason: `IDS classification "${cat}"${classtype.weight < 0 ? ' is not an attack class' : ' is an attack class'}.`,
      basis: [basisFor(alert.signals, 'detection.category', cat)],
      ...(linear(/scan/i).test(cat) ? { recon: true } : {}),
    });
  }
  if (features.idsPriority !== undefined && sig) {
    const p = features.idsPriority;
    if (p === 1 || p >= 3) {
      out.push({
        id: 'ids.priority',
        prior: true,
        weight: p === 1 ? 1 : -0.5,
        // The IDS priority is the source's severity (ECS event.severity is derived from it).
        group: 'source.severity',
        reason: `The IDS rates "${sig}" priority ${p} (1 = highest, 3 = lowest).`,
        basis: [basisFor(alert.signals, 'detection.priority', p)],
      });
    }
  }

  const level = features.ruleLevel;
  const g = new Set(features.ruleGroups);
  // Wazuh relays every Suricata/Snort alert through one generic rule (86601 "Suricata: Alert -
  // <signature>" at level 3, 20101 "IDS event." at 6): that level is the relay's, the same for
  // ET TROJAN and ET POLICY, and says nothing about the signature, which is judged above.
  const relayed = sig !== undefined && (g.has('ids') || g.has('suricata') || g.has('snort'));
  if (level !== undefined && !relayed) {
    // Wazuh's rule classification, band by band (knowledge/priors.ts).
    const w = wazuhLevelPrior(level).weight;
    if (w !== 0) {
      out.push({
        id: 'wazuh.level',
        prior: true,
        weight: w,
        group: 'source.severity',
        reason:
          `Wazuh rule ${alert.signals?.detection?.rule_id ?? ''} "${features.name}" has level ${level}${level <= 3 ? ', the band Wazuh reserves for successful or low-priority system events' : level >= 12 ? ', Wazuh’s high-importance attack band' : ''}.`.replace(
            '  ',
            ' ',
          ),
        basis: [basisFor(alert.signals, 'detection.level', level)],
      });
    }
  }
  const groupHits: Array<[boolean, number, string, string[]?]> = [
    [g.has('exploit_attempt'), 3, 'exploit attempt', ['T1190']],
    [
      g.has('rootcheck') && !linear(/ignored|no rootkit/i).test(features.detectionText),
      1.5,
      'rootcheck finding (rootkit / policy anomaly)',
      ['T1014'],
    ],
    [g.has('web_scan') || g.has('recon') || g.has('scan'), 1.5, 'reconnaissance / scanning', ['T1595']],
    [g.has('attack') || g.has('attacks'), 1, 'attack', []],
    [
      g.has('malware') || (g.has('virus') && linear(/found|detected|infected/i).test(features.anyText)),
      3,
      'malware detection',
      [],
    ],
    [g.has('syscheck') || g.has('syscheck_file'), 0.5, 'file-integrity change', []],
    [g.has('policy_violation'), 0.5, 'policy violation', []],
  ];
  for (const [hit, weight, label, mitre] of groupHits) {
    if (!hit) continue;
    out.push({
      id: `wazuh.group.${label.split(' ')[0]!.replace(/\W/g, '')}`,
      weight,
      group: 'wazuh.groups',
      ...(label.startsWith('reconnaissance') ? { recon: true } : {}),
      reason: `The SIEM files this alert under ${label} (groups: ${[...g].slice(0, 5).join(', ')}).`,
      ...(mitre?.length ? { mitre } : {}),
    });
  }
  if (features.firedTimes !== undefined && features.firedTimes >= 1000 && (level ?? 99) <= 5) {
    out.push({
      id: 'wazuh.noisy_rule',
      prior: true,
      weight: -0.5,
      group: 'source.volume',
      reason: `This low-level rule has fired ${features.firedTimes} times: high-volume routine activity.`,
      basis: [
        basisFor(alert.signals, 'detection.fired_times', features.firedTimes),
        basisFor(alert.signals, 'detection.level', level),
      ],
    });
  }

  // The source's own severity, unless it is a Wazuh level (weighed above as a level).
  const stated = alert.signals?.detection?.severity;
  if (stated && level === undefined) {
    const w = SEVERITY_WEIGHT[stated];
    if (w !== 0) {
      out.push({
        id: 'source.severity',
        prior: true,
        weight: w,
        group: 'source.severity',
        reason: `The source rates the alert ${stated}.`,
        basis: ['detection.severity'],
      });
    }
  }
  const conf = features.sourceConfidence;
  if (conf !== undefined && (conf >= 80 || conf <= 30)) {
    out.push({
      id: 'source.confidence',
      prior: true,
      weight: conf >= 80 ? 1 : -0.5,
      group: 'source.confidence',
      reason: `The source reports ${conf}% confidence in this detection.`,
      basis: [basisFor(alert.signals, 'source_verdict.confidence', conf)],
    });
  }
  return out;
};
