import type { AlertSignalsInput } from '@triage/contracts';
import {
  getPath,
  isRecord,
  type JsonRecord,
  MAX_ARRAY_ITEMS,
  own,
  text,
  textList,
  toBool,
  toInt,
} from './fields.ts';
import type { GenericResult } from './generic-extract.ts';
import { techniqueIds, urlsIn } from './observables.ts';
import { severityFromWord } from './severity.ts';
import { readSigmaTags } from './signal-draft.ts';
import { type SignalPath, SignalsBuilder } from './signals.ts';

/**
 * Signals of JSON nobody documented, found by key name. Nothing says which engine wrote what,
 * so only the alert's own header counts as detection metadata: the name, rule id, severity,
 * tags and product named by top-level keys (or `rule.*`) — what a SIEM sets about an alert and an
 * event cannot add. Everything else (addresses, users, hosts, processes, messages) is content.
 */

/** Keys whose value names the detection rather than describing the event. */
const RULE_NAME_KEYS = new Set([
  'title',
  'name',
  'alertname',
  'alertdisplayname',
  'displayname',
  'rulename',
  'ruletitle',
  'detectionname',
  'signaturename',
  'alerttitle',
  'findingtitle',
  'incidenttitle',
  'signature',
  'threatname',
  'policyname',
]);

const TAG_KEYS = ['tags', 'rule_tags', 'labels'];
const VENDOR_KEYS = ['product', 'vendor', 'source_product', 'productname', 'tool'];

/**
 * Keys undocumented JSON uses for what the rules weigh about a login or a request, matched on the
 * key's name anywhere in the object (bounded walk). Content: nothing says who wrote them.
 */
const ACTIVITY_KEYS: Array<[SignalPath, RegExp, (v: unknown) => unknown]> = [
  ['auth.failure_count', /^(?:failed[_ ]?(?:logins?|attempts?|logons?)|failures|failure[_ ]?count)$/i, toInt],
  ['auth.outcome', /^(?:success|succeeded|login[_ ]?success)$/i, (v) => outcomeOf(toBool(v))],
  [
    'auth.distinct_users',
    /^(?:distinct[_ ]?users|user[_ ]?count)$/i,
    (v) => (Array.isArray(v) ? v.length : toInt(v)),
  ],
  ['auth.location', /^(?:location|geo|country)$/i, (v) => text(v, 256)],
  ['network.user_agent', /^(?:http[_ ]?)?user[_ .-]?agent$/i, (v) => text(v)],
  ['process.current_directory', /^(?:pwd|cwd|current[_ ]?directory)$/i, (v) => text(v)],
];

const outcomeOf = (ok: boolean | undefined) => (ok === undefined ? undefined : ok ? 'success' : 'failure');

function readActivity(doc: JsonRecord, b: SignalsBuilder): void {
  const seen = new Set<SignalPath>();
  const walk = (v: unknown, path: string, depth: number) => {
    if (depth > 6 || seen.size === ACTIVITY_KEYS.length) return;
    if (!isRecord(v)) return;
    for (const [k, x] of Object.entries(v).slice(0, MAX_ARRAY_ITEMS)) {
      const at = path ? `${path}.${k}` : k;
      const hit = ACTIVITY_KEYS.find(([sig, re]) => !seen.has(sig) && re.test(k));
      const value = hit ? hit[2](x) : undefined;
      if (hit && value !== undefined) {
        b.content(hit[0], value, at);
        seen.add(hit[0]);
      } else walk(x, at, depth + 1);
    }
  };
  walk(doc, '', 0);
  // Identity providers' own outcome shapes: Okta System Log, Entra ID sign-in logs, ECS.
  const okta = text(getPath(doc, 'outcome.result'), 32)?.toUpperCase();
  if (okta === 'SUCCESS' || okta === 'FAILURE')
    b.content('auth.outcome', okta.toLowerCase(), 'outcome.result');
  const entra = toInt(getPath(doc, 'status.errorCode'));
  if (entra !== undefined) b.content('auth.outcome', entra === 0 ? 'success' : 'failure', 'status.errorCode');
  if (textList(getPath(doc, 'event.category')).includes('authentication')) {
    const o = text(getPath(doc, 'event.outcome'), 16);
    if (o === 'success' || o === 'failure') b.content('auth.outcome', o, 'event.outcome');
  }
}

/** String leaves of `doc`, skipping the given paths (bounded walk). */
function leaves(doc: unknown, skip: Set<string>, path = '', depth = 0, out: string[] = []): string[] {
  if (out.length >= 2000 || depth > 6 || skip.has(path)) return out;
  if (typeof doc === 'string') out.push(doc);
  else if (Array.isArray(doc))
    doc.slice(0, MAX_ARRAY_ITEMS).forEach((x, i) => {
      leaves(x, skip, `${path}.${i}`, depth + 1, out);
    });
  else if (isRecord(doc)) {
    for (const [k, v] of Object.entries(doc).slice(0, MAX_ARRAY_ITEMS))
      leaves(v, skip, path === '' ? k : `${path}.${k}`, depth + 1, out);
  }
  return out;
}

export function genericSignals(doc: JsonRecord, g: GenericResult): AlertSignalsInput | undefined {
  const b = new SignalsBuilder();
  const header = new Set<string>();
  const name = g.found.name;
  if (
    name &&
    g.name !== undefined &&
    RULE_NAME_KEYS.has(name.key) &&
    (name.depth === 0 || /^rule\./.test(name.path))
  ) {
    b.meta('detection.rule_name', g.name, name.path);
    header.add(name.path);
  } else if (g.name !== undefined && name) {
    // A message used as the name: the event's own words.
    b.text(g.name, name.path);
  }
  const ruleId = g.found.rule_id;
  if (ruleId && g.rule_id !== undefined) {
    b.meta('detection.rule_id', g.rule_id, ruleId.path);
    header.add(ruleId.path);
  }
  const sev = g.found.severity;
  if (sev) {
    const raw = getPath(doc, sev.path);
    const word = text(raw, 64);
    if (word !== undefined)
      b.meta('detection.level', { scale: 'vendor', value: typeof raw === 'number' ? raw : word }, sev.path);
    b.meta('detection.severity', g.severity ?? severityFromWord(raw), sev.path);
    header.add(sev.path);
  }
  for (const k of TAG_KEYS) {
    const tags = own(doc, k);
    if (textList(tags).length === 0) continue;
    header.add(k);
    if (textList(tags).some((t) => /^attack\./i.test(t))) readSigmaTags(tags, k, b);
    else {
      b.meta(
        'detection.groups',
        textList(tags).map((t) => t.toLowerCase()),
        k,
      );
      b.meta('detection.mitre', techniqueIds(tags), k);
    }
  }
  for (const k of VENDOR_KEYS) {
    const v = text(own(doc, k), 64);
    if (v !== undefined) {
      b.meta('detection.vendor', v.toLowerCase(), k);
      header.add(k);
    }
  }

  const at = (f: keyof GenericResult['found']) => g.found[f]?.path ?? f;
  b.content('network.src_ip', g.src_ip, at('src_ip'));
  b.content('network.dst_ip', g.dst_ip, at('dst_ip'));
  b.content('network.src_port', g.src_port, at('src_port'));
  b.content('network.dst_port', g.dst_port, at('dst_port'));
  b.content('auth.user', g.user, at('user'));
  b.content('host.name', g.host, at('host'));
  b.content('process.command_line', g.process?.command_line, at('command_line'));
  b.content('process.name', g.process?.name, at('process'));
  b.content('process.pid', g.process?.pid, at('pid'));
  b.content('parent.name', g.process?.parent_name, at('parent'));
  b.content('parent.command_line', g.process?.parent_command_line, at('parent_command_line'));
  b.content('network.url', urlsIn(g.urls)[0], 'url');
  b.content('network.hostname', g.domains?.[0], 'domain');
  b.content('file.hashes', (g.hashes ?? []).slice(0, 10), 'hash');
  if (g.description !== undefined) b.text(g.description, at('description'));
  b.content('event.time', g.first_seen, 'time');
  readActivity(doc, b);
  b.maskValues(leaves(doc, header));
  return b.build();
}
