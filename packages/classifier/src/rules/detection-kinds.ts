import { type LinearPattern, linear, PatternSet } from '../linear.ts';
/**
 * What kind of detection an alert is, read from its NAME (rule title, search name, signature) and
 * rule groups, whatever the format: a Wazuh description, a Splunk ES notable name, a Sentinel or
 * Elastic rule name, a Windows event title, an Okta/Entra event name. Many alerts arrive with
 * little else (a name and an IP), and the kind is then the best evidence there is.
 *
 * Each family lists variants, most specific first; the first variant that matches is the kind of
 * that family. Benign kinds are recognised from the name and groups only (product-controlled
 * text, never a log line or URL an attacker can write), and any CONCERN word cancels them:
 * "Successful login after 20 failures" is not a routine login.
 */

export interface DetectionKind {
  /** Evidence id: `kind.<family>.<variant>`. */
  id: string;
  /** How the reason names it ("routine successful authentication"). */
  label: string;
  /** Matched case-insensitively against the alert name (and the description when `describe`). */
  re: LinearPattern;
  /** SIEM rule groups (Wazuh `rule.groups`) that identify the kind on their own. */
  groups?: string[];
  /** Evidence group (default `kind.<family>`): kinds restating the rule's own claim share one. */
  group?: string;
  /**
   * The description may be matched too. Only for web and network recon kinds, whose descriptions
   * are often the observation itself (a WAF message); elsewhere descriptions explain the rule in
   * general ("...could be legitimate, or a backdoor account"), which is not evidence.
   */
  describe?: boolean;
  weight: number;
  /** The security reasoning, quoted in the verdict. */
  why: string;
  recon?: boolean;
  /** See Evidence.keepOpen. */
  keepOpen?: string;
  mitre?: string[];
}

export interface KindFamily {
  family: string;
  /** Benign families are cancelled by CONCERN words and read only product-controlled text. */
  benign: boolean;
  variants: DetectionKind[];
}

/**
 * Words that mean the detection found something more than routine activity. Any of them in the
 * name or description cancels every benign kind.
 */
export const CONCERN = linear(
  /brute|spray|unauthori[sz]ed|shell|inject|backdoor|trojan|ransom|\bc2\b|beacon|exfil|escalat|phish|credential|dump|scan|meterpreter|metasploit|cobalt ?strike|reverse|\b(?:d?dos)\b|amplif|flood|stuffing|fail|error|unable|could not|denied|invalid|unusual|anomal|atypical|unfamiliar|suspicious|impossible|\brare\b|first[- ]time|\bnew (?:device|country|location|source|ip|user|admin)|never (?:seen|before)|malicious|\btor\b|anonymi[sz]|risky|\brisk\b|compromis|outside (?:of )?(?:business|working) hours|off[- ]hours|legacy auth|mfa (?:fatigue|bomb|push)|blocked|blacklist|denylist|threat|attack|exploit|lateral|pass[- ]the[- ]|golden ticket|kerberoast|explicit credentials|mimikatz|tamper|cleared|disabled|uninstall|crash|outdated|out of date|expired/i,
);

const RECON_OPEN = 'reconnaissance is attacker activity; only an authorised scanner (KNOWN_BENIGN) closes it';
const ANOMALY_OPEN =
  'an unsupervised anomaly detector flagged it; its output has no verdict of its own and is never closed blindly';
const PRIV_OPEN = 'a privilege change is closed by an analyst who knows who should hold that access';
const IDS_OPEN = 'the IDS signature behind it is unknown, so nothing says it is harmless';

export const KIND_FAMILIES: readonly KindFamily[] = [
  {
    family: 'auth',
    benign: true,
    variants: [
      {
        id: 'kind.auth.session_end',
        label: 'routine end of a session (logoff / session closed)',
        re: linear(
          /\bsession (?:closed|ended|terminated)\b|\blogged (?:out|off)\b|\blog ?(?:off|out)\b|\ban account was logged off\b|\buser initiated logoff\b/i,
        ),
        weight: -3,
        why: 'the end of a session records nothing an attacker needs; what matters is how it began',
      },
      {
        id: 'kind.auth.session_open',
        label: 'routine session start (PAM / login session opened)',
        re: linear(/\b(?:login |logon |user )?session (?:opened|started)\b|\bnew session \S+ of user\b/i),
        weight: -2,
        why: 'every interactive login, cron job, sudo and su opens a PAM session',
      },
      {
        id: 'kind.auth.routine_success',
        label: 'routine successful authentication',
        re: linear(
          /\bauthentication success|\bsuccessful(?:ly)? (?:log(?:ged)? ?(?:in|on)|authenticat\w*|sign(?:ed)?[- ]?in)|\b(?:log ?in|log ?on|sign[- ]?in|authentication) (?:was )?succe(?:eded|ssful)\b|\baccepted (?:password|publickey|keyboard-interactive)|\ban account was successfully logged on\b|\buser (?:logged|signed) in\b|\buser login to okta\b|\buser single sign on to app\b|\bimap-login: login\b/i,
        ),
        groups: ['authentication_success'],
        weight: -2.5,
        why: 'successful logins are the bulk of authentication logs; alone they are users doing their work',
      },
    ],
  },
  {
    family: 'housekeeping',
    benign: true,
    variants: [
      {
        id: 'kind.housekeeping.av_update',
        label: 'antivirus signature / database update',
        re: linear(
          /\b(?:clamav|freshclam)\b.*\b(?:update|updated)\b|\b(?:antivirus|anti-?malware|virus|av|signature|definitions?|security intelligence|dat)\b.{0,20}\b(?:database )?(?:update[ds]?|updated)\b|\bdatabase update\b|\bupdate process (?:started|finished|completed|ended)\b/i,
        ),
        groups: ['freshclam'],
        weight: -3,
        why: 'a security tool refreshing its own signatures is the protection working',
      },
      {
        id: 'kind.housekeeping.agent_started',
        label: 'monitoring agent started / connected',
        re: linear(
          /\b(?:agent|ossec|wazuh|sensor|collector|\w*beat|sysmon|osquery|edr)\b.{0,30}\b(?:started|restarted|connected|reconnected|registered)\b/i,
        ),
        weight: -2.5,
        why: 'an agent coming up is the monitoring working (deploys, reboots)',
      },
      {
        id: 'kind.housekeeping.agent_stopped',
        label: 'monitoring agent stopped / disconnected',
        re: linear(
          /\b(?:agent|ossec|wazuh|sensor|collector|\w*beat|sysmon|osquery|edr)\b.{0,30}\b(?:stopped|disconnected|shut ?down)\b/i,
        ),
        weight: -1.5,
        why: 'usually a reboot or upgrade, but stopping the sensor is also how attackers go dark (T1562), so not closed on this alone',
      },
      {
        id: 'kind.housekeeping.time_sync',
        label: 'time synchronisation',
        re: linear(
          /\bntpd?\b|\bchronyd?\b|\btime ?sync|\btime synchroni[sz]|\bclock (?:was )?(?:synchroni[sz]ed|adjusted|stepped)\b/i,
        ),
        weight: -2.5,
        why: 'NTP/chrony adjusting the clock is routine operation',
      },
      {
        id: 'kind.housekeeping.log_rotation',
        label: 'log rotation',
        re: linear(/\blog ?rotat|\blogrotate\b|\blog file (?:was )?rotated\b/i),
        weight: -2.5,
        why: 'rotating logs is scheduled maintenance (clearing them is another matter and is not matched)',
      },
      {
        id: 'kind.housekeeping.mac_check',
        label: 'SELinux/AppArmor permission check',
        re: linear(
          /\bselinux permission check\b|\bapparmor\b.{0,20}\b(?:status|profile (?:loaded|replaced?))\b/i,
        ),
        groups: ['audit_selinux'],
        weight: -2.5,
        why: 'mandatory-access-control audit records are overwhelmingly policy loads and routine checks',
      },
      {
        id: 'kind.housekeeping.operations',
        label: 'routine operation (health check, heartbeat, service start, backup)',
        re: linear(
          /\bhealth ?check\b|\bheartbeat\b|\bservice (?:started|stopped|restarted)\b|\bbackup (?:completed|succeeded|finished)\b/i,
        ),
        weight: -1,
        why: 'operational messages; a service stop can also be tampering, so this alone does not close',
      },
      {
        id: 'kind.housekeeping.package_change',
        label: 'software package change',
        re: linear(
          /\bpackage (?:installed|updated|upgraded|removed)\b|\bdpkg\b|\bapt(?:-get)? (?:update|upgrade|install)\b|\byum (?:update|install)\b|\bnew (?:dpkg|rpm) package\b/i,
        ),
        weight: -1,
        why: 'patching is routine, but installing a tool is also an attacker step, so this alone does not close',
      },
    ],
  },
  {
    family: 'update_traffic',
    benign: true,
    variants: [
      {
        id: 'kind.update_traffic.package_manager',
        label: 'package-manager / update traffic',
        re: linear(
          /\bpackage manage|\bapt\b.{0,30}user-?agent|user-?agent.{0,30}\bapt\b|\bapt-get\b|\byum\b|\bdnf\b|\bwindows update\b|\bmicrosoft update\b|\bwsus\b|\bsoftware update\b/i,
        ),
        weight: -1.5,
        why: 'operating-system updaters identify themselves; this is the host patching itself',
      },
    ],
  },
  {
    family: 'anomaly',
    benign: false,
    variants: [
      {
        id: 'kind.anomaly.detector',
        label: 'anomaly-detector output',
        re: linear(
          /^aminer\b|^unusual\b|\brare (?:process|user|logon|login|connection|destination|domain|parent)\b|\bnew (?:request method|characters|status code|event type|ip address|value|path|user.?agent|parameter|[\w-]+ parameter combination)\b|\bhigh entropy\b|\bunusual (?:occurrence|frequenc|value|volume|amount|number)|\b(?:value )?(?:out of|outside) (?:the )?expected range\b|\bdeviates? from (?:the )?(?:average|baseline|normal)\b|\banomal(?:y|ous|ies)\b|\boutlier\b|\bueba\b|\bspike in\b|\bunusually high\b/i,
        ),
        weight: 1,
        why: 'unsupervised detectors flag what is new, not what is bad; someone has to look',
        keepOpen: ANOMALY_OPEN,
      },
    ],
  },
  {
    family: 'auth_attack',
    benign: false,
    variants: [
      {
        id: 'kind.auth_attack.repeated_failures',
        label: 'repeated authentication failures / password guessing',
        re: linear(
          /\bbrute[- ]?force\b|\bpassword (?:spray|guess)\w*|\bcredential stuffing\b|\bexcessive (?:failed )?(?:log ?ins?|log ?ons?|authentication|sign-?ins?)|\bmultiple (?:failed|authentication failures)|\btoo many (?:failed|authentication)|\b(?:account|user) (?:was )?locked out\b/i,
        ),
        group: 'auth.pattern',
        weight: 2,
        why: 'many failures against one account or from one source is password guessing, or a client with a stale password',
        keepOpen: 'password guessing is closed by someone who found the stale client, not by default',
        mitre: ['T1110'],
      },
    ],
  },
  {
    family: 'malware',
    benign: false,
    variants: [
      {
        id: 'kind.malware.detected',
        label: 'malware detection',
        re: linear(
          /\bvirus (?:found|detected)\b|\binfected (?:file|host|system)\b|\bmalware (?:detected|found|blocked|quarantined)\b|\bthreat (?:detected|found|quarantined|blocked)\b|\b(?:file|malware|threat|virus) (?:was )?quarantined\b|\bransomware\b|\btrojan\b|\bbackdoor\b/i,
        ),
        group: 'detection.claim',
        weight: 3,
        why: 'an anti-malware engine identified malicious code; even when blocked, how it arrived is the question',
        keepOpen: 'a malware detection is closed by someone who checked how it got there',
        mitre: ['T1204'],
      },
      {
        id: 'kind.malware.unwanted',
        label: 'potentially unwanted software',
        re: linear(/\bpotentially unwanted\b|\bpu[ap]\b|\badware\b|\bhacktool\b/i),
        group: 'detection.claim',
        weight: 1.5,
        why: 'adware and grey tools are policy problems more than intrusions, but hack tools are also staged by intruders',
        keepOpen: 'unwanted software is closed by someone who knows whether it is sanctioned',
      },
    ],
  },
  {
    family: 'ids_generic',
    benign: false,
    variants: [
      {
        id: 'kind.ids_generic.correlation',
        label: 'IDS correlation (repeated or first-seen IDS alerts)',
        re: linear(/\bmultiple ids (?:alerts|events)\b|\bfirst time this ids alert\b/i),
        weight: 1,
        why: 'the SIEM correlated IDS alerts whose signature it does not show',
        keepOpen: IDS_OPEN,
      },
      {
        id: 'kind.ids_generic.event',
        label: 'IDS event without its signature',
        re: linear(
          /\bids (?:event|alert)s?\b|\bintrusion detection (?:event|alert)\b|\b(?:snort|suricata) alert\b/i,
        ),
        weight: 0.5,
        why: 'an IDS fired but the alert does not say which signature',
        keepOpen: IDS_OPEN,
      },
    ],
  },
  {
    family: 'web',
    benign: false,
    variants: [
      {
        id: 'kind.web.error_burst',
        label: 'burst of web errors from one source (scanning)',
        re: linear(
          /\bmultiple (?:web server |http |web )(?:[45]\d\d )?(?:error codes|errors)\b|\bmultiple [45]\d\d (?:error codes|errors|responses)\b|\b(?:excessive|high (?:number|rate|volume) of|abnormally high number of|burst of|many) (?:(?:http|web) (?:4\d\d|errors?|error (?:codes|responses))|4\d\d\b|not found)|\bweb (?:vulnerability )?scan(?:ner|ning)? detect|\bdirectory (?:brute[- ]?forc|enumeration)|\bforced browsing\b|\bweb (?:crawl|spider)ing\b/i,
        ),
        describe: true,
        weight: 3,
        why: 'many 4xx answers to one client is what content discovery tools (dirb, WPScan, Nikto) produce',
        recon: true,
        keepOpen: RECON_OPEN,
        mitre: ['T1595.003'],
      },
      {
        id: 'kind.web.attack',
        label: 'web attack pattern in a request',
        re: linear(
          /\bsuspicious (?:url|uri|web request|http request|request)\b|\bmalicious (?:url|request)\b|\bcommon web attack\b|\bweb ?shell\b|\b(?:sql|sqli) injection\b|\bcross[- ]site scripting\b|\bxss\b|\b(?:path|directory) traversal\b|\b(?:local|remote) file inclusion\b|\bcommand injection\b|\bshellshock\b|\blog4(?:j|shell)\b/i,
        ),
        describe: true,
        group: 'detection.claim',
        weight: 2.5,
        why: 'the web server or WAF matched an attack pattern in a request',
        keepOpen: 'an attack attempt against a web application is closed by an analyst, not by default',
        mitre: ['T1190'],
      },
      {
        id: 'kind.web.forbidden',
        label: 'access to a forbidden file or directory',
        re: linear(
          /\baccess(?:ing)? (?:a |to )?(?:forbidden|restricted) (?:file|directory|resource|path)|\bforbidden (?:file|directory)\b|\bdirectory index\b.{0,20}\b(?:forbidden|denied|attempt)|\battempt to access forbidden\b/i,
        ),
        describe: true,
        weight: 1.5,
        why: 'requests for files the server refuses (.htaccess, backups, indexes) are typical of probing',
        recon: true,
        keepOpen: RECON_OPEN,
        mitre: ['T1595.003'],
      },
      {
        id: 'kind.web.client_error',
        label: 'web client error (4xx)',
        re: linear(
          /\bweb server 4\d\d error|\bhttp (?:4\d\d|client error)\b|\b4\d\d (?:error )?(?:response|status)(?: code)?s?\b/i,
        ),
        describe: true,
        weight: 1.5,
        why: 'a single 4xx is weak on its own (broken links exist), but error alerts are how scans show up in web logs',
        recon: true,
        keepOpen: RECON_OPEN,
        mitre: ['T1595'],
      },
      {
        id: 'kind.web.server_error',
        label: 'web server error (5xx)',
        re: linear(/\bweb server 5\d\d error|\bhttp (?:5\d\d|server error)\b|\binternal server error\b/i),
        describe: true,
        weight: 1,
        why: 'a 5xx is a bug or a request that broke the application (injection attempts often do)',
        keepOpen: 'a request that breaks the application is not closed without looking at it',
      },
    ],
  },
  {
    family: 'network_recon',
    benign: false,
    variants: [
      {
        id: 'kind.network_recon.scan',
        label: 'network or host reconnaissance / scan',
        re: linear(
          /\bport ?scan|\bnetwork scan|\bhost (?:scan|sweep|discovery)\b|\bping sweep\b|\bservice (?:scan|enumeration)\b|\bvulnerability scan(?:ner)?\b|\bscan(?:ning)? detected\b|\breconnaissance\b|\brecon:|\bportprobe|\bport (?:probe|sweep)\b/i,
        ),
        describe: true,
        weight: 2.5,
        why: 'scanning maps the attack surface and precedes exploitation',
        recon: true,
        keepOpen: RECON_OPEN,
        mitre: ['T1046'],
      },
      {
        id: 'kind.network_recon.probe',
        label: 'connection probe without protocol exchange',
        re: linear(
          /\bdid not receive identification string\b|\binsecure connection attempt\b|\bbad protocol version identification\b|\bprotocol mismatch\b/i,
        ),
        describe: true,
        weight: 1,
        why: 'a connection that never speaks the protocol is a port scan or a banner grab (or a load-balancer health check)',
        recon: true,
        keepOpen: RECON_OPEN,
        mitre: ['T1046'],
      },
    ],
  },
  {
    family: 'privilege',
    benign: false,
    variants: [
      {
        id: 'kind.privilege.group_add',
        label: 'account added to a privileged group or role',
        re: linear(
          /\bmember was added to a security-enabled\b|\badded to (?:the )?(?:local |domain |enterprise )?(?:admin(?:istrator)?s?|sudoers|wheel|domain admins|enterprise admins|privileged (?:group|role))\b|\b(?:user|account|member) added to (?:a )?(?:privileged |admin )?(?:group|role)\b|\badd member to role\b|\brole assignment (?:created|added)\b|\badministrator role assigned\b/i,
        ),
        weight: 2,
        why: 'new privileged membership is a classic persistence and escalation step (T1098)',
        keepOpen: PRIV_OPEN,
        mitre: ['T1098'],
      },
      {
        id: 'kind.privilege.escalation',
        label: 'privilege escalation detection',
        re: linear(
          /\bprivilege(?:s)? escalation\b|\belevation of privilege\b|\bprivilege(?:d)? elevation\b|\buac bypass\b|\btoken (?:manipulation|impersonation)\b/i,
        ),
        group: 'detection.claim',
        weight: 2,
        why: 'the detection reports an escalation technique',
        keepOpen: PRIV_OPEN,
        mitre: ['T1068'],
      },
      {
        id: 'kind.privilege.first_sudo',
        label: 'first use of sudo by a user',
        re: linear(/\bfirst time user executed sudo\b|\bfirst (?:time )?(?:use of )?sudo\b/i),
        weight: 2,
        why: 'an account that never used sudo before now does: a new admin, or a stolen account',
        keepOpen: PRIV_OPEN,
        mitre: ['T1548.003'],
      },
      {
        id: 'kind.privilege.sudo_root',
        label: 'command run as root through sudo',
        re: linear(/\bsudo\b.{0,20}\broot\b|\bsuccessful sudo\b|\bexecuted sudo\b/i),
        groups: ['sudo'],
        weight: 1.5,
        why: 'admins do this daily, attackers do it after a foothold; the command decides',
        keepOpen: PRIV_OPEN,
        mitre: ['T1548.003'],
      },
      {
        id: 'kind.privilege.user_switch',
        label: 'user switch (su / UID change)',
        re: linear(/\bchanged uid\b|\bswitch(?:ed)? user\b|\bsu to\b|\bsu session\b/i),
        groups: ['su'],
        weight: 1.5,
        why: 'switching identity is how a foothold account reaches another one',
        keepOpen: PRIV_OPEN,
        mitre: ['T1548'],
      },
    ],
  },
  {
    family: 'account',
    benign: false,
    variants: [
      {
        id: 'kind.account.created',
        label: 'account created',
        re: linear(
          /\ba user account was created\b|\b(?:new )?(?:user|local) account (?:was )?(?:created|added)\b|\bnew user added\b|\buseradd\b|\bcreate user\b/i,
        ),
        weight: 1.5,
        why: 'a new account is routine for IT but is also a persistence step (T1136)',
        keepOpen: 'account creation is closed by someone who can match it to a request',
        mitre: ['T1136'],
      },
    ],
  },
  {
    family: 'persistence',
    benign: false,
    variants: [
      {
        id: 'kind.persistence.autostart',
        label: 'new service, scheduled task or autostart entry',
        re: linear(
          /\ba service was installed\b|\bnew service (?:was )?(?:installed|created)\b|\bscheduled task (?:was )?created\b|\bnew (?:scheduled task|cron ?job)\b|\bcrontab (?:modified|changed)\b|\b(?:run|runonce) key\b|\bautorun\b|\bstartup (?:item|folder)\b/i,
        ),
        weight: 1.5,
        why: 'autostart locations are where installers and implants both go (T1543, T1053, T1547)',
        keepOpen: 'a new autostart entry is closed by someone who can tie it to an installer',
        mitre: ['T1543', 'T1053'],
      },
    ],
  },
  {
    family: 'defense_evasion',
    benign: false,
    variants: [
      {
        id: 'kind.defense_evasion.tamper',
        label: 'security logging or protection disabled / cleared',
        re: linear(
          /\b(?:audit|security|system|event) log (?:file )?was cleared\b|\blogs? (?:were |was )?(?:cleared|wiped|deleted)\b|\bevent log clear|\bwevtutil cl\b|\b(?:bash )?history (?:cleared|deleted)\b|\breal-?time protection (?:was )?disabled\b|\b(?:antivirus|anti-?malware|defender|edr|firewall|auditd?)\b.{0,20}\b(?:disabled|turned off|tampered)\b|\btamper(?:ing)? (?:protection|attempt)\b|\baudit policy (?:was )?changed\b/i,
        ),
        weight: 3,
        why: 'clearing logs or disabling protection removes the evidence and the defence (T1070, T1562)',
        keepOpen: 'losing logs or protection is never routine enough to close blindly',
        mitre: ['T1070.001', 'T1562.001'],
      },
    ],
  },
  {
    family: 'integrity',
    benign: false,
    variants: [
      {
        id: 'kind.integrity.change',
        label: 'file-integrity change',
        re: linear(
          /\bintegrity checksum changed\b|\bfile integrity\b|\bchecksum changed\b|\bfile (?:was )?(?:modified|added to the system|deleted)\b/i,
        ),
        weight: 0.5,
        why: 'usually a package update, but replaced binaries and dropped webshells look the same until the path is read',
        keepOpen: 'a changed file is closed by someone who can tie it to an update',
      },
    ],
  },
];

/** The threat kinds also matched on the description, as one union (see detectionKinds). */
const DESCRIBE_SET = new PatternSet(
  KIND_FAMILIES.filter((f) => !f.benign).flatMap((f) =>
    f.variants.filter((k) => k.describe).map((k) => k.re),
  ),
);

export interface KindMatch {
  family: KindFamily;
  kind: DetectionKind;
  /** What matched: the name excerpt or `group:<name>`. */
  matched: string;
  /** The signal the match was read from (Evidence.basis). */
  basis: string[];
}

/**
 * The kinds an alert belongs to, at most one per family. `name` is the alert name, `description`
 * its description (product text in most formats, but not trusted for benign kinds), `groups`
 * lower-cased SIEM rule groups.
 */
export function detectionKinds(
  name: string,
  description: string,
  groups: readonly string[],
  template?: string,
): KindMatch[] {
  const out: KindMatch[] = [];
  const both = `${name}\n${description}`;
  const concern = CONCERN.test(both);
  // One pass over a long description tells whether any describe-kind can match in it at all.
  const describes = DESCRIBE_SET.test(both);
  for (const family of KIND_FAMILIES) {
    if (family.benign && concern) continue;
    for (const kind of family.variants) {
      // Benign kinds read the rule name with every interpolated event value masked (the template):
      // "windows update" spliced into a name from a command line is not the rule's word.
      const hay = family.benign ? (template ?? name) : kind.describe && describes ? both : name;
      const m = kind.re.exec(hay);
      const g = m ? undefined : kind.groups?.find((x) => groups.includes(x));
      if (!m && !g) continue;
      const basis = g
        ? ['detection.groups']
        : [template !== undefined ? 'detection.rule_name_template' : 'detection.rule_name'];
      out.push({ family, kind, matched: m ? m[0] : `group:${g}`, basis });
      break;
    }
  }
  return out;
}
