import { readFileSync } from 'node:fs';
import type { MitreTechnique } from '@triage/contracts';

/**
 * ATT&CK Enterprise technique ids and names (data/SOURCE.md: ~v15-16, 679 entries). Resolved
 * relative to this file so it works from `src/` and from `dist/`. Read once: it is immutable
 * reference data, not a connection, so a lazily filled module cache is safe.
 */
const CSV_URL = new URL('../data/attack_enterprise_techniques_id_name.csv', import.meta.url);

/**
 * The CSV has no tactic column. Primary tactic for the parent techniques the rules and common SIEM
 * mappings use (a technique in several tactics gets the one a triage analyst reads first, e.g.
 * Valid Accounts → initial-access). Sub-techniques inherit their parent's.
 */
const TACTIC: Record<string, string> = {
  T1595: 'reconnaissance',
  T1592: 'reconnaissance',
  T1590: 'reconnaissance',
  T1589: 'reconnaissance',
  T1190: 'initial-access',
  T1133: 'initial-access',
  T1566: 'initial-access',
  T1078: 'initial-access',
  T1189: 'initial-access',
  T1199: 'initial-access',
  T1200: 'initial-access',
  T1059: 'execution',
  T1047: 'execution',
  T1569: 'execution',
  T1053: 'execution',
  T1204: 'execution',
  T1203: 'execution',
  T1106: 'execution',
  T1505: 'persistence',
  T1547: 'persistence',
  T1136: 'persistence',
  T1098: 'persistence',
  T1543: 'persistence',
  T1546: 'persistence',
  T1574: 'persistence',
  T1548: 'privilege-escalation',
  T1068: 'privilege-escalation',
  T1055: 'privilege-escalation',
  T1134: 'privilege-escalation',
  T1562: 'defense-evasion',
  T1070: 'defense-evasion',
  T1027: 'defense-evasion',
  T1140: 'defense-evasion',
  T1218: 'defense-evasion',
  T1197: 'defense-evasion',
  T1036: 'defense-evasion',
  T1112: 'defense-evasion',
  T1564: 'defense-evasion',
  T1014: 'defense-evasion',
  T1550: 'defense-evasion',
  T1620: 'defense-evasion',
  T1003: 'credential-access',
  T1110: 'credential-access',
  T1558: 'credential-access',
  T1555: 'credential-access',
  T1552: 'credential-access',
  T1557: 'credential-access',
  T1040: 'credential-access',
  T1556: 'credential-access',
  T1621: 'credential-access',
  T1539: 'credential-access',
  T1212: 'credential-access',
  T1087: 'discovery',
  T1069: 'discovery',
  T1482: 'discovery',
  T1033: 'discovery',
  T1083: 'discovery',
  T1046: 'discovery',
  T1018: 'discovery',
  T1016: 'discovery',
  T1082: 'discovery',
  T1057: 'discovery',
  T1049: 'discovery',
  T1135: 'discovery',
  T1012: 'discovery',
  T1021: 'lateral-movement',
  T1210: 'lateral-movement',
  T1570: 'lateral-movement',
  T1534: 'lateral-movement',
  T1005: 'collection',
  T1114: 'collection',
  T1560: 'collection',
  T1074: 'collection',
  T1056: 'collection',
  T1113: 'collection',
  T1119: 'collection',
  T1071: 'command-and-control',
  T1105: 'command-and-control',
  T1090: 'command-and-control',
  T1572: 'command-and-control',
  T1219: 'command-and-control',
  T1573: 'command-and-control',
  T1568: 'command-and-control',
  T1095: 'command-and-control',
  T1132: 'command-and-control',
  T1041: 'exfiltration',
  T1048: 'exfiltration',
  T1567: 'exfiltration',
  T1020: 'exfiltration',
  T1490: 'impact',
  T1486: 'impact',
  T1485: 'impact',
  T1496: 'impact',
  T1489: 'impact',
  T1498: 'impact',
  T1499: 'impact',
  T1491: 'impact',
  T1531: 'impact',
};

let table: Map<string, string> | undefined;

/** id → name, loaded on first use. */
export function techniqueTable(): ReadonlyMap<string, string> {
  if (table) return table;
  const map = new Map<string, string>();
  const lines = readFileSync(CSV_URL, 'utf8').split(/\r?\n/).slice(1);
  for (const line of lines) {
    const comma = line.indexOf(',');
    if (comma < 0) continue;
    const id = line.slice(0, comma).trim().toUpperCase();
    let name = line.slice(comma + 1).trim();
    if (name.startsWith('"') && name.endsWith('"')) name = name.slice(1, -1).replace(/""/g, '"');
    if (/^T\d{4}(?:\.\d{3})?$/.test(id)) map.set(id, name);
  }
  table = map;
  return map;
}

/** The primary tactic of a technique (via its parent), when known. */
export function tacticOf(id: string): string | undefined {
  return TACTIC[id.split('.')[0]!];
}

/**
 * Validates ids against the table (unknown ids dropped), de-duplicates, keeps order (the alert's
 * own ids first, then the rules'), adds names and tactics. At most `max` techniques.
 */
export function resolveMitre(ids: Iterable<string>, max = 8): MitreTechnique[] {
  const t = techniqueTable();
  const out: MitreTechnique[] = [];
  const seen = new Set<string>();
  for (const raw of ids) {
    const id = String(raw).trim().toUpperCase();
    if (seen.has(id)) continue;
    const name = t.get(id);
    if (!name) continue;
    seen.add(id);
    const tactic = tacticOf(id);
    out.push({ id, name, ...(tactic ? { tactic } : {}) });
    if (out.length >= max) break;
  }
  return out;
}
