/**
 * An intake worker thread: prepares chunks of NDJSON lines (parse, read, compress) for the event
 * loop's Intake, which then only claims, stores and enqueues. See intake-pool.ts.
 */
import { parentPort } from 'node:worker_threads';
import { type PrepareTask, prepareLines } from './intake-prepare.ts';

parentPort?.on('message', (msg: { id: number; task: PrepareTask }) => {
  try {
    const results = prepareLines(msg.task);
    parentPort?.postMessage({ id: msg.id, results });
  } catch (err) {
    parentPort?.postMessage({ id: msg.id, failure: err instanceof Error ? err.message : String(err) });
  }
});
