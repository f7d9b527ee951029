export { type EvalOptions, main as evalMain, runEval } from './eval.ts';
export {
  attachLabels,
  attackStepTruth,
  type EvalItem,
  parseAlerts,
  parseCsv,
  parseLabels,
} from './eval-input.ts';
export {
  type EvalReport,
  type EvalRow,
  formatReport,
  normalizeLabel,
  type Outcome,
  scoreEval,
  type Truth,
} from './eval-score.ts';
export { main as triageMain, renderHealth } from './triage.ts';
