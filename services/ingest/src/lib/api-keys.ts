import { createHash, timingSafeEqual } from 'node:crypto';

/** Which list a key comes from (TRIAGE_API_KEYS is `admin`). */
export type Scope = 'admin' | 'ingest' | 'read' | 'analyst';

/**
 * What a route needs. `submit`: send alerts; `read`: GET the pipeline's data; `feedback`: analyst
 * verdict feedback; `admin`: Bull Board actions, Redis internals, anything not declared otherwise.
 */
export type Permission = 'submit' | 'read' | 'feedback' | 'admin';

const GRANTS: Record<Scope, readonly Permission[]> = {
  admin: ['submit', 'read', 'feedback', 'admin'],
  // A forwarder's key is the most exposed one (it sits on every log shipper), so it can only push:
  // it reads nothing but the answers to its own submissions (202 ids, /analyze and /batch verdicts).
  ingest: ['submit'],
  read: ['read'],
  analyst: ['read', 'feedback'],
};

/** The caller, as far as the API is concerned. `id` is a fingerprint of the key, never the key. */
export interface Principal {
  id: string;
  scopes: Scope[];
  can(permission: Permission): boolean;
}

/** Everyone is admin when no key is configured (the server then binds loopback only). */
export const ANONYMOUS_ADMIN: Principal = { id: 'anonymous', scopes: ['admin'], can: () => true };

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * The configured keys, kept only as SHA-256 digests. A presented key is hashed and compared with
 * every digest in constant time: all digests have the same length, and the loop never stops early,
 * so neither a key's length nor how many keys match shows in the timing.
 */
export class KeyRing {
  private readonly entries: Array<{ digest: Buffer; scope: Scope }> = [];

  constructor(lists: Record<Scope, readonly string[]>) {
    for (const [scope, keys] of Object.entries(lists) as Array<[Scope, readonly string[]]>) {
      for (const k of keys) {
        const digest = /^sha256:[0-9a-f]{64}$/i.test(k) ? Buffer.from(k.slice(7), 'hex') : sha256(k);
        this.entries.push({ digest, scope });
      }
    }
  }

  get enabled(): boolean {
    return this.entries.length > 0;
  }

  identify(presented: string): Principal | undefined {
    const digest = sha256(presented);
    const scopes = new Set<Scope>();
    for (const e of this.entries) if (timingSafeEqual(e.digest, digest)) scopes.add(e.scope);
    if (scopes.size === 0) return undefined;
    const granted = new Set([...scopes].flatMap((s) => GRANTS[s]));
    return {
      id: `key:${digest.toString('hex').slice(0, 12)}`,
      scopes: [...scopes],
      can: (p) => granted.has(p),
    };
  }
}

/** `Authorization: Bearer`, `X-API-Key`, or Basic auth's password (Bull Board in a browser). */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const h = headers.authorization;
  if (typeof h === 'string') {
    if (h.startsWith('Bearer ')) return h.slice(7).trim() || undefined;
    if (h.startsWith('Basic ')) {
      const decoded = Buffer.from(h.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      // `user:password`; a credential without the colon is malformed, not a key.
      return colon < 0 ? undefined : decoded.slice(colon + 1) || undefined;
    }
  }
  const x = headers['x-api-key'];
  return typeof x === 'string' && x !== '' ? x : undefined;
}
