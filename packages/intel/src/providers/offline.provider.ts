import { readFileSync } from 'node:fs';
import type {
  IntelVerdict,
  Observable,
  ObservableType,
  OfflineData,
  ProviderResult,
} from '@triage/contracts';
import { CidrSet, canonicalIp, embeddedIpv4 } from '@triage/net';
import type { IntelProvider } from '../provider.ts';

/** The bundled snapshots (see data/SOURCE.md). Relative to this file, so it resolves from src/ and dist/ alike. */
const DEFAULT_DATA_DIR = new URL('../../data/', import.meta.url);
const FILES = {
  spamhaus: 'spamhaus_drop_edrop_dropv6_2024-02-27.csv',
  torExits: 'tor_exit_nodes_2024-02-27.csv',
  torRelays: 'tor_all_relays_2024-02-27.csv',
} as const;

interface BlockHit {
  cidr: string;
  list: string;
  snapshot: string;
}

/** Reads a small header-first CSV without quoting (the snapshots have none). */
function readCsv(dir: URL, file: string): Array<Record<string, string>> {
  const [header = '', ...lines] = readFileSync(new URL(file, dir), 'utf8').split(/\r?\n/);
  const cols = header.split(',');
  return lines
    .filter((l) => l.trim())
    .map((l) => {
      const cells = l.split(',');
      return Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? '']));
    });
}

/**
 * Reputation from files shipped with the project: works with no API key and no network, and costs
 * nothing, so it runs inline for every public IP (never through a queue).
 *
 * Verdicts:
 * - Spamhaus DROP / EDROP / DROPv6 → `malicious`: ranges hijacked or run by spammers and criminals;
 *   Spamhaus advises dropping all traffic from them.
 * - Tor exit → `suspicious`: traffic from it is anonymised. That is not proof of malice (privacy
 *   users, researchers), but a login or a scan from Tor hides who is behind it.
 * - Tor relay that is not an exit → `unknown`, with `tor_relay` listed: relays only forward
 *   traffic inside Tor, so a connection from one comes from the operator's own host, not a Tor
 *   user. The list membership is kept for the classifier to weigh.
 * - No hit → `unknown` with `not_found`.
 *
 * The snapshots are dated (2024-02-27): lists drift, so an offline hit is evidence, not a verdict.
 */
export class OfflineProvider implements IntelProvider {
  readonly name = 'offline' as const;
  /** Day the bundled lists were taken (UTC date of the newest snapshot). */
  readonly snapshotDate: string;
  private readonly blocks: CidrSet<BlockHit>;
  private readonly torExits: Map<string, string>;
  private readonly torRelays: Map<string, string>;

  /** Loads and indexes every snapshot once (≈10k lines, a few ms); lookups are then O(1) / O(log n). */
  constructor(dataDir: URL = DEFAULT_DATA_DIR) {
    const spamhaus = readCsv(dataDir, FILES.spamhaus);
    this.blocks = new CidrSet(
      spamhaus.map((r) => ({
        cidr: r.cidr ?? '',
        value: { cidr: r.cidr ?? '', list: r.list ?? 'spamhaus', snapshot: r.snapshot_checked_at ?? '' },
      })),
    );
    const ipIndex = (rows: Array<Record<string, string>>) => {
      const m = new Map<string, string>();
      for (const r of rows) {
        const ip = canonicalIp(r.ip ?? '');
        if (ip) m.set(ip, r.snapshot_checked_at ?? '');
      }
      return m;
    };
    this.torExits = ipIndex(readCsv(dataDir, FILES.torExits));
    this.torRelays = ipIndex(readCsv(dataDir, FILES.torRelays));
    const dates = [...spamhaus.map((r) => r.snapshot_checked_at ?? ''), ...this.torExits.values()]
      .map((s) => Date.parse(s))
      .filter((t) => !Number.isNaN(t));
    this.snapshotDate = dates.length ? new Date(Math.max(...dates)).toISOString().slice(0, 10) : 'unknown';
  }

  /** Sizes of the loaded lists, for /health and the tests. */
  get counts(): { blocklist_ranges: number; tor_exits: number; tor_relays: number } {
    return {
      blocklist_ranges: this.blocks.size,
      tor_exits: this.torExits.size,
      tor_relays: this.torRelays.size,
    };
  }

  supports(type: ObservableType): boolean {
    return type === 'ipv4' || type === 'ipv6';
  }

  async lookup(obs: Observable): Promise<ProviderResult> {
    return this.check(obs.value);
  }

  /** Synchronous lookup: the lists are in memory. */
  check(value: string, checkedAt = new Date()): ProviderResult {
    const raw = canonicalIp(value);
    // An IPv4-mapped / NAT64 address is matched by the IPv4 it carries.
    const ip = raw ? (embeddedIpv4(raw) ?? raw) : undefined;
    const base = { provider: this.name, checked_at: checkedAt.toISOString() };
    if (!ip) return { ...base, verdict: 'unknown', not_found: true };

    const lists: string[] = [];
    let snapshot: string | undefined;
    const blocks = this.blocks.matchAll(ip);
    const block = blocks[0];
    for (const b of blocks) if (!lists.includes(b.list)) lists.push(b.list);
    snapshot = block?.snapshot;
    const exit = this.torExits.get(ip);
    const relay = this.torRelays.get(ip);
    if (exit !== undefined) lists.push('tor_exit');
    if (relay !== undefined) lists.push('tor_relay');
    snapshot ??= exit ?? relay;
    if (lists.length === 0) return { ...base, verdict: 'unknown', not_found: true };

    const verdict: IntelVerdict = block ? 'malicious' : exit !== undefined ? 'suspicious' : 'unknown';
    const offline: OfflineData = {
      lists,
      ...(snapshot ? { snapshot } : {}),
      ...(block ? { cidr: block.cidr } : {}),
    };
    return { ...base, verdict, offline };
  }
}
