import { isRecord, MAX_ARRAY_ITEMS, text, toInt } from './fields.ts';
import { hashesIn } from './observables.ts';
import type { SignalPath, SignalsBuilder } from './signals.ts';

/**
 * One Windows event (Sysmon, Security, PowerShell, Defender, System, AppLocker, Task Scheduler)
 * read into signals, whatever carried it: Wazuh eventchannel (`data.win.system` / `eventdata`,
 * camelCase keys), evtx_dump JSON (`Event.System` / `Event.EventData`, PascalCase, `#attributes`),
 * Winlogbeat (`winlog.event_data`), Hayabusa JSON details. Field names are matched case- and
 * punctuation-insensitively (`commandLine`, `CommandLine`, `Threat Name`).
 *
 * Provenance follows the contract: what Windows or the sensor measured (event id, channel,
 * computer, the image paths of processes and loaded modules, hashes, signatures, the account a
 * process ran as, integrity level, logon type, socket addresses, Defender's threat name and
 * action) is metadata; what the event carries from its actors (command lines, script blocks,
 * file and registry paths, registry data, DNS names, task and service definitions, PE version
 * info, the user name typed into a failed logon, workstation names a client states) is content.
 */

export interface WinField {
  value: unknown;
  /** Path in the received payload. */
  from: string;
}

export type WinFields = Map<string, WinField>;

export interface WindowsEvent {
  /** System fields (`EventID`, `Channel`, `Computer`, `Provider.Name`…), keys normalized. */
  system: WinFields;
  /** EventData / UserData fields, keys normalized. */
  data: WinFields;
  /** Wazuh eventchannel doubles every backslash and escapes quotes inside values: undo it. */
  escaped?: boolean;
  /** `data` with Wazuh's escaping undone, once (readWindowsEvent fills it). */
  cleaned?: WinFields;
}

export const winKey = (k: string): string => k.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * Adds the fields of `obj` to `out` under normalized keys. evtx_dump's `#attributes` are merged
 * into their element (`Provider.#attributes.Name` → `providername`), `#text` is the element's
 * value; nested objects are flattened one level at a time up to `depth`, the shallowest key
 * winning. Bounded: a hostile event cannot make this walk long.
 */
export function addFields(obj: unknown, from: string, out: WinFields, depth = 2, prefix = ''): void {
  if (!isRecord(obj)) return;
  for (const [k, v] of Object.entries(obj).slice(0, 500)) {
    if (k === '__proto__') continue;
    const path = `${from}.${k}`;
    const attrs = k === '#attributes';
    const key = attrs ? prefix : prefix + winKey(k);
    if (isRecord(v)) {
      if (Object.hasOwn(v, '#text')) setField(out, key, { value: v['#text'], from: `${path}.#text` });
      if (depth > 0) addFields(v, path, out, depth - 1, key);
      continue;
    }
    if (key !== '') setField(out, key, { value: v, from: path });
  }
}

function setField(out: WinFields, key: string, field: WinField): void {
  if (key === '' || out.has(key) || field.value === null || field.value === undefined) return;
  out.set(key, field);
}

type Kind = 'sysmon' | 'security' | 'powershell' | 'defender' | 'system' | 'applocker' | 'tasks' | 'other';

function kindOf(channel: string, provider: string): Kind {
  const c = `${channel} ${provider}`.toLowerCase();
  if (c.includes('sysmon')) return 'sysmon';
  if (c.includes('windows defender')) return 'defender';
  if (c.includes('powershell')) return 'powershell';
  if (c.includes('applocker')) return 'applocker';
  if (c.includes('taskscheduler')) return 'tasks';
  if (/^security\b/.test(c) || c.includes('security-auditing')) return 'security';
  if (/^system\b/.test(c) || c.includes('service control manager')) return 'system';
  return 'other';
}

/** Event → ECS-like action and category words, so rules need not know Windows event ids. */
const ACTIONS: Partial<Record<Kind, Record<string, [string, string]>>> = {
  sysmon: {
    '1': ['process_creation', 'process'],
    '2': ['file_time_change', 'file'],
    '3': ['network_connection', 'network'],
    '5': ['process_terminated', 'process'],
    '6': ['driver_load', 'driver'],
    '7': ['image_load', 'library'],
    '8': ['create_remote_thread', 'process'],
    '9': ['raw_access_read', 'file'],
    '10': ['process_access', 'process'],
    '11': ['file_create', 'file'],
    '12': ['registry_create_delete', 'registry'],
    '13': ['registry_set', 'registry'],
    '14': ['registry_rename', 'registry'],
    '15': ['file_stream_create', 'file'],
    '17': ['pipe_created', 'file'],
    '18': ['pipe_connected', 'file'],
    '19': ['wmi_filter', 'configuration'],
    '20': ['wmi_consumer', 'configuration'],
    '21': ['wmi_binding', 'configuration'],
    '22': ['dns_query', 'network'],
    '23': ['file_delete', 'file'],
    '24': ['clipboard_change', 'host'],
    '25': ['process_tampering', 'process'],
    '26': ['file_delete_detected', 'file'],
  },
  security: {
    '1102': ['log_cleared', 'configuration'],
    '4624': ['logon', 'authentication'],
    '4625': ['logon_failed', 'authentication'],
    '4634': ['logoff', 'authentication'],
    '4647': ['logoff', 'authentication'],
    '4648': ['explicit_credential_logon', 'authentication'],
    '4672': ['special_privileges_logon', 'authentication'],
    '4688': ['process_creation', 'process'],
    '4689': ['process_terminated', 'process'],
    '4697': ['service_installed', 'configuration'],
    '4698': ['scheduled_task_created', 'configuration'],
    '4699': ['scheduled_task_deleted', 'configuration'],
    '4700': ['scheduled_task_enabled', 'configuration'],
    '4701': ['scheduled_task_disabled', 'configuration'],
    '4702': ['scheduled_task_updated', 'configuration'],
    '4719': ['audit_policy_changed', 'configuration'],
    '4720': ['user_created', 'iam'],
    '4722': ['user_enabled', 'iam'],
    '4724': ['password_reset', 'iam'],
    '4725': ['user_disabled', 'iam'],
    '4726': ['user_deleted', 'iam'],
    '4728': ['group_member_added', 'iam'],
    '4732': ['group_member_added', 'iam'],
    '4738': ['user_changed', 'iam'],
    '4740': ['user_locked_out', 'iam'],
    '4756': ['group_member_added', 'iam'],
    '4768': ['kerberos_tgt_request', 'authentication'],
    '4769': ['kerberos_service_ticket', 'authentication'],
    '4771': ['kerberos_preauth_failed', 'authentication'],
    '4776': ['credential_validation', 'authentication'],
    '4778': ['session_reconnected', 'session'],
    '4779': ['session_disconnected', 'session'],
    '5136': ['directory_object_modified', 'iam'],
    '5140': ['share_access', 'file'],
    '5145': ['share_object_access', 'file'],
  },
  powershell: {
    '4103': ['powershell_pipeline', 'process'],
    '4104': ['powershell_script_block', 'process'],
    '400': ['powershell_engine_start', 'process'],
    '800': ['powershell_pipeline', 'process'],
  },
  defender: {
    '1006': ['malware_detected', 'malware'],
    '1007': ['malware_action', 'malware'],
    '1015': ['suspicious_behavior', 'malware'],
    '1116': ['malware_detected', 'malware'],
    '1117': ['malware_action', 'malware'],
    '1118': ['malware_action_failed', 'malware'],
    '1119': ['malware_action_failed', 'malware'],
    '5001': ['protection_disabled', 'configuration'],
    '5007': ['configuration_changed', 'configuration'],
  },
  system: {
    '7045': ['service_installed', 'configuration'],
    '7036': ['service_state_changed', 'configuration'],
    '104': ['log_cleared', 'configuration'],
    '1074': ['shutdown_initiated', 'host'],
  },
  applocker: {
    '8002': ['applocker_allowed', 'process'],
    '8003': ['applocker_audited', 'process'],
    '8004': ['applocker_blocked', 'process'],
    '8005': ['applocker_allowed', 'process'],
    '8006': ['applocker_audited', 'process'],
    '8007': ['applocker_blocked', 'process'],
    '8020': ['applocker_allowed', 'process'],
    '8021': ['applocker_audited', 'process'],
    '8022': ['applocker_blocked', 'process'],
  },
  tasks: {
    '106': ['scheduled_task_created', 'configuration'],
    '140': ['scheduled_task_updated', 'configuration'],
    '141': ['scheduled_task_deleted', 'configuration'],
    '142': ['scheduled_task_disabled', 'configuration'],
    '200': ['scheduled_task_action', 'process'],
  },
};

const VENDORS: Record<Kind, string> = {
  sysmon: 'sysmon',
  security: 'windows',
  powershell: 'windows',
  defender: 'defender',
  system: 'windows',
  applocker: 'windows',
  tasks: 'windows',
  other: 'windows',
};

/** Mandatory label SIDs (4688) → the integrity level names Sysmon uses. */
const INTEGRITY: Record<string, string> = {
  's-1-16-0': 'Untrusted',
  's-1-16-4096': 'Low',
  's-1-16-8192': 'Medium',
  's-1-16-8448': 'Medium',
  's-1-16-12288': 'High',
  's-1-16-16384': 'System',
  's-1-16-20480': 'Protected',
};

const REGISTRY_ACTIONS: Record<string, string> = {
  setvalue: 'set',
  createkey: 'created',
  deletekey: 'deleted',
  deletevalue: 'deleted',
  renamekey: 'renamed',
  createvalue: 'created',
};

/** 7045 / 4697 start types: words or the numeric codes. */
const START_TYPES: Record<string, string> = {
  '0': 'boot',
  '1': 'system',
  '2': 'auto',
  '3': 'demand',
  '4': 'disabled',
  'boot start': 'boot',
  'system start': 'system',
  'auto start': 'auto',
  'demand start': 'demand',
  disabled: 'disabled',
};

const UTF16 = new TextDecoder('utf-16le');

/**
 * Wazuh eventchannel escapes: `C:\\\\Windows` → `C:\\Windows`, `\\"` → `"`. One pass over the
 * code units into a buffer: a global regex replace with a match per character is several times
 * slower and grows worse than linearly at the field sizes ingest accepts.
 */
export function unescapeWazuh(s: string): string {
  if (!s.includes('\\\\') && !s.includes('\\"')) return s;
  const out = new Uint16Array(s.length);
  let j = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next === 92 || next === 34) {
        out[j++] = next;
        i++;
        continue;
      }
    }
    out[j++] = c;
  }
  return UTF16.decode(out.subarray(0, j));
}

const basename = (p: string): string => p.slice(Math.max(p.lastIndexOf('\\'), p.lastIndexOf('/')) + 1);

/** The account as `DOMAIN\user` from the separate name and domain fields Security events use. */
function account(name: unknown, domain: unknown): string | undefined {
  const n = text(name, 512);
  if (n === undefined || n === '-') return undefined;
  const d = text(domain, 512);
  return d !== undefined && d !== '-' && !n.includes('\\') && !n.includes('@') ? `${d}\\${n}` : n;
}

/** Reads a Windows event's system header and event data into signals (see file comment). */
export function readWindowsEvent(ev: WindowsEvent, b: SignalsBuilder): void {
  const sys = (...keys: string[]): WinField | undefined => {
    for (const k of keys) {
      const f = ev.system.get(k);
      if (f !== undefined && text(f.value) !== undefined) return f;
    }
    return undefined;
  };
  const clean = (v: unknown): unknown => (ev.escaped && typeof v === 'string' ? unescapeWazuh(v) : v);
  // Unescaped once: a 256 KiB command line is read by several readers below.
  ev.cleaned ??= ev.escaped
    ? new Map([...ev.data].map(([k, f]) => [k, { value: clean(f.value), from: f.from }]))
    : ev.data;
  const data = ev.cleaned;
  const field = (key: string): WinField | undefined => data.get(key);
  const val = (key: string): string | undefined => text(field(key)?.value);
  const meta = (path: SignalPath, key: string): void => {
    const f = field(key);
    if (f) b.meta(path, f.value, f.from);
  };
  const content = (path: SignalPath, key: string): void => {
    const f = field(key);
    if (f) b.content(path, f.value, f.from);
  };

  const idField = sys('eventid', 'eventcode', 'id');
  const id = idField ? String(toInt(idField.value) ?? text(idField.value, 64)) : undefined;
  const channelField = sys('channel', 'logname');
  const providerField = sys('providername', 'provider', 'sourcename');
  const kind = kindOf(text(channelField?.value, 256) ?? '', text(providerField?.value, 256) ?? '');
  if (idField) b.meta('event.id', id, idField.from);
  if (channelField) b.meta('event.channel', channelField.value, channelField.from);
  if (providerField) b.meta('event.provider', providerField.value, providerField.from);
  const time = sys('systemtime', 'timecreatedsystemtime', 'timecreated', 'utctime');
  if (time) b.meta('event.time', time.value, time.from);
  const action = id === undefined ? undefined : ACTIONS[kind]?.[id];
  const at = idField?.from ?? 'event';
  if (action) {
    b.meta('event.action', action[0], at);
    b.meta('event.category', [action[1]], at);
  }
  const computer = sys('computer', 'computername', 'hostname');
  if (computer) b.meta('host.name', computer.value, computer.from);
  if (idField || channelField) b.meta('host.os', 'windows', (idField ?? channelField)!.from);
  if (kind === 'sysmon' || kind === 'defender') b.meta('detection.vendor', VENDORS[kind], at);
  const message = sys('message');
  // The rendered message is text either way; unescaping a second copy of the event buys nothing.
  if (message) b.text(message.value, message.from);

  const hashes = (path: 'process.hashes' | 'file.hashes', key: string): void => {
    const f = field(key);
    if (f) b.hashes(path, hashesIn(f.value), 'metadata', f.from);
  };
  const names = (): void => {
    for (const p of ['process', 'parent', 'target_process'] as const) {
      const image = b.get(`${p}.image`);
      const src = b.source(`${p}.image`);
      if (typeof image === 'string' && src) b.set(`${p}.name`, basename(image), src.origin, src.from ?? '');
    }
  };

  // The acting process: Sysmon names it Image (SourceImage for 8/10), Security ProcessName / NewProcessName.
  meta('process.image', 'image');
  meta('process.image', 'sourceimage');
  meta('process.pid', kind === 'security' && id === '4688' ? 'newprocessid' : 'processid');
  meta('process.pid', 'sourceprocessid');
  // Security events' `User`-like fields name logon accounts, read below; elsewhere it is the process's.
  if (kind !== 'security') meta('process.user', 'user');
  meta('process.user', 'sourceuser');
  meta('process.integrity_level', 'integritylevel');
  content('process.command_line', 'commandline');
  content('process.current_directory', 'currentdirectory');
  content('process.original_file_name', 'originalfilename');
  content('process.company', 'company');
  content('process.product', 'product');
  content('process.description', 'description');
  meta('process.call_trace', 'calltrace');
  meta('parent.image', 'parentimage');
  meta('parent.pid', 'parentprocessid');
  content('parent.command_line', 'parentcommandline');
  meta('parent.user', 'parentuser');
  meta('target_process.image', 'targetimage');
  meta('target_process.pid', 'targetprocessid');
  meta('target_process.user', 'targetuser');
  meta('target_process.granted_access', 'grantedaccess');

  if (kind === 'sysmon') readSysmon(id, { field, val, meta, content, hashes }, b);
  else if (kind === 'security') readSecurity(id, { field, val, meta, content, hashes }, b);
  else if (kind === 'defender') readDefender({ field, val, meta, content, hashes }, b);
  else if (kind === 'powershell') {
    content('script.text', 'scriptblocktext');
    content('script.path', 'path');
    content('script.text', 'payload');
    for (const k of ['contextinfo', 'hostapplication']) {
      const f = field(k);
      if (f) b.text(f.value, f.from);
    }
  } else if (kind === 'applocker') {
    content('file.path', 'filepath');
    content('file.path', 'fullfilepath');
    meta('file.signer', 'fqbn');
    const hash = field('filehash');
    if (hash) b.hashes('file.hashes', hashesIn(hash.value), 'metadata', hash.from);
    meta('process.user', 'targetuser');
    const verdict = action?.[0].replace('applocker_', '');
    if (verdict) b.meta('source_verdict.action', verdict, at);
  } else if (kind === 'system') {
    readService({ field, val, meta, content, hashes }, b);
  } else if (kind === 'tasks') {
    content('persistence.name', 'taskname');
    meta('auth.user', 'username');
    content('process.command_line', 'actionname');
    if (action?.[1] === 'configuration') b.meta('persistence.kind', 'scheduled_task', at);
  }
  // Any event may carry these under their usual names (WMI consumers, share access, pipes…).
  content('file.path', 'targetfilename');
  meta('auth.user', 'subjectusername');
  names();
}

interface Readers {
  field(key: string): WinField | undefined;
  val(key: string): string | undefined;
  meta(path: SignalPath, key: string): void;
  content(path: SignalPath, key: string): void;
  hashes(path: 'process.hashes' | 'file.hashes', key: string): void;
}

function readSysmon(id: string | undefined, r: Readers, b: SignalsBuilder): void {
  switch (id) {
    case '1':
      r.hashes('process.hashes', 'hashes');
      break;
    case '3': {
      r.meta('network.src_ip', 'sourceip');
      r.meta('network.src_port', 'sourceport');
      r.meta('network.dst_ip', 'destinationip');
      r.meta('network.dst_port', 'destinationport');
      r.meta('network.transport', 'protocol');
      r.content('network.hostname', 'destinationhostname');
      const initiated = r.field('initiated');
      const v = text(initiated?.value, 16)?.toLowerCase();
      if (initiated && (v === 'true' || v === 'false'))
        b.meta('network.direction', v === 'true' ? 'outbound' : 'inbound', initiated.from);
      break;
    }
    case '6':
    case '7':
      r.meta('file.path', 'imageloaded');
      r.hashes('file.hashes', 'hashes');
      r.meta('file.signed', 'signed');
      r.meta('file.signer', 'signature');
      r.meta('file.signature_status', 'signaturestatus');
      b.meta('file.action', 'loaded', 'event.id');
      break;
    case '11':
    case '15':
    case '23':
    case '26':
      r.content('file.path', 'targetfilename');
      r.hashes('file.hashes', 'hashes');
      r.hashes('file.hashes', 'hash');
      b.meta('file.action', id === '11' || id === '15' ? 'created' : 'deleted', 'event.id');
      break;
    case '12':
    case '13':
    case '14': {
      r.content('registry.key', 'targetobject');
      r.content('registry.data', 'details');
      r.content('registry.data', 'newname');
      const type = r.field('eventtype');
      const verb = REGISTRY_ACTIONS[text(type?.value, 64)?.toLowerCase() ?? ''];
      if (type && verb) b.meta('registry.action', verb, type.from);
      const key = b.get('registry.key');
      if (typeof key === 'string' && (verb === 'set' || id === '13'))
        b.content('registry.value_name', basename(key), 'registry.key');
      break;
    }
    case '17':
    case '18':
      r.content('file.path', 'pipename');
      break;
    case '19':
    case '20':
    case '21': {
      r.content('persistence.name', 'name');
      r.content('persistence.command', 'destination');
      r.content('persistence.command', 'consumer');
      b.meta('persistence.kind', 'wmi_subscription', 'event.id');
      break;
    }
    case '22': {
      r.content('network.hostname', 'queryname');
      b.meta('network.protocol', 'dns', 'event.id');
      const results = r.field('queryresults');
      if (results) b.text(results.value, results.from);
      break;
    }
  }
}

const LOGON_FAILURE_IDS = new Set(['4625', '4771']);
const LOGON_IDS = new Set(['4624', '4625', '4634', '4647', '4648', '4672', '4768', '4769', '4771', '4776']);

function readSecurity(id: string | undefined, r: Readers, b: SignalsBuilder): void {
  if (id === '4688') {
    r.meta('process.image', 'newprocessname');
    r.meta('parent.image', 'parentprocessname');
    r.meta('parent.pid', 'processid');
    const target = account(r.val('targetusername'), r.val('targetdomainname'));
    const subject = account(r.val('subjectusername'), r.val('subjectdomainname'));
    const who = target ?? subject;
    if (who) b.meta('process.user', who, r.field(target ? 'targetusername' : 'subjectusername')!.from);
    const label = r.field('mandatorylabel');
    const level = INTEGRITY[text(label?.value, 64)?.toLowerCase() ?? ''];
    if (label && level) b.meta('process.integrity_level', level, label.from);
    const elevation = text(r.field('tokenelevationtype')?.value, 64);
    // %%1937 = TokenElevationTypeFull: an elevated (UAC-approved or built-in admin) token.
    if (elevation) b.meta('auth.elevated', elevation === '%%1937', r.field('tokenelevationtype')!.from);
    return;
  }
  if (id !== undefined && LOGON_IDS.has(id)) {
    const failed = LOGON_FAILURE_IDS.has(id);
    const userField = id === '4648' || id === '4672' ? 'subjectusername' : 'targetusername';
    const domainField = id === '4648' || id === '4672' ? 'subjectdomainname' : 'targetdomainname';
    const user = account(r.val(userField), r.val(domainField));
    const from = r.field(userField)?.from;
    // A failed logon names whatever account the client typed: the attacker's choice.
    if (user && from) b.set('auth.user', user, failed ? 'content' : 'metadata', from);
    r.meta('auth.domain', domainField);
    if (id === '4648') r.content('auth.target_user', 'targetusername');
    r.meta('auth.logon_type', 'logontype');
    r.meta('auth.method', 'authenticationpackagename');
    r.content('auth.source_host', 'workstationname');
    r.content('auth.source_host', 'workstation');
    r.meta('network.src_ip', 'ipaddress');
    r.meta('network.src_port', 'ipport');
    r.meta('process.image', 'processname');
    const elevated = text(r.field('elevatedtoken')?.value, 64);
    if (elevated)
      b.meta(
        'auth.elevated',
        elevated === '%%1842' || /^yes$/i.test(elevated),
        r.field('elevatedtoken')!.from,
      );
    if (id === '4672') b.meta('auth.elevated', true, 'event.id');
    const status = text(r.field('status')?.value, 64)?.toLowerCase();
    const outcome =
      failed || (status !== undefined && status !== '0x0' && (id === '4776' || id === '4768'))
        ? 'failure'
        : id === '4634' || id === '4647'
          ? undefined
          : 'success';
    if (outcome) b.meta('auth.outcome', outcome, 'event.id');
    return;
  }
  if (id === '4728' || id === '4732' || id === '4756' || id === '4729' || id === '4733') {
    r.meta('auth.target_user', 'membername');
    r.meta('auth.target_user', 'membersid');
    r.meta('auth.group', 'targetusername');
    return;
  }
  if (id === '4698' || id === '4699' || id === '4700' || id === '4701' || id === '4702') {
    r.content('persistence.name', 'taskname');
    readTaskContent(r, b);
    b.meta('persistence.kind', 'scheduled_task', 'event.id');
    return;
  }
  if (id === '4697') {
    readService(r, b);
    return;
  }
  if (id === '5140' || id === '5145') {
    r.content('file.path', 'sharename');
    r.meta('network.src_ip', 'ipaddress');
    r.meta('network.src_port', 'ipport');
    return;
  }
  // Account management (4720 created, 4722 enabled, 4724 reset, 4738 changed, 4740 locked…):
  // the subject acted on the target, whose name the creator chose.
  r.content('auth.target_user', 'targetusername');
}

/** Task XML (4698 TaskContent): `<Command>` and `<Arguments>` are what the task runs. */
function readTaskContent(r: Readers, b: SignalsBuilder): void {
  const f = r.field('taskcontent') ?? r.field('taskcontentnew');
  const xml = text(f?.value);
  if (!f || xml === undefined) return;
  b.text(xml, f.from);
  const tag = (name: string): string | undefined => {
    const open = xml.indexOf(`<${name}>`);
    if (open < 0) return undefined;
    const close = xml.indexOf(`</${name}>`, open);
    return close < 0 ? undefined : xml.slice(open + name.length + 2, close).trim();
  };
  const command = [tag('Command'), tag('Arguments')].filter((x) => x).join(' ');
  if (command) b.content('persistence.command', command, f.from);
  const userId = tag('UserId');
  if (userId) b.content('persistence.account', userId, f.from);
}

function readService(r: Readers, b: SignalsBuilder): void {
  const name = r.field('servicename');
  if (!name) return;
  b.meta('persistence.kind', 'service', 'event.id');
  r.content('persistence.name', 'servicename');
  r.content('persistence.command', 'imagepath');
  r.content('persistence.command', 'servicefilename');
  r.meta('persistence.account', 'accountname');
  r.meta('persistence.account', 'serviceaccount');
  const start = r.field('starttype') ?? r.field('servicestarttype');
  const word = START_TYPES[text(start?.value, 64)?.toLowerCase() ?? ''];
  if (start && word) b.meta('persistence.start_type', word, start.from);
}

function readDefender(r: Readers, b: SignalsBuilder): void {
  r.meta('source_verdict.threat_name', 'threatname');
  r.meta('detection.rule_name', 'threatname');
  r.meta('source_verdict.action', 'actionname');
  r.meta('detection.category', 'categoryname');
  const severity = r.field('severityname');
  const word = text(severity?.value, 64);
  if (severity && word) b.meta('detection.level', { scale: 'vendor', value: word }, severity.from);
  r.meta('process.image', 'processname');
  r.meta('process.user', 'detectionuser');
  // Defender writes `file:_C:\path` / `process:_pid:…` lists; the path is where the threat sits.
  const path = r.field('path');
  const first = text(path?.value)
    ?.split(';')[0]
    ?.replace(/^[a-z]+:_/i, '');
  if (path && first) b.content('file.path', first, path.from);
}

/** Every string value of the event data (bounded), for masking interpolated rule names. */
export function eventValues(ev: WindowsEvent): string[] {
  const out: string[] = [];
  for (const source of ev.cleaned && ev.cleaned !== ev.data ? [ev.data, ev.cleaned] : [ev.data]) {
    for (const f of [...source.values()].slice(0, MAX_ARRAY_ITEMS)) {
      const t = text(f.value);
      if (t !== undefined) out.push(t);
    }
  }
  return out;
}

/** Whether the Wazuh event data carries eventchannel's doubled backslashes. */
export function looksEscaped(data: WinFields): boolean {
  for (const k of [
    'image',
    'commandline',
    'targetfilename',
    'parentimage',
    'path',
    'currentdirectory',
    'imageloaded',
    'targetobject',
  ]) {
    const v = data.get(k)?.value;
    if (typeof v === 'string' && v.includes('\\\\')) return true;
  }
  return false;
}
