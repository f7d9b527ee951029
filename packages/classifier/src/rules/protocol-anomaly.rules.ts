import type { Enrichment } from '@triage/contracts';
import type { AlertFeatures } from '../alert-features.ts';
import { linear } from '../linear.ts';
import type { Evidence, Rule } from './evidence.ts';
import { signatureBasis } from './ids.rules.ts';

/**
 * Suricata protocol-decoder events (`SURICATA TLS invalid handshake message`, `SURICATA HTTP unable
 * to match response to request`, `SURICATA STREAM ...`): the engine could not parse the traffic,
 * not a signature that recognised an attack.
 *
 * Why benign-leaning, with LOW confidence: in any real deployment these are among the most
 * frequent alerts, produced by TLS stacks that deviate from the RFC, middleboxes and TLS
 * interception, packet loss on the capture port and mid-stream pickup. But the same events are
 * what scanners (nmap -sV and SSL probes send malformed or obsolete handshakes), tunnels and
 * covert channels (non-TLS data on 443) and evasion attempts look like. So the benign reading
 * holds only without corroboration, and the confidence of a verdict resting on it is capped.
 *
 * Anomalies of cleartext application protocols (HTTP, SMTP, FTP, DNS, SMB, SSH, ...) always stay
 * open; the benign reading is for TLS record-layer and TCP/IP decoding events.
 *
 * Corroboration that keeps the alert open (NEEDS_REVIEW):
 * - threat intel rates the peer suspicious or worse;
 * - the protocol runs on a port that is not its own (TLS outside 443/993/..., HTTP outside 80/8080/...);
 * - Suricata counted 2+ anomalies in the flow (each decoder event fires once per flow, so that is
 *   several distinct violations in one connection, not one glitch);
 * - the event itself is a scanner artefact (an SSLv2 hello: prohibited since RFC 6176, sent by
 *   SSL scanners and probes, not by modern clients).
 * Other attack evidence in the same alert (a scanner user agent, a payload) counts through the
 * other rules' weights.
 */

const DECODER = linear(/^suricata\s+([a-z0-9_-]+)\b/i);
/** Transport-level events: TCP stream state and packet decoding, the noisiest of all. */
const TRANSPORT = new Set([
  'stream',
  'tcp',
  'udp',
  'ipv4',
  'ipv6',
  'icmpv4',
  'icmpv6',
  'decoder',
  'pkt',
  'frag',
  'ethernet',
  'vlan',
  'ppp',
  'gre',
  'teredo',
]);
const SCANNER_ARTEFACT = linear(/\bsslv2\b/i);
/**
 * Cleartext application protocols. Their parsers see the requests themselves, so an anomaly there
 * is most often a tool that does not speak the protocol the way real clients do (scanners, brute
 * forcers, request smuggling, tunnels), not a quirk inside encrypted records. They stay open.
 */
const CLEARTEXT = new Set([
  'http',
  'http2',
  'smtp',
  'ftp',
  'dns',
  'smb',
  'ssh',
  'imap',
  'pop3',
  'sip',
  'rdp',
  'dcerpc',
  'krb5',
  'nfs',
  'tftp',
  'snmp',
  'mqtt',
  'modbus',
  'dnp3',
]);

/** Server ports each application protocol normally uses (IANA + common alternates). */
const PORTS: Record<string, ReadonlySet<number>> = {
  tls: new Set([
    443, 465, 563, 636, 853, 989, 990, 992, 993, 994, 995, 3389, 4443, 5061, 5223, 5986, 6697, 8443, 8883,
    9443, 10443,
  ]),
  http: new Set([80, 591, 3128, 5985, 8000, 8008, 8080, 8081, 8088, 8888]),
  smtp: new Set([25, 465, 587, 2525]),
  ssh: new Set([22, 2222]),
  dns: new Set([53, 5353]),
  ftp: new Set([20, 21, 990]),
  smb: new Set([139, 445]),
};

function unusualPort(proto: string, f: AlertFeatures): number | undefined {
  const ports = PORTS[proto];
  if (!ports || f.srcPort === undefined || f.dstPort === undefined) return undefined;
  if (ports.has(f.srcPort) || ports.has(f.dstPort)) return undefined;
  // The server side is the lower port in practice (clients use ephemeral ports).
  return Math.min(f.srcPort, f.dstPort);
}

function suspiciousPeer(f: AlertFeatures, enrichment: Enrichment): string | undefined {
  for (const ip of [f.srcIp, f.dstIp]) {
    const entry = ip ? enrichment.intel[ip] : undefined;
    if (!entry) continue;
    for (const r of Object.values(entry.providers)) {
      if (r.verdict === 'malicious' || r.verdict === 'suspicious')
        return `${r.provider} rates ${ip} ${r.verdict}`;
      if ((r.abuseipdb?.abuse_score ?? 0) >= 25)
        return `AbuseIPDB scores ${ip} ${r.abuseipdb?.abuse_score}/100`;
      if ((r.offline?.lists.length ?? 0) > 0) return `${ip} is on ${r.offline?.lists.join(', ')}`;
    }
  }
  return undefined;
}

export const protocolAnomalyRules: Rule = ({ alert, features: f, enrichment }) => {
  const sig = f.signature?.trim();
  const m = sig ? DECODER.exec(sig) : null;
  if (!sig || !m) return [];
  const proto = m[1]!.toLowerCase();
  const transport = TRANSPORT.has(proto);

  const why: string[] = [];
  const intel = suspiciousPeer(f, enrichment);
  if (intel) why.push(intel);
  const port = transport ? undefined : unusualPort(proto, f);
  if (port !== undefined) why.push(`${proto.toUpperCase()} on port ${port}, not one of its usual ports`);
  if ((f.anomalyCount ?? 0) >= 2)
    why.push(`Suricata counted ${f.anomalyCount} distinct protocol anomalies in this one connection`);
  if (SCANNER_ARTEFACT.test(sig))
    why.push('an SSLv2 hello is sent by SSL scanners and probes, not by modern clients');

  if (why.length > 0) {
    return [
      {
        id: 'ids.decoder_anomaly_corroborated',
        prior: true,
        weight: 1,
        group: 'ids.signature',
        title: `Protocol anomaly with signs of probing or tunnelling (${sig})`,
        reason: `"${sig}" is a protocol-decoder anomaly, usually noise, but here ${why.join('; ')}: consistent with a scan or a tunnel.`,
        keepOpen:
          'a protocol anomaly with corroborating signs of scanning or tunnelling needs a look at the flow',
        mitre: ['T1046', 'T1572'],
      } satisfies Evidence,
    ];
  }
  if (CLEARTEXT.has(proto)) {
    return [
      {
        id: 'ids.cleartext_protocol_anomaly',
        prior: true,
        weight: 0.5,
        group: 'ids.signature',
        reason: `"${sig}" is a ${proto.toUpperCase()} parser anomaly: on a cleartext protocol these come mostly from tools that do not follow it (scanners, brute forcers, smuggling, tunnels), so it stays open even without corroboration.`,
        keepOpen: `a ${proto.toUpperCase()} protocol anomaly is how scanning and brute-force tools show up; look at the flow before closing`,
        maxConfidence: 60,
      } satisfies Evidence,
    ];
  }
  return [
    {
      id: 'ids.decoder_anomaly',
      prior: true,
      weight: transport ? -3 : -2.5,
      group: 'ids.signature',
      reason: transport
        ? `"${sig}" is a TCP/IP decoding anomaly (packet loss, retransmissions, odd stacks), not a detection; nothing corroborates an attack.`
        : `"${sig}" is a protocol-decoder anomaly: mostly non-conforming clients and middleboxes, but also how scans and tunnels look; with no corroboration (intel, unusual port, repeated anomalies) it leans benign, with low confidence.`,
      maxConfidence: transport ? 70 : 60,
      basis: [signatureBasis(alert, sig)],
    },
  ];
};
