import type { Enrichment, NormalizedAlert } from '@triage/contracts';
import { isInternalIp, isIpLiteral } from '@triage/net';
import { linear } from './linear.ts';

/**
 * What the rules read from an alert, in one flat shape. Facts from the normalizers come first;
 * well-known raw paths (Wazuh `rule.*`, Suricata EVE `alert.*`, ECS, fast.log lines) are the
 * fallback, so a verdict does not hinge on which normalizer version produced the alert.
 */
export interface AlertFeatures {
  name: string;
  /** Lower-cased name + description + raw log line: what detection keywords are matched against. */
  text: string;
  commandLines: string[];
  userAgents: string[];
  urls: string[];
  users: string[];
  failedLogins?: number;
  success?: boolean;
  /** Hour of day (UTC) the activity happened, when known. */
  hourUtc?: number;
  location?: string;
  distinctUsers?: number;
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
  /** Working directory of a command (Wazuh sudo `data.pwd`). */
  pwd?: string;
  /** Traffic direction as the sensor reported it (`to_client` = server answer). */
  direction?: string;
  /** IPs quoted in the raw log line (`rip=`, `from X port`), used when the alert has no src_ip. */
  logIps: string[];
  /**
   * Suricata's per-flow protocol-anomaly counter (`flowints.<proto>.anomaly.count`). Each decoder
   * event fires at most once per flow, so 2+ means distinct violations in one connection.
   */
  anomalyCount?: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a dotted path (`rule.level`) from an object. */
export function pick(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const part of path.split('.')) {
    if (!isObj(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

function first(root: unknown, paths: string[]): unknown {
  for (const p of paths) {
    const v = pick(root, p);
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function bool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['true', 'yes', '1', 'success', 'succeeded'].includes(s)) return true;
    if (['false', 'no', '0', 'failure', 'failed'].includes(s)) return false;
  }
  if (typeof v === 'number') return v !== 0;
  return undefined;
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v.trim() !== '') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

function strings(v: unknown): string[] {
  if (typeof v === 'string') return v ? [v] : [];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

function hourOf(time: unknown, iso: unknown): number | undefined {
  if (typeof time === 'string') {
    const m = /^(\d{1,2}):(\d{2})/.exec(time.trim());
    if (m) return Number(m[1]) % 24;
    const d = Date.parse(time);
    if (!Number.isNaN(d)) return new Date(d).getUTCHours();
  }
  if (typeof iso === 'string') {
    const d = Date.parse(iso);
    if (!Number.isNaN(d)) return new Date(d).getUTCHours();
  }
  return undefined;
}

/**
 * Values of keys that look like `re` anywhere in the raw payload (bounded), JSON strings included:
 * vendors put command lines under many names ("Suspicious Command Line", "CommandLine", "cmdline")
 * and some (Sentinel ExtendedProperties) nest them in a JSON-encoded string.
 */
export function collectByKey(root: unknown, re: RegExp, limit = 20): string[] {
  const out: string[] = [];
  const walk = (v: unknown, depth: number) => {
    if (out.length >= limit || depth > 8) return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
    } else if (isObj(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (re.test(k) && typeof x === 'string' && x.trim() !== '') out.push(x);
        else walk(x, depth + 1);
      }
    } else if (typeof v === 'string' && v.length < 65_536 && /^\s*\{/.test(v)) {
      try {
        walk(JSON.parse(v), depth + 1);
      } catch {
        // not JSON after all
      }
    }
  };
  walk(root, 0);
  return out;
}

/** Suricata/Snort fast.log: `[**] [1:2230003:1] SIGNATURE [**] [Classification: X] [Priority: 3]`. */
const FAST_LOG = linear(
  /\[\*\*\]\s*\[\d+:\d+:\d+\]\s*(.+?)\s*\[\*\*\](?:\s*\[Classification:\s*([^\]]+)\])?(?:\s*\[Priority:\s*(\d)\])?/,
);
/**
 * An IDS signature quoted in an alert name ("Suricata: Alert - ET POLICY ...", a SIEM rule named
 * after the signature). The ruleset prefixes are upper case by convention, which keeps ordinary
 * words ("et", "Suricata: Alert") out.
 */
const SIGNATURE_IN_NAME = linear(/(?:^|[-–:]\s*)((?:ET|ETPRO|GPL|SURICATA)\s+[A-Z][A-Z0-9_]*\s+\S.*)$/);

/** Largest `...anomaly.count` under Suricata `metadata.flowints`, nested or dotted keys. */
function anomalyCountOf(raw: unknown): number | undefined {
  const flowints = first(raw, ['data.metadata.flowints', 'metadata.flowints', 'suricata.metadata.flowints']);
  let best: number | undefined;
  const walk = (v: unknown, path: string, depth: number) => {
    if (depth > 4) return;
    if (isObj(v)) {
      for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k, depth + 1);
      return;
    }
    const n = num(Array.isArray(v) ? v[0] : v);
    if (n !== undefined && /(?:^|\.)anomaly\.count$/.test(path)) best = Math.max(best ?? 0, n);
  };
  walk(flowints, '', 0);
  return best;
}

/** Entra ID (Azure AD) sign-in logs: `status.errorCode` 0 is a success, anything else a failure. */
function entraSignInSuccess(raw: unknown): boolean | undefined {
  const code = num(first(raw, ['status.errorCode', 'properties.status.errorCode']));
  return code === undefined ? undefined : code === 0;
}

/** Apache/Nginx combined log: the last quoted field is the user agent. */
const COMBINED_LOG = linear(
  /"(?:GET|POST|HEAD|PUT|DELETE|OPTIONS|PATCH|PROPFIND|CONNECT|TRACE) ([^" ]+)[^"]*" \d{3} \S+ "[^"]*" "([^"]*)"/,
);

export function extractFeatures(alert: NormalizedAlert, enrichment?: Enrichment): AlertFeatures {
  const facts: Obj = alert.facts ?? {};
  const raw = alert.raw;
  const f = (keys: string[], rawPaths: string[] = []) => first(facts, keys) ?? first(raw, rawPaths);

  const rawLog = str(f(['full_log', 'message'], ['full_log', 'message', 'log.original', 'event.original']));
  const fast = rawLog ? FAST_LOG.exec(rawLog) : null;
  const combined = rawLog ? COMBINED_LOG.exec(rawLog) : null;

  const signature =
    str(
      f(
        ['signature', 'alert_signature'],
        ['data.alert.signature', 'alert.signature', 'suricata.alert.signature'],
      ),
    ) ??
    fast?.[1] ??
    (alert.format === 'suricata' ? alert.name : undefined) ??
    SIGNATURE_IN_NAME.exec(alert.name)?.[1];
  const category =
    str(f(['category', 'alert_category'], ['data.alert.category', 'alert.category', 'rule.category'])) ??
    fast?.[2];

  const commandLines = [
    ...new Set(
      [
        alert.process?.command_line,
        alert.process?.parent_command_line,
        ...strings(f(['command_line', 'command', 'cmd'], ['data.command'])),
        ...collectByKey(
          raw,
          /^(?:.*command.?line|cmd(?:line)?|process.?command.?line|full.?command|suspicious.?script)$/i,
        ),
      ].filter((s): s is string => typeof s === 'string' && s.trim() !== ''),
    ),
  ];

  const userAgents = [
    ...new Set([
      ...strings(f(['user_agent', 'http_user_agent'], ['user_agent.original'])),
      ...collectByKey(raw, /^(?:http_)?user.?agent$/i, 5),
      ...(combined?.[2] && combined[2] !== '-' ? [combined[2]] : []),
    ]),
  ];

  const urls = [
    ...(alert.urls ?? []),
    ...strings(
      f(['url', 'uri'], ['data.url', 'data.http.url', 'http.url', 'suricata.http.url', 'url.original']),
    ),
    ...(combined?.[1] ? [combined[1]] : []),
  ];

  const users = [
    alert.user,
    ...strings(f(['srcuser', 'src_user'], ['data.srcuser'])),
    ...strings(f(['dstuser', 'dst_user', 'target_user'], ['data.dstuser'])),
  ].filter((s): s is string => typeof s === 'string' && s !== '');

  const usersFact = f(['distinct_users', 'user_count', 'users']);
  const distinctUsers = Array.isArray(usersFact) ? usersFact.length : num(usersFact);

  const srcIp = alert.src_ip;
  const dstIp = alert.dst_ip;
  const scopeOf = (ip: string | undefined) => {
    if (!ip) return undefined;
    const obs = enrichment?.observables.find((o) => o.value === ip);
    if (obs?.scope) return obs.scope !== 'public' && obs.scope !== 'documentation';
    return isInternalIp(ip);
  };
  const location = str(f(['location', 'geo', 'country'], []));
  const logIps = [...new Set(rawLog?.match(/\b(?:\d{1,3}\.){3}\d{1,3}\b/g) ?? [])].filter((ip) =>
    isIpLiteral(ip),
  );
  const logInternal = !srcIp && logIps.length > 0 ? logIps.every(isInternalIp) : undefined;

  const text = [alert.name, alert.description ?? '', rawLog ?? '', signature ?? '', category ?? '']
    .join('\n')
    .toLowerCase();

  return {
    name: alert.name,
    text,
    commandLines,
    userAgents,
    urls,
    users: [...new Set(users)],
    failedLogins: num(f(['failed_logins', 'failed_attempts', 'failures', 'failure_count'])),
    // ECS `event.outcome` says whether *any* action succeeded; it is a login outcome only for
    // authentication events.
    success:
      bool(
        first(facts, ['success', 'succeeded', 'login_success', 'outcome']) ??
          (strings(pick(raw, 'event.category')).includes('authentication')
            ? pick(raw, 'event.outcome')
            : undefined) ??
          // Okta System Log: outcome.result SUCCESS / FAILURE.
          pick(raw, 'outcome.result'),
      ) ?? entraSignInSuccess(raw),
    hourUtc: hourOf(
      f(['time']),
      alert.first_seen ?? alert.last_seen ?? first(raw, ['@timestamp', 'timestamp']),
    ),
    location,
    distinctUsers,
    ruleLevel: num(f(['rule_level', 'level'], ['rule.level'])),
    ruleGroups: strings(f(['rule_groups', 'groups'], ['rule.groups'])).map((g) => g.toLowerCase()),
    firedTimes: num(f(['rule_firedtimes', 'firedtimes'], ['rule.firedtimes'])),
    signature,
    category,
    idsPriority:
      num(
        f(
          ['ids_priority', 'alert_severity'],
          ['data.alert.severity', 'alert.severity', 'suricata.alert.severity'],
        ),
      ) ?? num(fast?.[3]),
    srcIp,
    dstIp,
    srcPort: alert.src_port,
    dstPort: alert.dst_port,
    srcInternal:
      scopeOf(srcIp) ??
      logInternal ??
      (location && /\binternal\b|\bcorp\b|\blan\b/i.test(location) ? true : undefined),
    dstInternal: scopeOf(dstIp),
    pwd: str(f(['pwd', 'cwd'], ['data.pwd'])),
    direction: str(f(['direction'], ['suricata.direction', 'data.direction'])),
    logIps,
    anomalyCount: anomalyCountOf(raw),
  };
}

/** Parses `HH-HH` business hours; hour h is inside when start <= h < end (wraps past midnight). */
export function isBusinessHour(hour: number, spec: string): boolean {
  const [a, b] = spec.split('-').map(Number) as [number, number];
  return a <= b ? hour >= a && hour < b : hour >= a || hour < b;
}
