import type { AlertDraft } from './draft.ts';
import { compact, firstEntity, firstText, getPath, text, toInt } from './fields.ts';
import { domainsIn, firstIp, firstPort, hashesIn, urlsIn } from './observables.ts';
import { severityOf } from './severity.ts';

/**
 * A CEF event as Sentinel stores it (CommonSecurityLog table). CEF's header maps to fixed columns:
 * Name → Activity, Signature ID → DeviceEventClassID, Severity → LogSeverity (0-10 or a word).
 * The six custom string/number/date slots carry their meaning in a `…Label` column; they become
 * facts under that label (CrowdStrike puts the command line in one of them).
 */
export function readCommonSecurityLog(doc: Record<string, unknown>): AlertDraft {
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
