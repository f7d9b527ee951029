import {
  type AlertSignals,
  type Enrichment,
  type NormalizedAlert,
  type SignalOrigin,
  signalOrigin,
} from '@triage/contracts';
import { isInternalIp } from '@triage/net';
import { linear } from './linear.ts';

/**
 * What the rules read from an alert: a pure function of its typed signals (`alert.signals`,
 * filled by the normalizers, the only code that knows vendor field names) and of the enrichment.
 * No raw payload, no vendor paths, no alias lists. Each feature records the signal it was read
 * from (`from`), so its provenance is `signalOrigin(signals, from[feature])`; text is split by
 * provenance: `detectionText` is what the SIEM or sensor wrote about the detection, `contentText`
 * what the event carries (and an attacker can write).
 */
export interface AlertFeatures {
  /** The alert's display name (may hold interpolated event values: for reasons and titles). */
  name: string;
  /** The rule name with interpolated event values masked, when metadata: what names are matched on. */
  template?: string;
  /** Lower-cased detection metadata: rule name template, rule description, signature, category, groups. */
  detectionText: string;
  /** Lower-cased event content: messages and log lines, the name's interpolated parts, content detection fields. */
  contentText: string;
  /**
   * Both of the above. Only for patterns that RAISE suspicion (a tool name, an attack phrase):
   * nothing found here may lower a score or cancel a threat-leaning item.
   */
  anyText: string;
  /** Free text the alert carries (messages, log lines), as written: content. */
  freeText: string[];
  commandLines: string[];
  userAgents: string[];
  urls: string[];
  users: string[];
  /** Image basename of the process (`powershell.exe`), lower case. */
  processName?: string;
  failedLogins?: number;
  success?: boolean;
  /** Hour of day (UTC) the activity happened, when known. */
  hourUtc?: number;
  location?: string;
  distinctUsers?: number;
  /** Native level on the Wazuh 0-15 scale, whatever the format that carried it. */
  ruleLevel?: number;
  ruleGroups: string[];
  firedTimes?: number;
  signature?: string;
  category?: string;
  /** Suricata/Snort priority (1 = highest). */
  idsPriority?: number;
  srcIp?: string;
  dstIp?: string;
  srcPort?: number;
  dstPort?: number;
  /** undefined when the address is unknown. */
  srcInternal?: boolean;
  dstInternal?: boolean;
  /** Working directory of a command (Wazuh sudo `PWD=`, Sysmon CurrentDirectory). */
  pwd?: string;
  /** Traffic direction as the sensor reported it (`to_client` = server answer). */
  direction?: string;
  /** Suricata's per-flow protocol-anomaly counter: 2+ means distinct violations in one connection. */
  anomalyCount?: number;
  /** The source's own confidence in the detection, 0-100. */
  sourceConfidence?: number;
  host?: string;
  /** Signal path each feature was read from (see signals.schema.ts provenance). */
  from: Partial<Record<FeatureName, string>>;
}

type FeatureName = Exclude<keyof AlertFeatures, 'from'>;

/** The provenance of a feature: that of the signal it was read from (content when unknown). */
export function featureOrigin(
  f: AlertFeatures,
  signals: AlertSignals | undefined,
  name: FeatureName,
): SignalOrigin {
  const path = f.from[name];
  return path ? signalOrigin(signals, path) : 'content';
}

type Sections = Omit<AlertSignals, 'provenance' | 'text'>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
const strings = (...vs: unknown[]): string[] => [
  ...new Set(vs.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v): v is string => !!str(v))),
];

/**
 * An IDS signature quoted in a rule name ("Suricata: Alert - ET POLICY ...", a SIEM rule named
 * after the signature). The ruleset prefixes are upper case by convention, which keeps ordinary
 * words ("et", "Suricata: Alert") out.
 */
const SIGNATURE_IN_NAME = linear(/(?:^|[-–:]\s*)((?:ET|ETPRO|GPL|SURICATA)\s+[A-Z][A-Z0-9_]*\s+\S.*)$/);

function hourOf(time: string | undefined): number | undefined {
  if (!time) return undefined;
  const m = /^(\d{1,2}):(\d{2})/.exec(time.trim());
  if (m) return Number(m[1]) % 24;
  const d = Date.parse(time);
  return Number.isNaN(d) ? undefined : new Date(d).getUTCHours();
}

function levelOf(level: NonNullable<Sections['detection']>['level']): number | undefined {
  if (level?.scale !== 'wazuh') return undefined;
  const n = Number(level.value);
  return Number.isFinite(n) ? n : undefined;
}

export function extractFeatures(alert: NormalizedAlert, enrichment?: Enrichment): AlertFeatures {
  const s = alert.signals;
  const d = s?.detection ?? {};
  const net = s?.network ?? {};
  const auth = s?.auth ?? {};
  const from: AlertFeatures['from'] = {};
  const at = <T>(name: FeatureName, path: string, value: T): T => {
    if (value !== undefined) from[name] ??= path;
    return value;
  };
  const meta = (path: string) => signalOrigin(s, path) === 'metadata';

  const template = meta('detection.rule_name_template') ? str(d.rule_name_template) : undefined;
  const nameSignature = SIGNATURE_IN_NAME.exec(template ?? '')?.[1];
  const signature =
    at('signature', 'detection.signature', str(d.signature)) ??
    at('signature', 'detection.rule_name_template', nameSignature);

  // Text by provenance: a detection field the normalizer could not vouch for is content.
  const detection: string[] = [];
  const content: string[] = [];
  for (const [path, v] of [
    ['detection.rule_name_template', d.rule_name_template],
    ['detection.rule_description', d.rule_description],
    ['detection.signature', d.signature],
    ['detection.category', d.category],
  ] as const) {
    if (str(v)) (meta(path) ? detection : content).push(v as string);
  }
  if (d.groups?.length) (meta('detection.groups') ? detection : content).push(d.groups.join(' '));
  // The name as shown holds interpolated event values where the template has `<…>`.
  const name = str(d.rule_name);
  if (name && name !== template) content.push(name);
  for (const t of s?.text ?? []) content.push(t.value);
  const detectionText = detection.join('\n').toLowerCase();
  const contentText = content.join('\n').toLowerCase();

  const srcIp = at('srcIp', 'network.src_ip', str(net.src_ip));
  const dstIp = at('dstIp', 'network.dst_ip', str(net.dst_ip));
  const scopeOf = (ip: string | undefined) => {
    if (!ip) return undefined;
    const obs = enrichment?.observables.find((o) => o.value === ip);
    if (obs?.scope) return obs.scope !== 'public' && obs.scope !== 'documentation';
    return isInternalIp(ip);
  };
  const image = str(s?.process?.image);
  const processName = str(s?.process?.name) ?? (image ? image.split(/[\\/]/).pop() : undefined);

  return {
    // The rule name as shown; a message standing in for a name (generic JSON) is the first text.
    name: str(d.rule_name) ?? s?.text?.[0]?.value ?? '',
    ...(template !== undefined ? { template } : {}),
    detectionText,
    contentText,
    anyText: `${detectionText}\n${contentText}`,
    freeText: (s?.text ?? []).map((t) => t.value),
    commandLines: strings(
      s?.process?.command_line,
      s?.parent?.command_line,
      s?.grandparent?.command_line,
      s?.persistence?.command,
    ),
    userAgents: strings(net.user_agent),
    urls: strings(net.url),
    users: strings(auth.user, auth.target_user, s?.process?.user),
    processName: at('processName', 'process.name', processName?.toLowerCase()),
    failedLogins: at('failedLogins', 'auth.failure_count', auth.failure_count),
    success: at(
      'success',
      'auth.outcome',
      auth.outcome === 'success' ? true : auth.outcome === 'failure' ? false : undefined,
    ),
    hourUtc: at('hourUtc', 'event.time', hourOf(s?.event?.time)),
    location: at('location', 'auth.location', str(auth.location)),
    distinctUsers: at('distinctUsers', 'auth.distinct_users', auth.distinct_users),
    ruleLevel: at('ruleLevel', 'detection.level', levelOf(d.level)),
    ruleGroups: at(
      'ruleGroups',
      'detection.groups',
      (d.groups ?? []).map((g) => g.toLowerCase()),
    ),
    firedTimes: at('firedTimes', 'detection.fired_times', d.fired_times),
    signature,
    category: at('category', 'detection.category', str(d.category)),
    idsPriority: at('idsPriority', 'detection.priority', d.priority),
    srcIp,
    dstIp,
    srcPort: at('srcPort', 'network.src_port', net.src_port),
    dstPort: at('dstPort', 'network.dst_port', net.dst_port),
    srcInternal: at('srcInternal', 'network.src_ip', scopeOf(srcIp)),
    dstInternal: at('dstInternal', 'network.dst_ip', scopeOf(dstIp)),
    pwd: at('pwd', 'process.current_directory', str(s?.process?.current_directory)),
    direction: at('direction', 'network.direction', str(net.direction)),
    anomalyCount: at('anomalyCount', 'network.anomaly_count', net.anomaly_count),
    sourceConfidence: at('sourceConfidence', 'source_verdict.confidence', s?.source_verdict?.confidence),
    host: at('host', 'host.name', str(s?.host?.name)),
    from,
  };
}

/** Parses `HH-HH` business hours; hour h is inside when start <= h < end (wraps past midnight). */
export function isBusinessHour(hour: number, spec: string): boolean {
  const [a, b] = spec.split('-').map(Number) as [number, number];
  return a <= b ? hour >= a && hour < b : hour >= a || hour < b;
}
