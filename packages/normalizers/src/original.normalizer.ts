import { detectByMarkers, ORIGINAL_MARKERS } from './detect.ts';
import { fillFrom, type Normalizer } from './draft.ts';
import { entity, isRecord, own, parseTime, text, toBool, toInt } from './fields.ts';
import { extractGeneric } from './generic-extract.ts';
import { genericSignals } from './generic-signals.ts';
import { parseIp } from './observables.ts';
import { severityFromWord } from './severity.ts';
import { mergeSignals, SignalsBuilder } from './signals.ts';

/**
 * The original Flask service's alert: `{"name", "alert": {user, source_ip, failed_logins, success,
 * time, location, severity, …}}`, or the inner object alone ("bare"). Its alert types (login
 * anomalies, port scans, beaconing) put their evidence in ad-hoc keys, which all become facts.
 */

/** Keys read into contract fields; every other key of the inner alert is a fact. */
const MAPPED = new Set([
  'name',
  'alert_name',
  'user',
  'source_ip',
  'dest_host',
  'host',
  'severity',
  'description',
  'timestamp',
  'alert_id',
  'id',
  'destination_ip',
  'dest_ip',
  'source_port',
  'destination_port',
  'urls',
  'domains',
]);

export const normalizeOriginal: Normalizer = (doc, ctx) => {
  const wrapped = isRecord(own(doc, 'alert'));
  const inner = (wrapped ? own(doc, 'alert') : doc) as Record<string, unknown>;
  if (!wrapped && !ORIGINAL_MARKERS.some((k) => Object.hasOwn(doc, k)) && !Object.hasOwn(doc, 'source_ip')) {
    return undefined;
  }
  // POST /analyze keeps the original `{name, alert}` envelope but lets `alert` be any SIEM's
  // payload: a recognisable one is read by its own normalizer, under the name the caller gave.
  const kind = wrapped ? detectByMarkers(inner) : 'original';
  if (kind !== 'original' && kind !== 'generic') {
    const vendor = ctx.embedded(inner);
    if (vendor) return fillFrom({ name: text(own(doc, 'name')), facts: { embedded_format: kind } }, vendor);
  }
  const generic = extractGeneric(inner);
  const failed = toInt(own(inner, 'failed_logins'));
  const success = toBool(own(inner, 'success'));
  // dest_host holds an address in the port-scan alerts and a name elsewhere.
  const destHost = own(inner, 'dest_host');

  const facts: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(inner)) {
    if (!MAPPED.has(k) && k !== '__proto__') facts[k] = v;
  }
  // The original data sends success as "true"/"false" strings half the time; rules want a boolean.
  if (failed !== undefined) facts.failed_logins = failed;
  if (success !== undefined) facts.success = success;
  if (destHost !== undefined && parseIp(destHost) === undefined) facts.dest_host = destHost;

  return {
    ...generic,
    name:
      text(own(doc, 'name')) ??
      text(own(inner, 'name')) ??
      text(own(inner, 'alert_name')) ??
      generic.name ??
      deriveName(inner, failed, success),
    source_id: text(own(inner, 'alert_id')) ?? text(own(inner, 'id')) ?? generic.source_id,
    severity: severityFromWord(own(inner, 'severity')) ?? generic.severity,
    user: entity(own(inner, 'user')) ?? generic.user,
    src_ip: parseIp(own(inner, 'source_ip')) ?? generic.src_ip,
    dst_ip: parseIp(destHost) ?? generic.dst_ip,
    host: entity(own(inner, 'host')) ?? (parseIp(destHost) ? undefined : entity(destHost)) ?? generic.host,
    first_seen: parseTime(own(inner, 'timestamp')) ?? generic.first_seen,
    description: text(own(inner, 'description')) ?? generic.description,
    facts,
    signals: ctx.signals
      ? mergeSignals(
          originalSignals(doc, inner, wrapped, failed, success),
          genericSignals(inner, generic),
          false,
        )
      : undefined,
  };
};

/**
 * The original service's detectors wrote every key of its alert (counts, addresses, location,
 * outcome): metadata. The user name of a failed login is whatever the client typed: content
 * unless the login succeeded. The description is text.
 */
function originalSignals(
  doc: Record<string, unknown>,
  inner: Record<string, unknown>,
  wrapped: boolean,
  failed: number | undefined,
  success: boolean | undefined,
): ReturnType<SignalsBuilder['build']> {
  const b = new SignalsBuilder();
  const p = (k: string) => (wrapped ? `alert.${k}` : k);
  const v = (k: string) => own(inner, k);
  b.meta('detection.vendor', 'triage', wrapped ? 'name' : p('name'));
  b.meta('detection.rule_name', wrapped ? own(doc, 'name') : undefined, 'name');
  b.meta('detection.rule_name', v('name') ?? v('alert_name'), p('name'));
  const sev = text(v('severity'), 64);
  if (sev !== undefined) b.meta('detection.level', { scale: 'vendor', value: sev }, p('severity'));
  b.meta('detection.severity', severityFromWord(sev), p('severity'));
  b.meta('network.src_ip', v('source_ip'), p('source_ip'));
  b.meta('network.dst_ip', parseIp(v('dest_host')) ?? v('destination_ip') ?? v('dest_ip'), p('dest_host'));
  b.meta('network.src_port', v('source_port'), p('source_port'));
  b.meta('network.dst_port', v('destination_port'), p('destination_port'));
  b.set('auth.user', v('user'), success === true ? 'metadata' : 'content', p('user'));
  b.meta('auth.failure_count', failed, p('failed_logins'));
  if (success !== undefined || failed !== undefined)
    b.meta('auth.outcome', success === true ? 'success' : failed ? 'failure' : undefined, p('success'));
  b.meta('auth.location', v('location'), p('location'));
  const users = v('users') ?? v('distinct_users') ?? v('user_count');
  b.meta('auth.distinct_users', Array.isArray(users) ? users.length : users, p('users'));
  const ports = v('ports_scanned');
  b.meta('network.distinct_ports', Array.isArray(ports) ? ports.length : ports, p('ports_scanned'));
  b.meta('network.rate_per_min', v('rate_per_min'), p('rate_per_min'));
  b.meta('network.interval_seconds', v('interval_seconds'), p('interval_seconds'));
  b.meta('event.time', v('timestamp') ?? v('time'), p('timestamp'));
  b.meta('host.name', parseIp(v('dest_host')) ? v('host') : (v('host') ?? v('dest_host')), p('host'));
  b.text(v('description'), p('description'));
  return b.build();
}

/**
 * A name for a bare alert from what it measures, in the original service's vocabulary. Stable
 * for a given kind of alert, never containing ids or times (it is part of the fingerprint).
 */
function deriveName(
  inner: Record<string, unknown>,
  failed: number | undefined,
  success: boolean | undefined,
): string {
  if (failed !== undefined) {
    if (failed === 0) return success ? 'Successful login' : 'Login attempt';
    return success ? 'Failed logins followed by success' : 'Failed login attempts';
  }
  if (Object.hasOwn(inner, 'ports_scanned') || Object.hasOwn(inner, 'rate_per_min')) return 'Port scan';
  if (Object.hasOwn(inner, 'interval_seconds')) return 'Periodic beaconing';
  const keys = Object.keys(inner)
    .sort()
    .slice(0, 3)
    .map((k) => k.slice(0, 64));
  return keys.length > 0 ? `Alert (${keys.join(', ')})` : 'Alert';
}
