export {
  type AutonomyMode,
  type AutonomyPolicy,
  autonomyPolicy,
  disposition,
  neverAutoClose,
} from './autonomy-policy.ts';
export { type BaselineFacts, BaselineStore, type BaselineStoreOptions } from './baseline-store.ts';
export { FeedbackStore, type FeedbackStoreOptions, type NewFeedback } from './feedback-store.ts';
export { foldImage, foldText, urlTemplate } from './fold.ts';
export { IncidentStore, type IncidentStoreOptions, type MemberInput } from './incident-store.ts';
export { killChain, type TacticSighting } from './kill-chain.ts';
export { alertKey, similarityKey, sourceNetwork } from './similarity-key.ts';
export { newThreatEvidence, threatProfile } from './threat-profile.ts';
export {
  baselineInput,
  baselineNotes,
  type IncidentUpdate,
  incidentEntity,
  type MemoryInput,
  type MemoryOutcome,
  type Recall,
  raisedByIncident,
  VerdictMemory,
  type VerdictMemoryOptions,
} from './verdict-memory.ts';
