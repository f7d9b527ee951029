import type { AlertDraft, Normalizer } from './draft.ts';
import { compact, firstText, getPath, isRecord, type JsonRecord, own, text, toInt } from './fields.ts';
import { severityFromWord } from './severity.ts';
import { draftFromSignals, readSigmaTags } from './signal-draft.ts';
import { SignalsBuilder } from './signals.ts';
import { addFields, eventValues, readWindowsEvent, type WindowsEvent } from './windows-event.ts';

/**
 * Windows events without a SIEM around them, and Sigma rule matches carried with their event:
 * - evtx_dump / python-evtx JSON: `{Event: {System, EventData | UserData}}` (Sigma's regression data);
 * - Winlogbeat / Elastic Agent documents that are events, not alerts: `winlog.event_id`,
 *   `winlog.channel`, `winlog.event_data`;
 * - flat rows with `EventID` and `Channel` (Sentinel SecurityEvent / Event rows, CSV exports);
 * - a Sigma match: the rule (`title`, `id`, `level`, `tags`, `status`; at the top, or under
 *   `rule` / `sigma`, or `rule_*` columns) next to the event under `event`, `document.data`
 *   (Chainsaw JSON) or `matches[0]` (Zircolite), or around an `Event` at the top.
 * The rule is Sigma's metadata; the event is read by windows-event.ts.
 */

interface Located {
  ev: WindowsEvent;
  /** Where the event sits in the payload ('' = the document itself). */
  at: string;
}

/** The Windows event in a payload, in any of the shapes above; undefined when there is none. */
export function locateWindowsEvent(doc: JsonRecord): Located | undefined {
  for (const at of ['', 'event', 'document.data', 'matches.0', 'Event']) {
    const node = at === '' ? doc : getPath(doc, at);
    if (!isRecord(node)) continue;
    const found = readShape(node, at);
    if (found) return found;
  }
  return undefined;
}

function readShape(node: JsonRecord, at: string): Located | undefined {
  const p = (k: string) => (at === '' ? k : `${at}.${k}`);
  const event = own(node, 'Event');
  if (isRecord(event) && isRecord(own(event, 'System'))) {
    const ev: WindowsEvent = { system: new Map(), data: new Map() };
    addFields(own(event, 'System'), p('Event.System'), ev.system, 2);
    addFields(own(event, 'EventData'), p('Event.EventData'), ev.data, 2);
    addFields(own(event, 'UserData'), p('Event.UserData'), ev.data, 2);
    return { ev, at };
  }
  const winlog = own(node, 'winlog');
  if (isRecord(winlog) && (own(winlog, 'event_id') !== undefined || own(winlog, 'channel') !== undefined)) {
    const ev: WindowsEvent = { system: new Map(), data: new Map() };
    addFields(winlog, p('winlog'), ev.system, 0);
    const computer = firstText(winlog, 'computer_name') ?? firstText(node, 'host.name');
    if (computer) ev.system.set('computer', { value: computer, from: p('winlog.computer_name') });
    addFields(own(winlog, 'event_data'), p('winlog.event_data'), ev.data, 1);
    addFields(own(winlog, 'user_data'), p('winlog.user_data'), ev.data, 1);
    return { ev, at };
  }
  const id = own(node, 'EventID') ?? own(node, 'EventId') ?? own(node, 'event_id');
  const channel = own(node, 'Channel') ?? own(node, 'channel');
  if (toInt(id) !== undefined && text(channel) !== undefined) {
    // Flat rows: header and data columns side by side.
    const ev: WindowsEvent = { system: new Map(), data: new Map() };
    addFields(node, at === '' ? '$' : at, ev.system, 0);
    addFields(node, at === '' ? '$' : at, ev.data, 1);
    for (const [k, f] of ev.system) if (at === '') ev.system.set(k, { ...f, from: f.from.slice(2) });
    for (const [k, f] of ev.data) if (at === '') ev.data.set(k, { ...f, from: f.from.slice(2) });
    return { ev, at };
  }
  return undefined;
}

interface SigmaRule {
  title?: string;
  from: string;
  node: JsonRecord;
  prefix: string;
}

/** The Sigma rule of a match, if the payload carries one next to (not inside) its event. */
function sigmaRule(doc: JsonRecord, eventAt: string): SigmaRule | undefined {
  for (const key of ['rule', 'sigma']) {
    const node = own(doc, key);
    if (isRecord(node) && firstText(node, 'title', 'name') !== undefined)
      return { title: firstText(node, 'title', 'name'), from: `${key}.title`, node, prefix: `${key}.` };
  }
  if (eventAt === '') return undefined;
  const title = firstText(doc, 'rule_title', 'title', 'name');
  if (title === undefined) return undefined;
  const from = ['rule_title', 'title', 'name'].find((k) => text(own(doc, k)) !== undefined)!;
  return { title, from, node: doc, prefix: '' };
}

const field = (r: SigmaRule, ...keys: string[]): { value: unknown; from: string } | undefined => {
  for (const k of keys) {
    const v = own(r.node, k);
    if (v !== undefined && v !== null && v !== '') return { value: v, from: `${r.prefix}${k}` };
  }
  return undefined;
};

export const normalizeWindows: Normalizer = (doc) => {
  const found = locateWindowsEvent(doc);
  if (!found) return undefined;
  const b = new SignalsBuilder();
  const rule = sigmaRule(doc, found.at);
  let level: string | undefined;
  if (rule) {
    b.meta(
      'detection.vendor',
      text(own(doc, 'source'), 64)?.toLowerCase() === 'sigma' ? 'chainsaw' : 'sigma',
      rule.from,
    );
    b.meta('detection.engine', 'sigma', rule.from);
    b.meta('detection.rule_name', rule.title, rule.from);
    // A Sigma title is fixed text: nothing of the event is ever interpolated into it.
    b.ruleNameTemplate(rule.title);
    const id = field(rule, 'id', 'rule_id');
    if (id) b.meta('detection.rule_id', id.value, id.from);
    const lv = field(rule, 'level', 'rule_level');
    level = text(lv?.value, 64)?.toLowerCase();
    if (lv && level) {
      b.meta('detection.level', { scale: 'sigma', value: level }, lv.from);
      b.meta('detection.severity', severityFromWord(level), lv.from);
    }
    const status = field(rule, 'status', 'rule_status');
    if (status) b.meta('detection.rule_status', status.value, status.from);
    const description = field(rule, 'description', 'rule_description');
    if (description) b.meta('detection.rule_description', description.value, description.from);
    const tags = field(rule, 'tags', 'rule_tags');
    if (tags) readSigmaTags(tags.value, tags.from, b);
  }
  readWindowsEvent(found.ev, b);
  b.maskValues(eventValues(found.ev));
  const signals = b.build();
  const base = draftFromSignals(signals);
  const eventId = b.get('event.id');
  const action = text(b.get('event.action'))?.replace(/_/g, ' ');
  const vendor = text(b.get('detection.vendor')) ?? 'windows';
  const draft: AlertDraft = {
    ...base,
    name:
      rule?.title ??
      (text(b.get('detection.rule_name')) !== undefined && vendor === 'defender'
        ? `Microsoft Defender: ${text(b.get('detection.rule_name'))}`
        : `${vendor === 'sysmon' ? 'Sysmon' : 'Windows'} event ${eventId ?? '?'}${action ? `: ${action}` : ''}`),
    rule_id: text(b.get('detection.rule_id')),
    severity: severityFromWord(level) ?? severityFromWord(getPath(b.get('detection.level'), 'value')),
    source_id: sourceId(found, text(b.get('detection.rule_id'))),
    facts: compact({
      windows_event: eventId,
      channel: text(b.get('event.channel')),
      rule_level: level,
    }),
    signals,
  };
  return draft;
};

/**
 * A record id is unique per computer and channel only, and one event can match several rules:
 * the identity ingest dedupes on is all of them, or none when the record id is missing.
 */
function sourceId(found: Located, ruleId: string | undefined): string | undefined {
  const get = (...keys: string[]) => keys.map((k) => text(found.ev.system.get(k)?.value, 256)).find((v) => v);
  const record = get('eventrecordid', 'recordid');
  if (record === undefined) return undefined;
  return [ruleId, get('computer', 'computername'), get('channel'), record].filter((x) => x).join(':');
}
