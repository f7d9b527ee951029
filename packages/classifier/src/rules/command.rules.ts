import { type LinearPattern, linear, PatternSet } from '../linear.ts';
import { COMMAND_PATTERNS, commandEvidence } from './command-patterns.ts';
import { type Evidence, quote, type Rule } from './evidence.ts';
import { decodePowerShell, hasEncodedSwitch } from './powershell.ts';

const COMMAND_SET = new PatternSet(COMMAND_PATTERNS.map((p) => p.re));
const FROM_BASE64 = linear(/frombase64string/i);

/** Windows system process names malware borrows; legitimate copies live in \\Windows\\System32. */
const SYSTEM_BINARY = linear(
  /[a-z]:\\(?:[^\\\s"]+\\)+(?:svchost|csrss|lsass|smss|services|winlogon|wininit|spoolsv|taskhostw?)\.exe\b/,
);

const WEB_ROOT = linear(
  /(?:\/var\/www\b|\/srv\/www\b|\/usr\/share\/nginx\b|\bhtdocs\b|\bwwwroot\b|\/wp-content\/uploads\b|\/uploads?\/)/,
);
const WEB_ACCOUNT = linear(
  /(?:^|[\s:=<(])((?:www-data|www|apache2?|nginx|httpd|tomcat\d*|iusr|iis apppool\\[^\s]+|nobody))(?:$|[\s:>)])/i,
);
/**
 * The same accounts where a log line names the ACTOR: su's `www-data:bob` transition, sudo's
 * `www-data : TTY=...`, PAM's `by www-data(uid=33)`. A bare word is not enough: "systemctl
 * restart nginx" names a service, not who ran it.
 */
const WEB_ACCOUNT_ACTOR = linear(
  /(?:^|[\s(])((?:www-data|apache2?|nginx|httpd|tomcat\d*|nobody))(?::\S|\s+:\s|\(uid=)/i,
);

/** Evidence from command lines: the pattern table, encoded PowerShell, masquerading, webshell pivots. */
export const commandRules: Rule = ({ features }) => {
  const out: Evidence[] = [];
  const lines = features.commandLines.map((c) => c.toLowerCase());
  const decoded: string[] = [];
  // Messages and log lines quote encoded commands too: decoded and judged like a command line.
  const scripted = [...features.commandLines, ...features.freeText].filter(
    (c) => hasEncodedSwitch(c) || FROM_BASE64.test(c),
  );
  for (const c of scripted) {
    for (const d of decodePowerShell(c)) decoded.push(d.toLowerCase());
  }
  const processName = features.processName ?? '';
  const text = `${features.anyText}\n${processName}`;

  // The alert text (name, description, log line) is searched too: vendors often quote the command
  // there rather than in a structured field.
  // One RE2 pass per text finds the rows that can match at all (PatternSet).
  const hits = new Map<string, Set<number>>();
  for (const l of [...lines, ...decoded, text]) {
    if (!hits.has(l)) hits.set(l, new Set(COMMAND_SET.matching(l)));
  }
  for (const [i, p] of COMMAND_PATTERNS.entries()) {
    const inCmd = [...lines, ...decoded].find((l) => hits.get(l)?.has(i));
    const inText = inCmd || !hits.get(text)?.has(i) ? null : p.re.exec(text);
    if (!inCmd && !inText) continue;
    const fromDecoded = inCmd !== undefined && decoded.includes(inCmd);
    const shown = inCmd ?? inText?.[0] ?? '';
    out.push(
      commandEvidence(
        p,
        fromDecoded ? 'decoded -EncodedCommand payload' : inCmd ? 'command line' : 'alert text',
        excerpt(shown, p.re),
      ),
    );
  }

  const masq = [processName, ...lines]
    .map((l) => SYSTEM_BINARY.exec(l))
    .find((m) => m && !linear(/\\windows\\(?:system32|syswow64|winsxs)\\/).test(m[0]));
  if (masq) {
    out.push({
      id: 'cmd.masquerade',
      weight: 3,
      title: 'System binary name outside its system folder',
      reason: `\`${quote(masq.input, 70)}\` runs a Windows system process name from an unusual folder: classic masquerading.`,
      mitre: ['T1036.005'],
    });
  }

  const encoded = [...features.commandLines, ...features.freeText].find(hasEncodedSwitch);
  if (encoded) {
    out.push({
      id: 'ps.encoded_command',
      weight: 2.5,
      group: 'ps-flags',
      title: 'Encoded PowerShell command',
      reason: `PowerShell runs an -EncodedCommand${decoded[0] ? ` that decodes to \`${quote(decoded[0], 70)}\`` : ''}: a common way to hide commands from logging.`,
      mitre: ['T1059.001', 'T1027'],
    });
  }

  // A shell command run from a web root, or by the web server's account, is how a webshell pivots.
  const sudoLike =
    features.ruleGroups.some((g) => g === 'sudo' || g === 'su') ||
    linear(/\bsudo\b|\bsu\b|changed uid/i).test(features.name);
  if (features.pwd && WEB_ROOT.test(features.pwd) && (sudoLike || lines.length > 0)) {
    out.push({
      id: 'cmd.web_root_shell',
      weight: 3,
      group: 'webshell',
      title: 'Shell command launched from a web directory',
      reason: `A command${features.users[0] ? ` by ${features.users[0]}` : ''} ran with working directory ${quote(features.pwd)}, a web-served path: typical of a webshell.`,
      mitre: ['T1505.003'],
      severityFloor: 'High',
    });
  }
  const webUser =
    features.users.find((u) => WEB_ACCOUNT.test(u)) ??
    (WEB_ACCOUNT_ACTOR.test(features.anyText) ? features.anyText : undefined);
  if (sudoLike && webUser) {
    out.push({
      id: 'cmd.web_account_switch',
      weight: 4,
      group: 'webshell',
      title: 'Web server account escalating privileges',
      reason: `The web server account (${quote((WEB_ACCOUNT.exec(webUser) ?? WEB_ACCOUNT_ACTOR.exec(webUser))?.[1] ?? webUser, 40)}) used su/sudo; service accounts of web servers never log in interactively.`,
      mitre: ['T1505.003', 'T1548'],
      severityFloor: 'High',
    });
  }
  return out;
};

function excerpt(line: string, re: LinearPattern): string {
  const m = re.exec(line);
  if (!m || line.length <= 80) return line;
  const start = Math.max(0, m.index - 20);
  return line.slice(start, start + 80);
}
