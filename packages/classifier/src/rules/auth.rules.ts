import { isBusinessHour } from '../alert-features.ts';
import { linear } from '../linear.ts';
import type { Evidence, Rule, RuleContext } from './evidence.ts';
import { metadataTemplate, trusted } from './provenance.ts';

/**
 * Authentication evidence: the shapes that separate an attack on credentials from a person who
 * mistyped a password. Brute force that ends in success is the one a SOC must never miss.
 */

/** Accounts whose compromise hands over the domain or the box. */
export const PRIVILEGED = linear(
  /^(?:admin|administrator|root|krbtgt|sa|sysadmin|superuser|domain admins?|enterprise admins?|schema admins?)$|(?:^|[._-])admin(?:[._-]|$)|^adm[._-]|admin$/i,
);
/** Service accounts: run unattended, often at night, rarely log in interactively. */
const SERVICE = linear(/^(?:svc|srv|service|sa)[._-]|[._-]svc$|\$$/i);
/** Mail clients poll on their own: the hour of an IMAP/POP login says nothing about a person. */
const MAIL_PROTOCOL = linear(/\b(?:imap|pop3?|dovecot|smtp auth|sasl|postfix|exchange activesync)\b/i);
const TRAVEL = linear(
  /impossible travel|atypical travel|unfamiliar (?:sign-?in|location)|unusual (?:location|country|sign-?in)|new country|anonymous (?:ip|proxy)|sign-?in from (?:a )?(?:tor|anonymi[sz]er)/i,
);

export const localPart = (u: string) => u.split('@')[0]!.split('\\').pop()!;

function isAuthEvent(ctx: RuleContext): boolean {
  const f = ctx.features;
  return (
    f.failedLogins !== undefined ||
    f.success !== undefined ||
    f.ruleGroups.some(
      (g) => g.startsWith('authentication') || g === 'invalid_login' || g === 'win_authentication',
    ) ||
    linear(/\b(?:log ?in|log ?on|sign-?in|authenticat\w*|brute.?force|password spray)\b/i).test(f.name)
  );
}

export const authRules: Rule = (ctx) => {
  const f = ctx.features;
  if (!isAuthEvent(ctx) || f.ruleGroups.includes('sudo')) return [];
  const out: Evidence[] = [];
  const user = f.users[0];
  const who = user ? ` for ${user}` : '';
  const from = f.srcIp ? ` from ${f.srcIp}` : '';
  const failed = f.failedLogins ?? 0;
  const external = f.srcInternal === false;
  const privileged = f.users.some((u) => PRIVILEGED.test(localPart(u)));
  const service = f.users.some((u) => SERVICE.test(localPart(u)));
  // Product text only (rule name, groups, decoder): "imap" typed into a log line must not make a
  // night-time login look like a mail client polling.
  const productText = [
    metadataTemplate(ctx.alert.signals) ?? '',
    trusted(ctx.alert.signals, 'event.program') ?? '',
    f.ruleGroups.join(' '),
  ].join(' ');
  const nonInteractive = service || MAIL_PROTOCOL.test(productText);
  const hour = f.hourUtc;
  const inHours = hour === undefined ? undefined : isBusinessHour(hour, ctx.settings.businessHoursUtc);

  if (f.success === true && failed >= 5) {
    out.push({
      id: 'auth.bruteforce_success',
      weight: 3.5 + Math.min(1.5, (failed - 5) * 0.15),
      group: 'auth.pattern',
      title: 'Brute force followed by successful login',
      reason: `${failed} failed logins${who}${from} were followed by a successful login: the password was guessed.`,
      mitre: ['T1110', 'T1078'],
      severityFloor: 'High',
    });
  } else if (f.success === true && failed >= 3) {
    out.push({
      id: 'auth.failures_then_success',
      weight: external ? 1 : 0.3,
      group: 'auth.pattern',
      reason: `${failed} failed logins${who}${from} preceded a success; a few retries can be a typo, but also guessing.`,
      mitre: ['T1110'],
    });
  } else if (f.success === true && failed > 0) {
    out.push({
      id: 'auth.typo',
      weight: -0.3,
      group: 'auth.pattern',
      reason: `Only ${failed} failed login${failed > 1 ? 's' : ''}${who} before success, consistent with a mistyped password.`,
      basis: ['auth.outcome', 'auth.failure_count'],
    });
  } else if (f.success === false && failed >= 5) {
    out.push({
      id: 'auth.bruteforce_attempt',
      weight: failed >= 10 ? 2.5 : 1.5,
      group: 'auth.pattern',
      title: 'Brute-force attempt',
      reason: `${failed} failed logins${who}${from} without success: a password-guessing attempt that has not (yet) worked.`,
      mitre: ['T1110.001'],
    });
  }

  if ((f.distinctUsers ?? 0) >= 5) {
    out.push({
      id: 'auth.password_spray',
      weight: 3,
      group: 'auth.spray',
      title: 'Password spray across many accounts',
      reason: `Failed logins${from} touched ${f.distinctUsers} distinct accounts: the shape of a password spray.`,
      mitre: ['T1110.003'],
    });
  }
  if (linear(/password spray|credential stuffing/i).test(f.name)) {
    out.push({
      id: 'auth.spray_rule',
      weight: 1.5,
      group: 'auth.spray',
      title: f.name,
      reason: `The source rule "${f.name}" reports a password-spray / credential-stuffing pattern.`,
      mitre: [linear(/stuffing/i).test(f.name) ? 'T1110.004' : 'T1110.003'],
    });
  }

  const groups = f.ruleGroups;
  if (groups.includes('authentication_failures') || groups.includes('multiple_auth_failures')) {
    out.push({
      id: 'auth.multiple_failures',
      weight: 1.5,
      group: 'auth.pattern',
      reason: `The SIEM correlated multiple authentication failures${from}${who}.`,
      mitre: ['T1110'],
    });
  } else if (groups.includes('authentication_failed') || groups.includes('invalid_login')) {
    out.push({
      id: 'auth.failed',
      weight: linear(/invalid user|unknown user|non-existent user/i).test(f.anyText) ? 1 : 0.6,
      group: 'auth.pattern',
      reason: `A failed authentication${who}${from}; on its own a weak signal (possible username probing).`,
      mitre: ['T1110'],
    });
  }

  if (privileged && (failed >= 3 || external || (distinct(f.distinctUsers) && failed > 0))) {
    out.push({
      id: 'auth.privileged_target',
      weight: 1.5,
      title: 'Attack on a privileged account',
      reason: `The targeted account ${user} is privileged; its compromise gives broad control.`,
      mitre: ['T1078.002'],
    });
  }
  if (service && (failed >= 3 || external)) {
    out.push({
      id: 'auth.service_account',
      weight: 1.5,
      reason: `Service account ${user} ${failed >= 3 ? `had ${failed} failed logins` : 'logged in from an external address'}; service accounts do not mistype passwords.`,
      mitre: ['T1078.003'],
    });
  }

  // An administrator on the internal network after hours is not routine (the routine-login
  // reading below is withheld), but not evidence of an attack on its own: IT works late. From the
  // internet, or after failures, the hour adds to the picture.
  if (f.success === true && inHours === false && !nonInteractive && (external || failed >= 3)) {
    out.push({
      id: 'auth.off_hours',
      weight: 1,
      reason: `The successful login happened at ${pad(hour!)}:00 UTC, outside business hours (${ctx.settings.businessHoursUtc} UTC).`,
    });
  }

  if (TRAVEL.test(f.anyText)) {
    out.push({
      id: 'auth.unusual_location',
      weight: 2.5,
      title: 'Sign-in from an impossible or unusual location',
      reason: `The detection reports impossible travel / an unusual sign-in location${f.location ? ` (${f.location})` : ''}${who}.`,
      mitre: ['T1078'],
    });
  }

  const quiet = failed <= 2 && (f.distinctUsers ?? 0) < 5;
  if (f.success !== false && f.srcInternal === true && quiet && !(privileged && !service) && isSuccess(ctx)) {
    const hoursOk = inHours !== false || nonInteractive;
    if (hoursOk) {
      out.push({
        id: 'auth.routine_internal_success',
        weight: inHours === undefined && !nonInteractive ? -2 : -2.5,
        reason: `Routine successful login${who} from an internal address${from}${hour !== undefined ? ` at ${pad(hour)}:00 UTC` : ''}${nonInteractive ? ' (automated/mail client)' : ''}, with no failures worth noting.`,
        // The success and the internal source are what make it routine; both must be metadata.
        basis: [f.success === true ? 'auth.outcome' : 'detection.groups', 'network.src_ip'],
      });
    }
  }
  return out;
};

function isSuccess(ctx: RuleContext): boolean {
  const f = ctx.features;
  return f.success === true || f.ruleGroups.includes('authentication_success');
}

const distinct = (n: number | undefined) => (n ?? 0) >= 3;
const pad = (h: number) => String(h).padStart(2, '0');
