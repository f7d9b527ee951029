/**
 * Kill-chain order of ATT&CK tactics, in stages an intrusion moves through: look around, get code
 * running, dig in, spread and act, leave with the goods. Discovery sits with reconnaissance (what
 * an intruder does first on a host), so "discovery → execution → persistence" reads as a chain.
 */
const STAGES: readonly (readonly string[])[] = [
  ['reconnaissance', 'resource-development', 'discovery'],
  ['initial-access', 'execution'],
  ['persistence', 'privilege-escalation', 'defense-evasion', 'credential-access'],
  ['lateral-movement', 'collection', 'command-and-control'],
  ['exfiltration', 'impact'],
];

const ORDINAL = new Map<string, { stage: number; ordinal: number }>();
let n = 0;
STAGES.forEach((tactics, stage) => {
  for (const t of tactics) ORDINAL.set(t, { stage, ordinal: n++ });
});

export const isTactic = (t: string): boolean => ORDINAL.has(t);

/** The first member of an incident seen with a tactic (members closed as FALSE_POSITIVE do not count). */
export interface TacticSighting {
  tactic: string;
  /** Event time, ms. */
  t: number;
  alert_id: string;
  /** The member's similarity key: two tactics of one detection are one step, not a chain. */
  detection: string;
}

/** Fewest steps (distinct tactics from distinct detections, spanning 2+ stages) that make a chain. */
export const MIN_CHAIN = 3;

/**
 * The longest run of sightings in time order whose tactics strictly advance along the kill chain,
 * each from a different detection. A chain when at least {@link MIN_CHAIN} long over two stages.
 * At most 14 sightings (one per tactic): the quadratic search is a few hundred steps.
 */
export function killChain(sightings: readonly TacticSighting[]): TacticSighting[] {
  const s = sightings
    .filter((x) => ORDINAL.has(x.tactic))
    .sort((a, b) => a.t - b.t || ORDINAL.get(a.tactic)!.ordinal - ORDINAL.get(b.tactic)!.ordinal);
  const best: TacticSighting[][] = s.map((x) => [x]);
  for (let i = 0; i < s.length; i++) {
    for (let j = 0; j < i; j++) {
      const prev = best[j]!;
      const last = prev[prev.length - 1]!;
      const advances = ORDINAL.get(s[i]!.tactic)!.ordinal > ORDINAL.get(last.tactic)!.ordinal;
      const distinct = prev.every((p) => p.detection !== s[i]!.detection);
      if (advances && distinct && prev.length + 1 > best[i]!.length) best[i] = [...prev, s[i]!];
    }
  }
  const longest = best.reduce<TacticSighting[]>((a, b) => (b.length > a.length ? b : a), []);
  const stages = new Set(longest.map((x) => ORDINAL.get(x.tactic)!.stage));
  return longest.length >= MIN_CHAIN && stages.size >= 2 ? longest : [];
}
