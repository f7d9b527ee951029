import type { ObservableType } from '@triage/contracts';
import { CidrSet, canonicalIp, parseCidr } from '@triage/net';

/**
 * INTEL_ALLOWLIST: IPs, CIDRs and domains (a domain covers its subdomains) that are never sent to
 * any provider — typically your own egress ranges, partner networks and corporate domains. A URL or
 * an email is allow-listed when its host / domain is.
 */
export class Allowlist {
  private readonly cidrs: CidrSet<string>;
  private readonly domains: Set<string>;

  constructor(entries: readonly string[]) {
    const cidrs: Array<{ cidr: string; value: string }> = [];
    this.domains = new Set();
    for (const raw of entries) {
      const entry = raw.trim().toLowerCase();
      if (!entry) continue;
      if (parseCidr(entry)) cidrs.push({ cidr: entry, value: entry });
      else this.domains.add(entry.replace(/^\*?\./, '').replace(/\.$/, ''));
    }
    this.cidrs = new CidrSet(cidrs);
  }

  get size(): number {
    return this.cidrs.size + this.domains.size;
  }

  /** Whether an observable (already canonical: lowercase domain, canonical IP) is allow-listed. */
  has(type: ObservableType, value: string): boolean {
    switch (type) {
      case 'ipv4':
      case 'ipv6':
        return this.hasIp(value);
      case 'domain':
        return this.hasDomain(value);
      case 'email':
        return this.hasDomain(value.slice(value.lastIndexOf('@') + 1));
      case 'url':
        return this.hasUrl(value);
      default:
        return false;
    }
  }

  hasIp(ip: string): boolean {
    return this.cidrs.size > 0 && this.cidrs.has(canonicalIp(ip) ?? ip);
  }

  hasDomain(domain: string): boolean {
    if (this.domains.size === 0) return false;
    let d = domain.toLowerCase().replace(/\.$/, '');
    for (;;) {
      if (this.domains.has(d)) return true;
      const dot = d.indexOf('.');
      if (dot < 0) return false;
      d = d.slice(dot + 1);
    }
  }

  private hasUrl(url: string): boolean {
    let host: string;
    try {
      host = new URL(url).hostname;
    } catch {
      return false;
    }
    const bare = host.replace(/^\[|\]$/g, '');
    return canonicalIp(bare) ? this.hasIp(bare) : this.hasDomain(bare);
  }
}
