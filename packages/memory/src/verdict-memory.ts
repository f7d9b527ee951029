import {
  type Enrichment,
  type Feedback,
  type IncidentEntity,
  type IncidentView,
  type MemoryCitation,
  type NormalizedAlert,
  SEVERITY_ORDER,
  type Severity,
  type SimilarityKey,
  type TriageResult,
} from '@triage/contracts';
import type { Redis } from '@triage/runtime';
import { type AutonomyPolicy, disposition } from './autonomy-policy.ts';
import { type BaselineFacts, BaselineStore } from './baseline-store.ts';
import { FeedbackStore } from './feedback-store.ts';
import { IncidentStore } from './incident-store.ts';
import { alertKey, similarityKey } from './similarity-key.ts';
import { newThreatEvidence, threatProfile } from './threat-profile.ts';

export interface VerdictMemoryOptions {
  redis: Redis;
  prefix: string;
  policy: AutonomyPolicy;
  /** INCIDENT_WINDOW_MINUTES in ms. Default 30 minutes. */
  incidentWindowMs?: number;
  /** How long incidents stay queryable (RESULT_TTL_SECONDS). Default 7 days. */
  ttlSeconds?: number;
  /** Rolling window of the entity baselines (days). Default 14. */
  baselineDays?: number;
  /** Only keys whose entity is metadata may close (MEMORY_REQUIRE_METADATA_ENTITY). Default false. */
  metadataEntity?: boolean;
}

/** The verdict with memory, and earlier alerts an incident's new kill chain raises. */
export interface MemoryOutcome {
  result: TriageResult;
  /** Earlier members of a kill chain this alert completed: raise their verdicts with `note`. */
  raise: string[];
  note?: string;
  /** The incident as this alert changed it, when the change is one to tell (`incident.updated`). */
  incidentUpdate?: IncidentUpdate;
}

export interface IncidentUpdate {
  incident: IncidentView;
  revision: number;
  changes: string[];
}

export interface MemoryInput {
  alertId: string;
  alert: NormalizedAlert;
  enrichment: Enrichment;
  /** The verdict made without memory (rules, LLM or cache). */
  result: TriageResult;
  /** What `recall` read before the verdict chain ran (read again when absent). */
  recall?: Recall;
  /** What `observe` read (and counted) before the verdict chain ran (done here when absent). */
  facts?: Promise<BaselineFacts>;
}

/**
 * The feedback memory holds for an alert, read before the verdict chain: `decisive` when feedback
 * will decide the verdict (TRUE_POSITIVE on either key, FALSE_POSITIVE on the alert itself or on
 * an anchored key), so the LLM tier need not run; the rules still do, since their evidence is what
 * a FALSE_POSITIVE is checked against.
 */
export interface Recall {
  sim: SimilarityKey;
  exact: SimilarityKey;
  found: Feedback[];
  decisive: boolean;
}

/** The feedback that decides: on the exact alert before similar ones; a FALSE_POSITIVE only on an anchored key. */
function choose(found: Feedback[], sim: SimilarityKey, exact: SimilarityKey) {
  const own = found.filter((f) => f.similarity.key === exact.key);
  const pool = own.length ? own : found;
  const tp = pool.find((f) => f.verdict === 'TRUE_POSITIVE');
  const fpAny = pool.find((f) => f.verdict === 'FALSE_POSITIVE');
  // A FALSE_POSITIVE on a key that rests on attacker-written text may never close anything.
  const fp = fpAny && (fpAny.similarity.key === exact.key || sim.anchored) ? fpAny : undefined;
  return { tp, fp, fpAny };
}

const MAX_REASONS = 6;

/** One analyst-written string inside a reason: one line, bounded. */
function clean(s: string, max = 200): string {
  const t = s
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function cite(f: Feedback, outcome: MemoryCitation['outcome'], newEvidence?: string[]): MemoryCitation {
  return {
    feedback_id: f.id,
    verdict: f.verdict,
    analyst: f.analyst,
    created_at: f.created_at,
    ...(f.comment ? { comment: clean(f.comment, 500) } : {}),
    outcome,
    ...(newEvidence?.length ? { new_evidence: newEvidence } : {}),
  };
}

function said(f: Feedback): string {
  const what = f.scope === 'alert' ? 'this alert' : 'a similar alert';
  const note = f.comment ? `: “${clean(f.comment)}”` : '';
  return `Analyst ${clean(f.analyst, 64)} marked ${what} ${f.verdict} on ${f.created_at.slice(0, 10)} (feedback ${f.id}${note})`;
}

const lower = (a: Severity, b: Severity) => (SEVERITY_ORDER.indexOf(a) >= SEVERITY_ORDER.indexOf(b) ? a : b);
const higher = (a: Severity, b: Severity) => (SEVERITY_ORDER.indexOf(a) <= SEVERITY_ORDER.indexOf(b) ? a : b);

/**
 * The memory step of the verdict: analyst feedback on this alert's similarity key (or on the
 * alert itself) decides it, unless the alert carries threat evidence the judged alert did not;
 * then the disposition under the autonomy policy. Never throws for a Redis failure of its own
 * (the verdict without memory stands, marked by the absence of `similarity`).
 */
export class VerdictMemory {
  readonly feedback: FeedbackStore;
  readonly incidents: IncidentStore;
  readonly baselines: BaselineStore;
  private readonly policy: AutonomyPolicy;
  private readonly metadataEntity: boolean;

  constructor(opts: VerdictMemoryOptions) {
    this.feedback = new FeedbackStore({ redis: opts.redis, prefix: opts.prefix });
    this.incidents = new IncidentStore({
      redis: opts.redis,
      prefix: opts.prefix,
      windowMs: opts.incidentWindowMs ?? 30 * 60_000,
      ttlSeconds: opts.ttlSeconds ?? 7 * 86_400,
    });
    this.baselines = new BaselineStore({
      redis: opts.redis,
      prefix: opts.prefix,
      ...(opts.baselineDays ? { days: opts.baselineDays } : {}),
    });
    this.policy = opts.policy;
    this.metadataEntity = opts.metadataEntity ?? false;
  }

  /** The similarity key of an alert under this memory's anchoring rule. */
  keyOf(alert: NormalizedAlert): SimilarityKey {
    return similarityKey(alert, { metadataEntity: this.metadataEntity });
  }

  /** The feedback on an alert's keys, before the verdict chain runs (see {@link Recall}). */
  async recall(alert: NormalizedAlert, sim: SimilarityKey = this.keyOf(alert)): Promise<Recall> {
    const exact = alertKey(alert);
    const found = await this.feedback.activeFor([exact.key, sim.key]);
    const { tp, fp } = choose(found, sim, exact);
    return { sim, exact, found, decisive: !!(tp || fp) };
  }

  /**
   * Counts the alert in the baselines of its detection and entity, and reads the facts from before
   * it (what `apply` reasons with). The caller may start it with `recall`, in the same round trip.
   */
  observe(alert: NormalizedAlert, sim: SimilarityKey = this.keyOf(alert)): Promise<BaselineFacts> {
    return this.baselines.observe(baselineInput(alert, sim));
  }

  async apply(input: MemoryInput): Promise<MemoryOutcome> {
    const key = input.recall?.sim ?? this.keyOf(input.alert);
    const [{ sim, exact, found }, facts] = await Promise.all([
      input.recall ?? this.recall(input.alert, key),
      input.facts ?? this.observe(input.alert, key),
    ]);
    const decided = this.decide(input, sim, exact, found, facts);
    if (decided.applied.length) await this.feedback.recordApplied(decided.applied, input.alertId);
    const grouped = await this.group(input, decided.result, sim.key);
    return { ...grouped, result: this.finish(input.alert, grouped.result) };
  }

  /** Incident membership; a kill chain raises this alert toward TRUE_POSITIVE (and earlier members once). */
  private async group(input: MemoryInput, r: TriageResult, detection: string): Promise<MemoryOutcome> {
    const entity = incidentEntity(input.alert);
    if (!entity) return { result: r, raise: [] };
    const a = await this.incidents.assign({
      alertId: input.alertId,
      entity,
      entities: entitiesOf(input.alert),
      eventMs: eventTime(input.alert),
      classification: r.classification,
      tactics: [...r.mitre.map((m) => m.tactic), ...(input.alert.signals?.detection?.tactics ?? [])].filter(
        (t): t is string => !!t,
      ),
      detection,
    });
    const result = { ...r, incident_id: a.incidentId };
    const view = a.update ? await this.incidents.get(a.incidentId) : undefined;
    const incidentUpdate =
      a.update && view
        ? { incidentUpdate: { incident: view, revision: a.update.rev, changes: a.update.changes } }
        : {};
    if (!a.chain.length) return { result, raise: [], ...incidentUpdate };
    const note = `Part of incident ${a.incidentId} on ${entity.type} ${entity.value}, whose alerts form the kill chain ${a.chain
      .map((c) => `${c.tactic} (${c.alert_id})`)
      .join(' → ')}.`;
    return {
      result: raisedByIncident(result, note),
      raise: a.escalatedNow
        ? [...new Set(a.chain.map((c) => c.alert_id))].filter((id) => id !== input.alertId)
        : [],
      note,
      ...incidentUpdate,
    };
  }

  /** Disposition under the autonomy policy (also used when feedback changes a stored verdict). */
  finish(alert: NormalizedAlert, result: TriageResult): TriageResult {
    return { ...result, disposition: disposition(this.policy, result, alert) };
  }

  private decide(
    input: MemoryInput,
    sim: SimilarityKey,
    exact: SimilarityKey,
    found: Feedback[],
    facts: BaselineFacts,
  ): { result: TriageResult; applied: string[] } {
    const notes = baselineNotes(facts);
    const base: TriageResult = {
      ...input.result,
      similarity: sim,
      reasoning: [...input.result.reasoning, ...notes].slice(0, MAX_REASONS + 2),
    };
    // Feedback on this very alert (its fingerprint) is more specific than feedback on similar ones.
    const { tp, fp, fpAny } = choose(found, sim, exact);

    if (tp && fp) {
      return {
        result: this.review(
          base,
          [cite(tp, 'conflict'), cite(fp, 'conflict')],
          [`Analysts disagree on this key: ${said(tp)}; ${said(fp)}. Kept for review until one is revoked.`],
        ),
        applied: [],
      };
    }
    if (tp) {
      const r = base;
      return {
        result: {
          ...r,
          classification: 'TRUE_POSITIVE',
          decided_by: 'memory',
          confidence: Math.max(r.confidence, 90),
          severity: higher(r.severity, 'Medium'),
          title: `Confirmed by analyst: ${input.alert.name}`.slice(0, 160),
          reasoning: [`${said(tp)}; similarity: ${sim.text}.`, ...r.reasoning].slice(0, MAX_REASONS),
          memory: [cite(tp, 'applied')],
        },
        applied: [tp.id],
      };
    }
    if (fp) {
      const current = threatProfile(input.result, input.enrichment);
      // A process lineage this host never ran is a threat-leaning signal the judged alert did not have.
      if (facts.lineage?.firstOnHost && !facts.lineage.newHost)
        current.signals.push('baseline:first-lineage-on-host');
      const added = newThreatEvidence(current, fp.threat);
      if (added.length) {
        return {
          result: this.review(
            base,
            [cite(fp, 'conflict', added)],
            [
              `${said(fp)}, but this alert carries threat evidence that one did not (${added.slice(0, 4).join('; ')}): kept for review.`,
            ],
          ),
          applied: [],
        };
      }
      return {
        result: {
          ...base,
          classification: 'FALSE_POSITIVE',
          decided_by: 'memory',
          confidence: 95,
          severity: lower(base.severity, 'Low'),
          title: `Benign (analyst memory): ${input.alert.name}`.slice(0, 160),
          reasoning: [
            `${said(fp)}; similarity: ${sim.text}.`,
            'No threat evidence beyond what that alert had: no suspicious or malicious intel, no new threat-leaning signal.',
            ...base.reasoning,
          ].slice(0, MAX_REASONS),
          memory: [cite(fp, 'applied')],
        },
        applied: [fp.id],
      };
    }
    if (fpAny) {
      return {
        result: {
          ...base,
          reasoning: [
            ...base.reasoning,
            `${said(fpAny)}, but this key rests on attacker-shapeable content (no metadata detection and entity): not applied.`,
          ].slice(0, MAX_REASONS + 1),
          memory: [cite(fpAny, 'conflict', ['the similarity key is not anchored in metadata'])],
        },
        applied: [],
      };
    }
    return { result: base, applied: [] };
  }

  private review(base: TriageResult, citations: MemoryCitation[], notes: string[]): TriageResult {
    const keep = base.classification === 'TRUE_POSITIVE';
    return {
      ...base,
      classification: keep ? 'TRUE_POSITIVE' : 'NEEDS_REVIEW',
      confidence: keep ? base.confidence : 60,
      title: keep ? base.title : `Review: ${base.title.replace(/^(Benign: |Review: )/, '')}`.slice(0, 160),
      reasoning: [...notes, ...base.reasoning].slice(0, MAX_REASONS),
      flags: [...new Set([...base.flags, 'memory_conflict' as const])],
      memory: citations,
    };
  }
}

/**
 * One step toward TRUE_POSITIVE for a member of a kill chain: NEEDS_REVIEW becomes TRUE_POSITIVE,
 * a FALSE_POSITIVE goes back to review (an analyst's memory included: the chain is evidence the
 * judged alert did not have).
 */
export function raisedByIncident(r: TriageResult, note: string): TriageResult {
  if (r.classification === 'TRUE_POSITIVE')
    return { ...r, reasoning: [...r.reasoning, note].slice(0, MAX_REASONS + 1) };
  const up = r.classification === 'NEEDS_REVIEW';
  return {
    ...r,
    classification: up ? 'TRUE_POSITIVE' : 'NEEDS_REVIEW',
    confidence: up ? Math.max(r.confidence, 80) : 60,
    severity: up ? higher(r.severity, 'High') : r.severity,
    title:
      `${up ? 'Kill chain' : 'Review (kill chain)'}: ${r.title.replace(/^(Benign[^:]*: |Review: )/, '')}`.slice(
        0,
        160,
      ),
    reasoning: [note, ...r.reasoning].slice(0, MAX_REASONS),
    flags:
      r.decided_by === 'memory' && !up ? [...new Set([...r.flags, 'memory_conflict' as const])] : r.flags,
  };
}

/** The entity an alert's incident groups by: host, else user, else source address. */
export function incidentEntity(alert: NormalizedAlert): IncidentEntity | undefined {
  const s = alert.signals;
  const host = s?.host?.name ?? alert.host;
  if (host) return { type: 'host', value: host.toLowerCase() };
  const user = s?.auth?.user ?? s?.process?.user ?? alert.user;
  if (user) return { type: 'user', value: user.toLowerCase() };
  const ip = s?.network?.src_ip ?? alert.src_ip;
  return ip ? { type: 'source_ip', value: ip } : undefined;
}

function entitiesOf(alert: NormalizedAlert): string[] {
  const s = alert.signals;
  const out = [
    ['host', s?.host?.name ?? alert.host],
    ['user', s?.auth?.user ?? s?.process?.user ?? alert.user],
    ['source_ip', s?.network?.src_ip ?? alert.src_ip],
  ] as const;
  return out.filter(([, v]) => !!v).map(([k, v]) => `${k}:${String(v).toLowerCase()}`);
}

/** When the activity happened (the source's time), else now: incidents group by event time. */
function eventTime(alert: NormalizedAlert, now = Date.now()): number {
  for (const t of [alert.last_seen, alert.first_seen, alert.signals?.event?.time]) {
    const ms = t ? Date.parse(t) : Number.NaN;
    if (Number.isFinite(ms)) return ms;
  }
  return now;
}

/** What the baselines are keyed by: the key's detection parts, the entity, the lineage. */
export function baselineInput(alert: NormalizedAlert, sim: SimilarityKey) {
  const v = (n: string) => sim.parts.find((p) => p.name === n)?.value;
  const entity = v('host') ?? v('user');
  const host = v('host');
  const image = v('process_image');
  const parent = v('parent_image');
  return {
    detection: [v('detection'), v('detection_name') ?? alert.name].filter(Boolean).join(' | '),
    ...(entity ? { entity } : {}),
    ...(host ? { host } : {}),
    ...(image ? { image } : {}),
    ...(parent ? { parentImage: parent } : {}),
  };
}

/** The baselines as sentences with their numbers. */
export function baselineNotes(f: BaselineFacts): string[] {
  const out: string[] = [];
  const d = f.detection;
  if (d) {
    const confirmed =
      d.confirmed === 0 ? 'never confirmed by an analyst' : `confirmed ${d.confirmed} times by analysts`;
    out.push(
      d.count === 0
        ? `Baseline: first time this detection fired on ${d.entity} in ${f.days} days (seen on ${d.hosts} host${d.hosts === 1 ? '' : 's'}).`
        : `Baseline: this detection fired ${d.count} times on ${d.entity} in ${f.days} days, ${confirmed} (seen on ${d.hosts} host${d.hosts === 1 ? '' : 's'}).`,
    );
  }
  const l = f.lineage;
  if (l) {
    out.push(
      l.firstOnHost && !l.newHost
        ? `Baseline: first time ${l.pair} was ever seen on ${l.host}.`
        : `Baseline: ${l.pair} ran ${l.count} times on ${l.host} in ${f.days} days.`,
    );
  }
  return out;
}
