export { buildApp } from './app.ts';
export type { AppDeps } from './app-deps.ts';
export { createIngestDeps } from './wiring.ts';
