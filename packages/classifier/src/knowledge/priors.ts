/**
 * Native detection levels as priors: what the detecting product says about its rule in general.
 * Sigma/Hayabusa level words and EDR/SIEM severity words reach the rules as the alert's mapped
 * severity (ids.rules.ts `source.severity`); the Wazuh level keeps its own scale, read here.
 */

/**
 * Wazuh's rule classification (documentation, "Rules classification"), band by band. Levels 0-3
 * are the events Wazuh itself marks as without security relevance: ignored, none, low-priority
 * notifications and successful/authorized events (a successful logon, a firewall allow).
 * Windows eventchannel base rules (one per event type) sit in this band too: the rules that judge
 * an event are level 4 and up.
 */
export const WAZUH_LEVELS: ReadonlyArray<{ from: number; weight: number; meaning: string }> = [
  { from: 12, weight: 3, meaning: 'high-importance event, unusual error or severe attack' },
  { from: 10, weight: 1.5, meaning: 'multiple user-generated errors or an integrity-checking warning' },
  { from: 8, weight: 1, meaning: 'first-time-seen event or an error from an invalid source' },
  { from: 4, weight: 0, meaning: 'low-priority error, user error, low-relevance attack or bad-word match' },
  // Halved by strong direct evidence the other way (rules-engine), -1.5 still lets one strong
  // indicator (+4) reach TRUE_POSITIVE on a level-3 base rule; -2.5 would not.
  { from: 2, weight: -1.5, meaning: 'a low-priority notification or a successful/authorized event' },
  { from: 0, weight: -2.5, meaning: 'an event Wazuh ignores or rates as of no relevance' },
];

/** The band of a Wazuh rule level (levels below 0 read as 0). */
export function wazuhLevelPrior(level: number): { weight: number; meaning: string } {
  return WAZUH_LEVELS.find((b) => level >= b.from) ?? WAZUH_LEVELS[WAZUH_LEVELS.length - 1]!;
}
