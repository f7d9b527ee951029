import { cidrContains, isIpLiteral } from '@triage/net';

/*
 * Address parsing, CIDR matching and scopes live in @triage/net (one home for every package);
 * what is left here is the classifier's own question: is a value on the known-benign list.
 */

export { isInternalIp } from '@triage/net';

/** Matches an IP or hostname against KNOWN_BENIGN entries (IP, CIDR, hostname, `*.suffix`). */
export function matchesBenign(value: string | undefined, entries: readonly string[]): string | undefined {
  if (!value) return undefined;
  const v = value.trim().toLowerCase();
  const isIp = isIpLiteral(v);
  for (const raw of entries) {
    const e = raw.trim().toLowerCase();
    if (!e) continue;
    if (isIp) {
      // A bare address is its own /32 or /128.
      if (cidrContains(e, v)) return raw;
    } else if (e.startsWith('*.') ? v.endsWith(e.slice(1)) : v === e || v.split('.')[0] === e) {
      return raw;
    }
  }
  return undefined;
}
