import { createHash } from 'node:crypto';
import {
  type AlertSignals,
  type KeyPart,
  type KeyPartName,
  type NormalizedAlert,
  type SignalOrigin,
  type SimilarityKey,
  signalOrigin,
} from '@triage/contracts';
import { ipScope } from '@triage/net';
import { foldImage, foldText, urlTemplate } from './fold.ts';

/** Longest part value shown to people; the key itself hashes the whole folded value. */
const SHOWN = 240;
const INTERNAL_SCOPES = new Set(['private', 'cgnat', 'link_local', 'loopback']);

interface Draft {
  name: KeyPartName;
  value: string;
  origin: SignalOrigin;
}

const shorten = (v: string) => (v.length > SHOWN ? `${v.slice(0, SHOWN - 1)}…` : v);

/**
 * Control characters shown as U+FFFD. The digest separates names and values with U+0000 and
 * U+0001: with those in a value, content could spell extra parts (`a\u0001url_template\u0000/x`)
 * and hash like another key. Values without control characters are unchanged.
 */
const CONTROL = /(?![\t\n\r])\p{Cc}/gu;
const visible = (v: string) => v.replace(CONTROL, '\ufffd');

function digest(kind: 'sim1' | 'alert1', parts: Draft[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(`${p.name}\u0000${p.value}\u0001`);
  return `${kind}:${h.digest('hex').slice(0, 32)}`;
}

/**
 * The source network of an address: the /24 (IPv4) or /64 (IPv6) of an internal address, and just
 * `external` for a public one: routine traffic from the internet comes from everywhere, and intel
 * on the exact address is checked separately on every alert.
 */
export function sourceNetwork(ip: string): string | undefined {
  const scope = ipScope(ip);
  if (scope === 'public') return 'external';
  if (!INTERNAL_SCOPES.has(scope)) return undefined;
  if (ip.includes('.') && !ip.includes(':')) {
    const octets = ip.split('.');
    return `${octets.slice(0, 3).join('.')}.0/24`;
  }
  const full = expandV6(ip);
  return full ? `${full.slice(0, 4).join(':')}::/64` : undefined;
}

function expandV6(ip: string): string[] | undefined {
  const [head, tail] = ip.toLowerCase().split('::') as [string, string | undefined];
  const a = head ? head.split(':') : [];
  const b = tail ? tail.split(':') : [];
  if (tail === undefined && a.length !== 8) return undefined;
  const fill = Array.from({ length: 8 - a.length - b.length }, () => '0');
  return [...a, ...fill, ...b].map((g) => g.replace(/^0+(?=.)/, ''));
}

/** Reads the values the key is built from, with their provenance (signals first, legacy fields after). */
function partsOf(alert: NormalizedAlert): Draft[] {
  const s: AlertSignals | undefined = alert.signals;
  const o = (path: string): SignalOrigin => signalOrigin(s, path);
  const parts: Draft[] = [];
  const add = (name: KeyPartName, value: string | undefined, origin: SignalOrigin) => {
    if (value !== undefined && value.trim() !== '')
      parts.push({ name, value: visible(value.trim()), origin });
  };

  const d = s?.detection;
  const rule = [d?.vendor, d?.rule_id, d?.signature_id].filter((x) => x !== undefined && x !== '');
  if (rule.length > 0) {
    const paths = ['detection.vendor', 'detection.rule_id', 'detection.signature_id'].filter(
      (p) => d?.[p.slice('detection.'.length) as keyof typeof d] !== undefined,
    );
    add('detection', rule.join('/'), paths.every((p) => o(p) === 'metadata') ? 'metadata' : 'content');
  } else if (!s && alert.rule_id) {
    // Records normalized before typed signals existed: nothing says who wrote the field.
    add('detection', alert.rule_id, 'content');
  }
  // Read the template when there is one: SIEMs interpolate event values into rule names.
  const template = (d as { rule_name_template?: string } | undefined)?.rule_name_template;
  if (template) add('detection_name', template, o('detection.rule_name_template'));
  else if (d?.rule_name) add('detection_name', d.rule_name, o('detection.rule_name'));
  else add('detection_name', alert.name, s ? o('detection.rule_name') : 'content');

  // Only account names the sensor wrote fold out of the activity: one the attacker writes would
  // let them fold any token of their own command line into `<user>`.
  const users = (['auth.user', 'process.user'] as const)
    .filter((p) => o(p) === 'metadata')
    .map((p) => (p === 'auth.user' ? s?.auth?.user : s?.process?.user))
    .filter((u): u is string => !!u);
  const host = s?.host?.name ?? (s ? undefined : alert.host);
  const user = s?.auth?.user ?? s?.process?.user ?? (s ? undefined : alert.user);
  const srcIp = s?.network?.src_ip ?? (s ? undefined : alert.src_ip);
  if (host) add('host', host.toLowerCase(), s ? o('host.name') : 'content');
  else if (user)
    add('user', user.toLowerCase(), s ? o(s.auth?.user ? 'auth.user' : 'process.user') : 'content');
  const net = srcIp ? sourceNetwork(srcIp) : undefined;
  if (net) add('source_network', net, s ? o('network.src_ip') : 'content');

  const image = s?.process?.image ?? s?.process?.name ?? (s ? undefined : alert.process?.name);
  if (image)
    add(
      'process_image',
      foldImage(image, users),
      s ? o(s.process?.image ? 'process.image' : 'process.name') : 'content',
    );
  const parent = s?.parent?.image ?? s?.parent?.name ?? (s ? undefined : alert.process?.parent_name);
  if (parent)
    add(
      'parent_image',
      foldImage(parent, users),
      s ? o(s.parent?.image ? 'parent.image' : 'parent.name') : 'content',
    );
  const cmd = s?.process?.command_line ?? (s ? undefined : alert.process?.command_line);
  if (cmd) add('command_line', foldText(cmd, users), s ? o('process.command_line') : 'content');
  const url = s?.network?.url ?? (s ? undefined : alert.urls?.[0]);
  if (url) add('url_template', urlTemplate(url), s ? o('network.url') : 'content');
  const port = s?.network?.dst_port ?? (s ? undefined : alert.dst_port);
  if (port !== undefined) add('dst_port', String(port), s ? o('network.dst_port') : 'content');
  return parts;
}

function sentence(parts: Draft[]): string {
  const v = (n: KeyPartName) => parts.find((p) => p.name === n)?.value;
  const bits: string[] = [];
  const det = [v('detection'), v('detection_name') && `“${shorten(v('detection_name')!)}”`].filter(Boolean);
  bits.push(det.join(' ') || 'an unnamed detection');
  if (v('host')) bits.push(`on host ${v('host')}`);
  if (v('user')) bits.push(`for user ${v('user')}`);
  if (v('source_network')) bits.push(`from ${v('source_network')}`);
  if (v('parent_image')) bits.push(`parent ${shorten(v('parent_image')!)}`);
  if (v('process_image')) bits.push(`process ${shorten(v('process_image')!)}`);
  if (v('command_line')) bits.push(`command “${shorten(v('command_line')!)}”`);
  if (v('url_template')) bits.push(`URL ${shorten(v('url_template')!)}`);
  if (v('dst_port')) bits.push(`port ${v('dst_port')}`);
  return bits.join(', ');
}

/**
 * The similarity key of an alert: detection + entity + the stable part of the activity, each
 * part with its provenance. Anchored when the detection (rule id or rule name) comes from
 * metadata and the key names an entity: only then can FALSE_POSITIVE feedback on it close later
 * alerts, because otherwise the text an attacker writes would be all that decides a match, or one
 * feedback would close a detection everywhere. `metadataEntity` (MEMORY_REQUIRE_METADATA_ENTITY)
 * also demands the entity be metadata: a generic SIEM export's `host` field has no known
 * provenance, and a forged host name could borrow another host's suppression (docs/memory.md).
 */
export function similarityKey(
  alert: NormalizedAlert,
  opts: { metadataEntity?: boolean } = {},
): SimilarityKey {
  const parts = partsOf(alert);
  const has = (names: KeyPartName[], metaOnly: boolean) =>
    parts.some((p) => names.includes(p.name) && (!metaOnly || p.origin === 'metadata'));
  return {
    key: digest('sim1', parts),
    scope: 'similar',
    parts: parts.map((p): KeyPart => ({ ...p, value: shorten(p.value) })),
    anchored:
      has(['detection', 'detection_name'], true) &&
      has(['host', 'user', 'source_network'], opts.metadataEntity ?? false),
    text: sentence(parts),
  };
}

/** The key of scope `alert`: this alert and exact re-sends of it (the normalizer's fingerprint). */
export function alertKey(alert: NormalizedAlert): SimilarityKey {
  const parts: Draft[] = [{ name: 'fingerprint', value: alert.fingerprint, origin: 'metadata' }];
  return {
    key: digest('alert1', parts),
    scope: 'alert',
    parts,
    anchored: true,
    text: `this alert (fingerprint ${alert.fingerprint.slice(0, 16)}) and exact re-sends of it`,
  };
}
