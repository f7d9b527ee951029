import { z } from 'zod';
import { FileHash, Severity } from './primitives.schema.ts';

/**
 * Typed signals: what the verdict engine reads about an alert, filled by the normalizers (the only
 * code that knows vendor field names). Every value also records WHERE it came from, because the
 * alert is partly written by the attacker:
 *
 * - `metadata`: written about the event by the SIEM, sensor or detection engine: the rule id, name,
 *   level and groups, the Windows event id, the image path and hashes a sensor measured, the account
 *   a process ran as, its integrity level and signature, the source product's own verdict fields.
 * - `content`: event data an attacker can shape: command lines, script text, URLs, user agents,
 *   file and registry paths, host names in requests, messages, log lines, and anything parsed out
 *   of such text (a "signature" found inside a log line is content, not an IDS verdict).
 *
 * Content may raise suspicion or be neutral; only metadata (and intel, and analyst memory) may
 * support a benign verdict. A value whose path has no `provenance` entry counts as content: the
 * safe default.
 */
export const SignalOrigin = z.enum(['metadata', 'content']);
export type SignalOrigin = z.infer<typeof SignalOrigin>;

export const SignalSource = z.object({
  origin: SignalOrigin,
  /** The field of the received payload the value was read from (dotted path), shown to analysts. */
  from: z.string().max(512).optional(),
});
export type SignalSource = z.infer<typeof SignalSource>;

const Text = z.string().max(65_536);
const Short = z.string().max(1024);
const Port = z.number().int().min(0).max(65535);
const Count = z.number().int().min(0);

/**
 * The scale a native level is expressed in, so a rule can read it as a prior: Wazuh rule level
 * 0-15, Sigma/Hayabusa level words, Suricata/Snort priority 1-4 (1 = highest), OCSF severity_id
 * 0-6, a vendor severity word (EDR, Sentinel, Splunk urgency), a 0-100 risk score.
 */
export const LevelScale = z.enum(['wazuh', 'sigma', 'ids_priority', 'ocsf', 'vendor', 'score']);
export type LevelScale = z.infer<typeof LevelScale>;

export const DetectionSignals = z.object({
  /** Product that raised the alert, lower-case: wazuh, sysmon, defender, hayabusa, suricata, sentinel... */
  vendor: Short.optional(),
  /** Rule language or engine when it differs from the vendor (`sigma` rules run by Hayabusa or Elastic). */
  engine: Short.optional(),
  rule_id: Short.optional(),
  rule_name: Text.optional(),
  /**
   * The rule name with every value the source could have interpolated into it masked as `<…>`.
   * SIEMs build alert names from event fields (Wazuh `$(win.eventdata.image)`, Splunk
   * `$result.x$`, Sentinel alert names carrying entity names), so `rule_name` can hold attacker
   * text. The normalizer masks each string of the alert's event content (every content signal,
   * the free text, and the string values of the vendor's event data, 3+ characters) wherever it
   * occurs in the name; where the source ships the template itself (Sigma and Hayabusa rule
   * titles, which are never interpolated) it is that title. Read this, not `rule_name`, when a
   * name is to count as evidence; `rule_name` is for display. Metadata whenever `rule_name` is.
   */
  rule_name_template: Text.optional(),
  /** The rule's own explanation of what it detects (general text about the rule, not this event). */
  rule_description: Text.optional(),
  /** Maturity of the rule where the source states it (Sigma `status`: stable, test, experimental). */
  rule_status: Short.optional(),
  level: z.object({ scale: LevelScale, value: z.union([z.number(), Short]) }).optional(),
  /** The source's severity mapped to ours (absent when the source states none). */
  severity: Severity.optional(),
  /** Rule groups, tags and categories, lower-case (Wazuh `rule.groups`, Sigma tags, ECS categories). */
  groups: z.array(Short).max(200).optional(),
  /** ATT&CK technique ids the source attached. */
  mitre: z.array(Short).max(200).optional(),
  /** ATT&CK tactics the source attached, lower-case with dashes (`credential-access`). */
  tactics: z.array(Short).max(50).optional(),
  /** IDS classification (Suricata classtype / category) and signature id. */
  category: Short.optional(),
  signature_id: Short.optional(),
  /**
   * The IDS signature's name when the alert's rule belongs to another engine (Suricata
   * `alert.signature` forwarded by Wazuh, whose rule is "Suricata: Alert - ..."); for an alert
   * raised by the IDS itself it equals `rule_name`.
   */
  signature: Text.optional(),
  /** The IDS signature's priority, 1 = highest (Suricata `alert.severity`, Snort priority). */
  priority: z.number().int().min(0).max(255).optional(),
  /** The IDS action (`allowed`, `blocked`). */
  action: Short.optional(),
  /** How often the rule fired in the source's own window (Wazuh `firedtimes`). */
  fired_times: Count.optional(),
});
export type DetectionSignals = z.infer<typeof DetectionSignals>;

/** The event the detection is about, as the sensor identified it. */
export const EventSignals = z.object({
  /** Windows/Sysmon event id, or the source's event code, as a string (`4688`, `1`, `4104`). */
  id: Short.optional(),
  /** Windows channel / log name (`Security`, `Microsoft-Windows-Sysmon/Operational`). */
  channel: Short.optional(),
  /** Event provider (`Microsoft-Windows-Security-Auditing`). */
  provider: Short.optional(),
  /** ECS-style action / category / outcome words, lower-case. */
  action: Short.optional(),
  category: z.array(Short).max(20).optional(),
  outcome: Short.optional(),
  /** Syslog program / decoder that produced the log line (`sshd`, `sudo`, `suricata`). */
  program: Short.optional(),
  time: Short.optional(),
});
export type EventSignals = z.infer<typeof EventSignals>;

export const HostSignals = z.object({
  name: Short.optional(),
  ip: Short.optional(),
  os: z.enum(['windows', 'linux', 'macos', 'other']).optional(),
});

export const ProcessSignals = z.object({
  /** Full path as the sensor recorded it. */
  image: Text.optional(),
  /** Basename of the image (`powershell.exe`). */
  name: Short.optional(),
  command_line: Text.optional(),
  pid: z.number().int().optional(),
  /** Account the process ran as (`DOMAIN\\user`). */
  user: Short.optional(),
  /** Windows integrity level (`Low`, `Medium`, `High`, `System`). */
  integrity_level: Short.optional(),
  /** PE version info shipped inside the binary (attacker-controlled: useful against renaming). */
  original_file_name: Short.optional(),
  company: Short.optional(),
  product: Short.optional(),
  description: Short.optional(),
  /** Authenticode as the sensor verified it. */
  signed: z.boolean().optional(),
  signer: Short.optional(),
  signature_status: Short.optional(),
  hashes: z.array(FileHash).max(10).optional(),
  current_directory: Text.optional(),
  /**
   * Access rights the process was granted on `target_process` (Sysmon 10 `GrantedAccess`, hex as
   * written: `0x1010`). Measured by the sensor.
   */
  granted_access: Short.optional(),
  /** Call stack of the access (Sysmon 10 `CallTrace`); `UNKNOWN(...)` frames mean unbacked code. */
  call_trace: Text.optional(),
});
export type ProcessSignals = z.infer<typeof ProcessSignals>;

export const FileSignals = z.object({
  path: Text.optional(),
  name: Short.optional(),
  /** `created`, `modified`, `deleted`, `renamed`, `read`, `executed`, `loaded` (image load). */
  action: Short.optional(),
  hashes: z.array(FileHash).max(10).optional(),
  signed: z.boolean().optional(),
  signer: Short.optional(),
  signature_status: Short.optional(),
});
export type FileSignals = z.infer<typeof FileSignals>;

export const RegistrySignals = z.object({
  /** Full key path (`HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater`). */
  key: Text.optional(),
  value_name: Short.optional(),
  data: Text.optional(),
  /** `set`, `created`, `deleted`, `renamed`. */
  action: Short.optional(),
});
export type RegistrySignals = z.infer<typeof RegistrySignals>;

export const NetworkSignals = z.object({
  src_ip: Short.optional(),
  src_port: Port.optional(),
  dst_ip: Short.optional(),
  dst_port: Port.optional(),
  /** `tcp`, `udp`, `icmp`. */
  transport: Short.optional(),
  /** Application protocol (`http`, `tls`, `dns`, `smb`). */
  protocol: Short.optional(),
  /** `inbound`, `outbound`, `internal`, or the IDS's `to_server` / `to_client`. */
  direction: Short.optional(),
  url: Text.optional(),
  http_method: Short.optional(),
  http_status: z.number().int().optional(),
  user_agent: Text.optional(),
  /** Host name asked for (DNS query, TLS SNI, HTTP Host). */
  hostname: Short.optional(),
  bytes_out: Count.optional(),
  bytes_in: Count.optional(),
  /**
   * Protocol anomalies the sensor counted on this flow (Suricata `metadata.flowints`
   * `<proto>.anomaly.count`); each decoder event fires once per flow, so 2+ are distinct violations.
   */
  anomaly_count: Count.optional(),
  /** Distinct destination ports one source touched in the detection window (a port scan). */
  distinct_ports: Count.optional(),
  /** Connections per minute in the detection window. */
  rate_per_min: z.number().min(0).optional(),
  /** Regular interval between connections, seconds (beaconing). */
  interval_seconds: z.number().min(0).optional(),
});
export type NetworkSignals = z.infer<typeof NetworkSignals>;

export const AuthSignals = z.object({
  /** The account acting (who logged in / who ran su). */
  user: Short.optional(),
  /** The account acted upon (su target, account created, account locked). */
  target_user: Short.optional(),
  domain: Short.optional(),
  /** Windows logon type number as a string (`2`, `3`, `10`) or the source's word (`password`, `publickey`). */
  logon_type: Short.optional(),
  outcome: z.enum(['success', 'failure']).optional(),
  failure_count: Count.optional(),
  /** Distinct accounts tried (password spray). */
  distinct_users: Count.optional(),
  /** Workstation name the logon came from (4624 WorkstationName). */
  source_host: Short.optional(),
  /** Authentication package / method (`NTLM`, `Kerberos`, `publickey`). */
  method: Short.optional(),
  /** The logon had elevated rights (4672, ElevatedToken). */
  elevated: z.boolean().optional(),
  location: Short.optional(),
  /** The group acted upon (4728/4732/4756 member added: the group's name). */
  group: Short.optional(),
});
export type AuthSignals = z.infer<typeof AuthSignals>;

export const ScriptSignals = z.object({
  /** Script block / script content (PowerShell 4104, AMSI). */
  text: Text.optional(),
  path: Text.optional(),
});

/**
 * Something made to run again later: a service (7045/4697), a scheduled task (4698, Task
 * Scheduler 106), a WMI event subscription (Sysmon 19-21). Run keys are `registry` signals.
 */
export const PersistenceSignals = z.object({
  /** `service`, `scheduled_task`, `wmi_subscription`. */
  kind: Short.optional(),
  /** Service, task or consumer name (chosen by whoever created it). */
  name: Short.optional(),
  /** What it runs: service ImagePath, the task's Command + Arguments, the WMI consumer's command. */
  command: Text.optional(),
  /** Account it runs as (7045 AccountName, the task's UserId). */
  account: Short.optional(),
  /** `boot`, `system`, `auto`, `demand`, `disabled`. */
  start_type: Short.optional(),
});
export type PersistenceSignals = z.infer<typeof PersistenceSignals>;

/** What the source product itself concluded, carried in the alert. */
export const SourceVerdictSignals = z.object({
  /** Antivirus engines that flagged the object / engines that scanned it (VirusTotal-style counts in the alert). */
  av_detections: Count.optional(),
  av_engines: Count.optional(),
  /** The threat name the product assigned (`Virus:DOS/EICAR_Test_File`, `Trojan:Win32/...`). */
  threat_name: Short.optional(),
  /** What the product did: `blocked`, `quarantined`, `allowed`, `detected`, `remediated`. */
  action: Short.optional(),
  /** The SIEM's own classification of the alert / incident (`FalsePositive`, `TruePositive`, OCSF verdict). */
  classification: Short.optional(),
  /** Incident / alert status in the source (`New`, `Closed`, `Resolved`). */
  status: Short.optional(),
  /** The source's confidence, 0-100. */
  confidence: z.number().min(0).max(100).optional(),
});
export type SourceVerdictSignals = z.infer<typeof SourceVerdictSignals>;

export const CloudSignals = z.object({
  provider: Short.optional(),
  account: Short.optional(),
  region: Short.optional(),
  /** The API call / operation (`ConsoleLogin`, `CreateAccessKey`). */
  operation: Short.optional(),
  resource: Text.optional(),
});

export const EmailSignals = z.object({
  sender: Short.optional(),
  recipients: z.array(Short).max(50).optional(),
  subject: Text.optional(),
  attachments: z.array(Short).max(50).optional(),
});

/** Free text the alert carries (messages, log lines, `full_log`, `_raw`): always content. */
export const TextSignal = z.object({ value: Text, from: z.string().max(512) });

export const AlertSignals = z.object({
  detection: DetectionSignals.optional(),
  event: EventSignals.optional(),
  host: HostSignals.optional(),
  process: ProcessSignals.optional(),
  parent: ProcessSignals.optional(),
  grandparent: ProcessSignals.optional(),
  /** The process acted upon (Sysmon 8/10: CreateRemoteThread, ProcessAccess target such as lsass). */
  target_process: ProcessSignals.optional(),
  file: FileSignals.optional(),
  registry: RegistrySignals.optional(),
  network: NetworkSignals.optional(),
  auth: AuthSignals.optional(),
  script: ScriptSignals.optional(),
  persistence: PersistenceSignals.optional(),
  source_verdict: SourceVerdictSignals.optional(),
  cloud: CloudSignals.optional(),
  email: EmailSignals.optional(),
  text: z.array(TextSignal).max(20).optional(),
  /**
   * Where each value came from, keyed by signal path (`process.command_line`, `detection.rule_name`,
   * `parent.image`). A path without an entry is content.
   */
  provenance: z.record(z.string().max(128), SignalSource).default({}),
});
export type AlertSignals = z.infer<typeof AlertSignals>;
export type AlertSignalsInput = z.input<typeof AlertSignals>;

/** Origin of the value at a signal path; content unless a normalizer recorded it as metadata. */
export function signalOrigin(
  signals: Pick<AlertSignals, 'provenance'> | undefined,
  path: string,
): SignalOrigin {
  return signals?.provenance[path]?.origin ?? 'content';
}
