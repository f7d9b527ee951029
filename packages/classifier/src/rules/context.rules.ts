import { linear } from '../linear.ts';
import { matchesBenign } from '../net.ts';
import type { Evidence, Rule } from './evidence.ts';
import { findBenign, signalValue } from './provenance.ts';

/**
 * Context an analyst applies before anything else: is this our own scanner or monitoring box, a
 * vendor test alert, what does the detection's own name claim. (What kind of event the name
 * describes, housekeeping included, is detection-kinds.ts.)
 */

/** Vendor-generated test alerts (Defender for Cloud "test alert (not a threat)", EICAR test files). */
const TEST_ALERT = linear(
  /\btest alert\b.{0,20}\(?not a threat\)?|\(not a threat\)|\beicar\b(?:[ -]test)?|\bsample alert\b/i,
);

/** What the detection's name says it found. A claim: weighs little on its own. */
const THREAT_NAME = linear(
  /ransomware|malware|trojan|backdoor|\bc2\b|command and control|beacon|exfiltrat|credential (?:dump|theft|access)|lateral movement|privilege escalation|webshell|exploit|brute.?force|crypto.?min|phishing|impossible travel|password spray|credential stuffing|port scan|malicious/i,
);

export const contextRules: Rule = ({ alert, features, settings }) => {
  const out: Evidence[] = [];
  const benignSrc = matchesBenign(features.srcIp, settings.knownBenign);
  if (benignSrc) {
    out.push({
      id: 'context.known_benign_source',
      weight: -4.5,
      group: 'context.benign',
      reason: `The source ${features.srcIp} is known-benign infrastructure (KNOWN_BENIGN entry ${benignSrc}), e.g. an authorised scanner or monitoring system.`,
      basis: ['config', 'network.src_ip'],
    });
  }
  const benignHost = matchesBenign(features.host, settings.knownBenign);
  if (benignHost) {
    out.push({
      id: 'context.known_benign_host',
      weight: -3,
      group: 'context.benign',
      reason: `The host ${features.host} is known-benign infrastructure (KNOWN_BENIGN entry ${benignHost}).`,
      basis: ['config', 'host.name'],
    });
  }
  // The product's own words only: "eicar" in a command line or a message is the attacker's.
  const s = alert.signals;
  const test = findBenign(
    s,
    [
      ['detection.rule_name_template', signalValue(s, 'detection.rule_name_template') as string | undefined],
      ['detection.rule_description', signalValue(s, 'detection.rule_description') as string | undefined],
      ['detection.rule_name', features.name],
      ['text', features.contentText],
    ],
    (t) => TEST_ALERT.exec(t)?.[0],
  );
  if (test) {
    out.push({
      id: 'context.test_alert',
      weight: -5,
      group: 'context.benign',
      reason: `The product labels this a test/sample alert ("${test.match}"), generated to check the alert pipeline.`,
      basis: test.basis,
    });
  }
  const claim = THREAT_NAME.exec(features.name);
  if (claim) {
    out.push({
      id: 'context.detection_claim',
      prior: true,
      weight: 1,
      group: 'detection.claim',
      title: features.name,
      reason: `The detection itself reports ${claim[0].toLowerCase()} ("${features.name}").`,
    });
  }
  return out;
};
