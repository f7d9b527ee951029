import { type LinearPattern, linear, PatternSet } from '../linear.ts';
import { type Evidence, quote, type Rule } from './evidence.ts';
import { signatureBasis } from './ids.rules.ts';
import { basisFor, metadataTemplate } from './provenance.ts';

/**
 * Web attack signatures in requested URLs, recon tools in user agents, and the classic web-IDS
 * false positive: an attack signature that matched the server's own response, not a request.
 */

interface WebPattern {
  id: string;
  re: LinearPattern;
  weight: number;
  title: string;
  mitre: string[];
}

/** Matched against decoded URLs only: these strings are normal inside pages and logs. */
const URL_PATTERNS: WebPattern[] = [
  {
    id: 'web.sqli',
    re: linear(
      /union(?:\s|\+|\/\*.*?\*\/)+(?:all(?:\s|\+)+)?select|'\s*(?:or|and)\s*'?\d+'?\s*=\s*'?\d|\bor\s+1\s*=\s*1\b|sleep\(\s*\d+\s*\)|benchmark\(|information_schema|xp_cmdshell|waitfor\s+delay|load_file\(|into\s+(?:out|dump)file/,
    ),
    weight: 3,
    title: 'SQL injection attempt',
    mitre: ['T1190'],
  },
  {
    id: 'web.xss',
    re: linear(
      /<script[\s>/]|javascript:|\bon(?:error|load|mouseover|focus)\s*=|<svg[^>]*onload|<img[^>]+src\s*=\s*x|document\.cookie/,
    ),
    weight: 2,
    title: 'Cross-site scripting attempt',
    mitre: ['T1059.007'],
  },
  {
    id: 'web.traversal',
    re: linear(
      /(?:\.\.\/|\.\.\\){2,}|(?:%2e%2e(?:%2f|\/|%5c)){2,}|\/etc\/passwd|\/proc\/self\/environ|win\.ini|boot\.ini/,
    ),
    weight: 3,
    title: 'Path traversal / local file inclusion',
    mitre: ['T1190', 'T1083'],
  },
  {
    id: 'web.rce',
    re: linear(
      /\$\{jndi:|\$\{\$\{|;\s*(?:wget|curl|id|uname|cat|nc)\b|\|\s*(?:id|whoami|uname)\b|`(?:id|whoami)`|\$\((?:id|whoami|curl|wget)|\/bin\/(?:ba)?sh\b|cmd\.exe|powershell(?:\.exe)?[\s+]/,
    ),
    weight: 4,
    title: 'Remote command injection attempt',
    mitre: ['T1190'],
  },
  {
    id: 'web.webshell',
    re: linear(
      /\/(?:c99|r57|b374k|wso|shell|cmd|webshell|backdoor|up|upload)\.(?:php\d?|aspx?|jsp)\b|[?&](?:cmd|exec|command|execute)=|eval\(base64_decode|assert\(\$_(?:post|get|request)/,
    ),
    weight: 3.5,
    title: 'Webshell access',
    mitre: ['T1505.003'],
  },
  {
    id: 'web.sensitive_file',
    re: linear(
      /\/\.(?:env|git|svn|htpasswd|htaccess|aws|ssh|docker)\b|wp-config\.php|\/backup|\.(?:bak|old|sql|swp)\b|phpinfo\.php|\/server-status|\/actuator\b|web\.config/,
    ),
    weight: 1,
    title: 'Probe for sensitive files',
    mitre: ['T1595.003'],
  },
];

/** Recon and attack tools that announce themselves (default user agents, rule names). */
const TOOLS: Array<{
  re: LinearPattern;
  name: string;
  weight: number;
  mitre: string[];
  commercial?: boolean;
}> = [
  { re: linear(/nmap scripting engine|\bnmap\b/), name: 'Nmap', weight: 2.5, mitre: ['T1595.001', 'T1046'] },
  {
    re: linear(/\bmasscan\b|\bzgrab\b|\bzmap\b/),
    name: 'mass port scanner',
    weight: 2.5,
    mitre: ['T1595.001'],
  },
  { re: linear(/\bwpscan\b/), name: 'WPScan', weight: 2.5, mitre: ['T1595.002'] },
  {
    re: linear(/\bdirb\b|dirbuster|gobuster|\bffuf\b|feroxbuster|\bwfuzz\b/),
    name: 'directory brute-forcer',
    weight: 2.5,
    mitre: ['T1595.003'],
  },
  {
    re: linear(/\bnikto\b|\bw3af\b|whatweb|skipfish|arachni|\bnuclei\b|jaeles/),
    name: 'web vulnerability scanner',
    weight: 2.5,
    mitre: ['T1595.002'],
  },
  { re: linear(/\bsqlmap\b|\bcommix\b/), name: 'injection exploitation tool', weight: 3, mitre: ['T1190'] },
  { re: linear(/\bhydra\b|\bmedusa\b/), name: 'login brute-forcer', weight: 2.5, mitre: ['T1110'] },
  {
    re: linear(
      /acunetix|netsparker|invicti|nessus|qualys|openvas|burp ?suite|\bzaproxy\b|owasp zap|rapid7|insightvm/,
    ),
    name: 'commercial vulnerability scanner',
    weight: 1.5,
    mitre: ['T1595.002'],
    commercial: true,
  },
];

const URL_SET = new PatternSet(URL_PATTERNS.map((p) => p.re));
const TOOL_SET = new PatternSet(TOOLS.map((t) => t.re));

const OBSOLETE_UA = linear(/msie [2-6]\.0|windows nt 5\.[01]\b|windows 9[58]\b/);
const SCRIPTED_UA = linear(
  /^(?:curl|wget|python-requests|python-urllib|go-http-client|libwww-perl|java\/|okhttp|httpclient)/,
);
/** Signatures that match request content (and so also match pages sent back). */
const WEB_SIG = linear(/web application attack|xss|cross.site|sql injection|sqli/i);
const WEB_PORTS = new Set([80, 443, 8000, 8008, 8080, 8443, 8888]);

/**
 * Percent-decoding that survives malformed input: each run of `%XX` escapes is decoded on its own
 * (as UTF-8, else byte by byte), so one stray `%` appended to a URL cannot keep the rest encoded
 * and hide an attack from the patterns.
 */
function percentDecode(s: string): string {
  return s.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
    }
  });
}

function decode(u: string): string {
  let s = u;
  for (let i = 0; i < 2; i++) {
    const next = percentDecode(s.replace(/\+/g, ' '));
    if (next === s) break;
    s = next;
  }
  return s.toLowerCase();
}

export const webRules: Rule = ({ alert, features }) => {
  const out: Evidence[] = [];
  const urls = features.urls.map(decode);
  const urlHits = urls.map((u) => new Set(URL_SET.matching(u)));
  for (const [i, p] of URL_PATTERNS.entries()) {
    const hit = urls.find((_, j) => urlHits[j]!.has(i));
    if (!hit) continue;
    out.push({
      id: p.id,
      weight: p.weight,
      group: p.id,
      ...(p.id === 'web.sensitive_file' ? { recon: true } : {}),
      title: p.title,
      mitre: p.mitre,
      reason: `${p.title}: the requested URL contains \`${quote(hit)}\`.`,
      ...(p.weight >= 3 ? { severityFloor: 'Medium' as const } : {}),
    });
  }

  const uas = features.userAgents.map((u) => u.toLowerCase());
  const haystack = [...uas, features.anyText];
  const toolHits = haystack.map((h) => new Set(TOOL_SET.matching(h)));
  for (const [i, t] of TOOLS.entries()) {
    const where = haystack.find((_, j) => toolHits[j]!.has(i));
    if (!where) continue;
    const inUa = uas.includes(where);
    out.push({
      id: t.commercial ? 'web.commercial_scanner' : 'web.scanner',
      weight: t.weight,
      recon: true,
      group: 'web.tool',
      title: `${t.name} activity${features.srcIp ? ` from ${features.srcIp}` : ''}`,
      mitre: t.mitre,
      reason: t.commercial
        ? `A ${t.name} is identified${inUa ? ` by the user agent "${quote(where, 60)}"` : ' in the alert'}; confirm it is an authorised scan (add it to KNOWN_BENIGN if so).`
        : `${t.name} identified${inUa ? ` by the user agent "${quote(where, 60)}"` : ' in the alert text'}${features.srcIp ? ` from ${features.srcIp}` : ''}: active reconnaissance.`,
    });
  }
  const old = uas.find((u) => OBSOLETE_UA.test(u));
  if (old) {
    out.push({
      id: 'web.obsolete_ua',
      weight: 1,
      recon: true,
      group: 'web.ua',
      reason: `The user agent "${quote(old, 60)}" claims a browser retired two decades ago, the default of scanners such as dirb.`,
      mitre: ['T1595'],
    });
  } else {
    const scripted = uas.find((u) => SCRIPTED_UA.test(u));
    if (scripted) {
      out.push({
        id: 'web.scripted_ua',
        weight: 0.5,
        recon: true,
        group: 'web.ua',
        reason: `The request came from a scripted client ("${quote(scripted, 50)}"), not a browser.`,
      });
    }
  }

  // Content signatures (XSS/SQLi) that fire on traffic *from* the web server to a client port are
  // matching the site's own HTML/JavaScript: the best-known source of web-IDS false positives.
  const sigBasis =
    features.category && WEB_SIG.test(features.category)
      ? basisFor(alert.signals, 'detection.category', features.category)
      : features.signature && WEB_SIG.test(features.signature)
        ? signatureBasis(alert, features.signature)
        : WEB_SIG.test(features.name)
          ? WEB_SIG.test(metadataTemplate(alert.signals) ?? '')
            ? 'detection.rule_name_template'
            : 'text'
          : undefined;
  const webSig = sigBasis !== undefined;
  const toClient = features.direction === 'to_client';
  const fromServer =
    toClient ||
    (features.srcPort !== undefined && WEB_PORTS.has(features.srcPort) && (features.dstPort ?? 0) >= 1024);
  const sideBasis = toClient
    ? [basisFor(alert.signals, 'network.direction', features.direction)]
    : [
        basisFor(alert.signals, 'network.src_port', features.srcPort),
        basisFor(alert.signals, 'network.dst_port', features.dstPort),
      ];
  const attackInUrl = out.some((e) => URL_PATTERNS.some((p) => p.id === e.id && e.weight >= 2));
  if (webSig && fromServer && !attackInUrl) {
    out.push({
      id: 'web.response_side_match',
      weight: -3,
      reason: `The web-attack signature matched traffic from the server${features.srcIp ? ` ${features.srcIp}` : ''}${features.srcPort ? ` port ${features.srcPort}` : ''} to a client port${features.dstPort ? ` ${features.dstPort}` : ''} — the site's own response content, not an attacker's request.`,
      // The signature's class, severity and name claimed an attack in a request; shown to have
      // matched the response, they no longer say anything.
      explainsAway: ['ids.signature', 'source.severity', 'detection.claim'],
      // Reflected XSS/SQLi would show in the request (and raise the score above); stored XSS is the
      // residual risk the confidence ceiling leaves room for. A clean-looking request is not
      // evidence of its own: the attacker wrote it.
      maxConfidence: 85,
      basis: [sigBasis, ...sideBasis],
    });
  }
  return out;
};
