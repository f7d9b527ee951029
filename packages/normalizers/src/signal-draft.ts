import type { AlertSignalsInput, FileHash } from '@triage/contracts';
import type { AlertDraft } from './draft.ts';
import { isRecord, parseTime, text, textList } from './fields.ts';
import { domainsIn, parseIp, parsePort, techniqueIds, urlsIn } from './observables.ts';
import type { SignalsBuilder } from './signals.ts';

/**
 * The contract's flat fields (src_ip, user, process…) of a format that is read into signals
 * first (windows, hayabusa): derived from the signals so the two never disagree.
 */
export function draftFromSignals(s: AlertSignalsInput | undefined): AlertDraft {
  if (!s) return {};
  const sec = (name: string): Record<string, unknown> => {
    const v = (s as Record<string, unknown>)[name];
    return isRecord(v) ? v : {};
  };
  const [network, auth, process, parent, host, file, detection, event] = [
    'network',
    'auth',
    'process',
    'parent',
    'host',
    'file',
    'detection',
    'event',
  ].map(sec) as [Record<string, unknown>, ...Array<Record<string, unknown>>];
  const hashes = [process!.hashes, file!.hashes].flatMap((h) => (Array.isArray(h) ? (h as FileHash[]) : []));
  return {
    src_ip: parseIp(network.src_ip),
    src_port: parsePort(network.src_port),
    dst_ip: parseIp(network.dst_ip),
    dst_port: parsePort(network.dst_port),
    user: text(auth!.user, 1024) ?? text(process!.user, 1024),
    host: text(host!.name, 1024),
    first_seen: parseTime(event!.time),
    process: {
      name: text(process!.name, 1024),
      pid: typeof process!.pid === 'number' ? process!.pid : undefined,
      command_line: text(process!.command_line),
      parent_name: text(parent!.name, 1024),
      parent_command_line: text(parent!.command_line),
    },
    hashes,
    urls: urlsIn(network.url),
    domains: domainsIn(network.hostname),
    mitre: techniqueIds(detection!.mitre),
  };
}

/** Sigma tags → ATT&CK technique ids (`attack.t1059.001` → `T1059.001`) and tactics (`attack.execution`). */
export function readSigmaTags(tags: unknown, from: string, b: SignalsBuilder): void {
  const list = textList(tags).map((t) => t.toLowerCase());
  if (list.length === 0) return;
  b.meta('detection.groups', list, from);
  b.meta(
    'detection.mitre',
    list.filter((t) => /^attack\.t\d{4}(\.\d{3})?$/.test(t)).map((t) => t.slice(7).toUpperCase()),
    from,
  );
  b.meta(
    'detection.tactics',
    list
      .filter((t) => /^attack\.[a-z][a-z-]+$/.test(t) && !/^attack\.(g|s)\d{4}$/.test(t))
      .map((t) => t.slice(7)),
    from,
  );
}
