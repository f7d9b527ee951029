import { isBusinessHour } from '../alert-features.ts';
import { linear } from '../linear.ts';
import { localPart, PRIVILEGED } from './auth.rules.ts';
import { detectionKinds, type KindMatch } from './detection-kinds.ts';
import { type Evidence, quote, type Rule, type RuleContext } from './evidence.ts';
import { metadataTemplate, trusted } from './provenance.ts';

/**
 * Evidence from the kind of detection (detection-kinds.ts), adjusted by what the alert says about
 * the actor: a "routine" login stops being routine for a privileged account, from the internet
 * on a host login, or at night; a privilege change stays open for an analyst.
 */

/** Identity providers and mail: sign-ins from the internet are their normal case. */
const REMOTE_BY_DESIGN = linear(
  /\b(?:okta|azure ad|entra|sign-?in|single sign|sso|office ?365|o365|google workspace|imap|pop3?|dovecot|smtp|exchange|owa|vpn)\b/i,
);
/** Mail clients poll on their own: their hour says nothing about a person. */
const UNATTENDED = linear(/\b(?:imap|pop3?|dovecot|smtp|sasl|postfix|cron|systemd-user)\b/i);
/** `pam_unix(su:session): session opened for user bob by (uid=33)`: who switched, by numeric uid. */
const SU_SESSION = linear(
  /\b(su|sudo)(?:-l)?(?:\[\d+\])?:\s*pam_unix\((?:su|sudo)(?:-l)?:session\): session opened for user (\S+) by (\S*?)\(uid=(\d+)\)/i,
);

const NETWORK_EVENT = linear(/user.?agent|traffic|outbound|inbound|connection|request|download/i);

export const kindRules: Rule = (ctx) => {
  const { alert, features: f } = ctx;
  // Threat kinds may read the rule's description and the event's text; benign ones only the template.
  const description = [trusted(alert.signals, 'detection.rule_description') ?? '', f.contentText].join('\n');
  let matches = detectionKinds(f.name, description, f.ruleGroups, f.template);
  // An IDS signature is judged by its class (ids.rules.ts) and the decoder rules: words inside a
  // signature name ("GPL NTP monlist") must not read as housekeeping, and "IDS event" or
  // "anomaly" wording adds nothing once the signature is known. Update traffic is the exception:
  // it qualifies a policy signature ("ET POLICY ... APT User-Agent").
  if (f.signature) {
    matches = matches.filter(
      (m) =>
        m.family.family === 'update_traffic' ||
        (!m.family.benign && m.family.family !== 'ids_generic' && m.family.family !== 'anomaly'),
    );
  }
  // Update traffic qualifies network events (an IDS signature, a proxy or firewall log), not a
  // host's own package log: installing software is package_change and does not close alone.
  if (!f.signature && !NETWORK_EVENT.test(f.name))
    matches = matches.filter((m) => m.family.family !== 'update_traffic');
  // "User successfully changed UID" is filed under authentication_success too: it is a switch.
  if (matches.some((m) => m.family.family === 'privilege'))
    matches = matches.filter((m) => m.family.family !== 'auth');

  const su = serviceAccountSwitch(ctx);
  // The session a service account opened by su is the switch, not a routine login.
  if (su) matches = matches.filter((m) => m.family.family !== 'auth');

  const out: Evidence[] = [];
  for (const m of matches) {
    const e = m.family.family === 'auth' ? authKind(ctx, m) : plain(m);
    // With a signature, a threat kind restates the signature's claim: one fact, damped with it.
    if (e) out.push(f.signature && e.weight > 0 ? { ...e, group: 'ids.signature' } : e);
  }
  if (su) out.push(su);
  return out;
};

function plain(m: KindMatch): Evidence {
  const k = m.kind;
  return {
    id: k.id,
    prior: true,
    weight: k.weight,
    group: k.group ?? `kind.${m.family.family}`,
    ...(k.weight >= 2 ? { title: capitalise(k.label) } : {}),
    reason: `${capitalise(k.label)} ("${quote(m.matched, 60)}"): ${k.why}.`,
    ...(k.recon ? { recon: true } : {}),
    ...(k.keepOpen ? { keepOpen: k.keepOpen } : {}),
    ...(k.mitre ? { mitre: k.mitre } : {}),
    basis: m.basis,
  };
}

/** A routine-authentication kind, weakened by anything that makes the login less routine. */
function authKind(ctx: RuleContext, m: KindMatch): Evidence | undefined {
  const f = ctx.features;
  // Failures before the success: the authentication rules score the pattern, not this table.
  // A failed outcome under a neutral name (Okta "User login to Okta") is not a routine success.
  if ((f.failedLogins ?? 0) >= 3 || (f.distinctUsers ?? 0) >= 5 || f.success === false) return undefined;
  // Product text only: a log line must not be able to remove a caveat.
  const s = ctx.alert.signals;
  const context = [
    metadataTemplate(s) ?? '',
    trusted(s, 'detection.rule_description') ?? '',
    trusted(s, 'event.program') ?? '',
    f.ruleGroups.join(' '),
  ].join('\n');
  const privileged = f.users.find((u) => PRIVILEGED.test(localPart(u)));
  const hostLoginFromInternet = f.srcInternal === false && !REMOTE_BY_DESIGN.test(context);
  const hour = f.hourUtc;
  const offHours =
    hour !== undefined &&
    !isBusinessHour(hour, ctx.settings.businessHoursUtc) &&
    !UNATTENDED.test(context) &&
    m.kind.id !== 'kind.auth.session_end';
  const caveats = [
    ...(privileged ? [`the account ${privileged} is privileged`] : []),
    ...(hostLoginFromInternet ? [`the source ${f.srcIp} is on the internet`] : []),
    ...(offHours ? [`it happened at ${String(hour).padStart(2, '0')}:00 UTC, outside business hours`] : []),
  ];
  // Each caveat takes away half of a routine login's benign weight; two leave nothing.
  const weight = m.kind.weight + caveats.length * 1.25;
  if (weight >= 0) return undefined;
  const base = plain(m);
  return {
    ...base,
    weight,
    // One fact with auth.routine_internal_success: a routine login, however many rules see it.
    group: 'auth.routine',
    reason: caveats.length ? `${base.reason} Less routine here: ${caveats.join('; ')}.` : base.reason,
  };
}

/**
 * A system account (uid 1-999: daemons such as the web server) opening an su/sudo session. Those
 * accounts have no password and no person behind them; when one switches user, a process running
 * as that service (a webshell, an exploited daemon) is doing it.
 */
function serviceAccountSwitch(ctx: RuleContext): Evidence | undefined {
  const m = SU_SESSION.exec(ctx.features.anyText);
  if (!m) return undefined;
  const uid = Number(m[4]);
  if (!(uid >= 1 && uid <= 999)) return undefined;
  return {
    id: 'kind.privilege.service_account_switch',
    weight: 4,
    group: 'webshell',
    title: 'Service account switching user',
    reason: `${m[1]} session opened for ${m[2]} by uid ${uid}${m[3] ? ` (${m[3]})` : ''}, a system account (uid 1-999) that no person logs in as: typical of a webshell or exploited daemon pivoting.`,
    mitre: ['T1548', 'T1505.003'],
    keepOpen: 'a service account switching user is never routine',
    severityFloor: 'High',
  };
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
