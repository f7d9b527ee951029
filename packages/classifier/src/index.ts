export { extractFeatures } from './alert-features.ts';
export { Classifier, type ClassifierOptions, type ClassifierStatus } from './classifier.ts';
export { costUsd, formatUsd, priceFor, type Usage, usageFrom } from './cost.ts';
export { LlmVerdict, llmVerdictJsonSchema } from './gemini/verdict.schema.ts';
export { detectInjection, type InjectionFinding } from './guardrails.ts';
export { resolveMitre, techniqueTable } from './mitre.ts';
export type { Evidence, RulesSettings } from './rules/evidence.ts';
export { type RulesVerdict, runRules } from './rules/rules-engine.ts';
export { intelDigest, signalsDigest } from './verdict-cache.ts';
