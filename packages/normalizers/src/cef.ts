import type { AlertSignalsInput } from '@triage/contracts';
import type { AlertDraft } from './draft.ts';
import { compact, firstEntity, firstText, getPath, text, toInt } from './fields.ts';
import { domainsIn, firstIp, firstPort, hashesIn, urlsIn } from './observables.ts';
import { severityOf } from './severity.ts';
import { SignalsBuilder } from './signals.ts';

/**
 * A CEF event as Sentinel stores it (CommonSecurityLog table). CEF's header maps to fixed columns:
 * Name → Activity, Signature ID → DeviceEventClassID, Severity → LogSeverity (0-10 or a word).
 * The six custom string/number/date slots carry their meaning in a `…Label` column; they become
 * facts under that label (CrowdStrike puts the command line in one of them).
 */
export function readCommonSecurityLog(doc: Record<string, unknown>, signals = true): AlertDraft {
  const custom: Record<string, unknown> = {};
  let commandLine: string | undefined;
  for (const kind of [
    'DeviceCustomString',
    'DeviceCustomNumber',
    'DeviceCustomFloatingPoint',
    'DeviceCustomIPv6Address',
  ]) {
    for (let i = 1; i <= 6; i++) {
      const label = text(getPath(doc, `${kind}${i}Label`), 128);
      const value = text(getPath(doc, `${kind}${i}`));
      if (label === undefined || value === undefined) continue;
      const key = label
        .replace(/([a-z])([A-Z])/g, '$1_$2')
        .replace(/[^A-Za-z0-9]+/g, '_')
        .toLowerCase();
      if (key === 'commandline' || key === 'command_line') commandLine = value;
      else custom[key] = value;
    }
  }
  const url = getPath(doc, 'RequestURL');
  return {
    signals: signals ? cefSignals(doc, commandLine) : undefined,
    name: firstText(doc, 'Activity', 'DeviceEventClassID'),
    rule_id: firstText(doc, 'DeviceEventClassID'),
    source_id: firstText(doc, 'ExternalID', 'DeviceExternalID'),
    severity: severityOf(getPath(doc, 'LogSeverity'), 'cef'),
    src_ip: firstIp(getPath(doc, 'SourceIP'), getPath(doc, 'SourceTranslatedAddress')),
    src_port: firstPort(getPath(doc, 'SourcePort')),
    dst_ip: firstIp(getPath(doc, 'DestinationIP'), getPath(doc, 'RemoteIP')),
    dst_port: firstPort(getPath(doc, 'DestinationPort'), getPath(doc, 'RemotePort')),
    user: firstEntity(doc, 'SourceUserName', 'DestinationUserName'),
    host: firstEntity(doc, 'SourceHostName', 'DestinationHostName', 'DeviceName', 'Computer'),
    process: {
      name: firstText(doc, 'ProcessName', 'SourceProcessName', 'DestinationProcessName'),
      pid: toInt(getPath(doc, 'ProcessID')),
      command_line: commandLine,
    },
    hashes: [...hashesIn(getPath(doc, 'FileHash')), ...hashesIn(getPath(doc, 'OldFileHash'))],
    urls: urlsIn(url),
    domains: domainsIn(getPath(doc, 'DestinationDnsDomain'), getPath(doc, 'SourceDnsDomain')),
    description: firstText(doc, 'Message'),
    facts: compact({
      table: 'CommonSecurityLog',
      device_vendor: firstText(doc, 'DeviceVendor'),
      device_product: firstText(doc, 'DeviceProduct'),
      device_action: firstText(doc, 'DeviceAction'),
      file_name: firstText(doc, 'FileName'),
      file_path: firstText(doc, 'FilePath'),
      malicious_ip: firstText(doc, 'MaliciousIP'),
      threat_severity: firstText(doc, 'ThreatSeverity'),
      threat_type: firstText(doc, 'IndicatorThreatType'),
      protocol: firstText(doc, 'Protocol'),
      additional_extensions: firstText(doc, 'AdditionalExtensions'),
      ...custom,
    }),
  };
}

/**
 * Signals of a CEF row. The header (vendor, product, event class, name, severity) and the fields a
 * device measured (addresses, ports, process, hashes, its own action, the account it saw) are the
 * device's metadata; command lines, file names, URLs and the free-text message are content.
 */
function cefSignals(
  doc: Record<string, unknown>,
  commandLine: string | undefined,
): AlertSignalsInput | undefined {
  const b = new SignalsBuilder();
  const meta = (path: Parameters<SignalsBuilder['meta']>[0], ...keys: string[]) => {
    for (const k of keys) b.meta(path, getPath(doc, k), k);
  };
  const content = (path: Parameters<SignalsBuilder['content']>[0], ...keys: string[]) => {
    for (const k of keys) b.content(path, getPath(doc, k), k);
  };
  b.meta('detection.vendor', text(getPath(doc, 'DeviceVendor'), 64)?.toLowerCase(), 'DeviceVendor');
  b.meta('detection.engine', text(getPath(doc, 'DeviceProduct'), 64)?.toLowerCase(), 'DeviceProduct');
  meta('detection.rule_name', 'Activity', 'DeviceEventClassID');
  meta('detection.rule_id', 'DeviceEventClassID');
  const sev = getPath(doc, 'LogSeverity');
  const word = text(sev, 64);
  if (word !== undefined) b.meta('detection.level', { scale: 'vendor', value: word }, 'LogSeverity');
  b.meta('detection.severity', severityOf(sev, 'cef'), 'LogSeverity');
  meta('network.src_ip', 'SourceIP', 'SourceTranslatedAddress');
  meta('network.src_port', 'SourcePort');
  meta('network.dst_ip', 'DestinationIP', 'RemoteIP');
  meta('network.dst_port', 'DestinationPort', 'RemotePort');
  b.meta('network.transport', text(getPath(doc, 'Protocol'), 16)?.toLowerCase(), 'Protocol');
  meta('auth.user', 'SourceUserName');
  meta('auth.target_user', 'DestinationUserName');
  meta('host.name', 'SourceHostName', 'DestinationHostName', 'DeviceName', 'Computer');
  meta('process.name', 'ProcessName', 'SourceProcessName', 'DestinationProcessName');
  meta('process.pid', 'ProcessID');
  b.content('process.command_line', commandLine, 'DeviceCustomString');
  b.meta('file.hashes', hashesIn(getPath(doc, 'FileHash')), 'FileHash');
  content('file.name', 'FileName');
  content('file.path', 'FilePath');
  content('network.url', 'RequestURL');
  content('network.hostname', 'DestinationDnsDomain');
  meta('source_verdict.action', 'DeviceAction');
  meta('source_verdict.threat_name', 'IndicatorThreatType');
  meta('event.time', 'TimeGenerated', 'ReceiptTime', 'StartTime');
  b.text(getPath(doc, 'Message'), 'Message');
  return b.build();
}
