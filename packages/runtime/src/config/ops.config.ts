import { z } from 'zod';
import { EnvInt } from './env.ts';

/** How a worker process is watched: its own small HTTP endpoint and its health rules. */
export const OpsConfig = z.object({
  /**
   * Port of a worker process's `/metrics`, `/livez` and `/readyz` (Prometheus and probes); 0 = off.
   * One process per container or pod: 9464 there; `pnpm start` picks a free port per worker.
   */
  WORKER_HTTP_PORT: EnvInt(0, 65535).default(0),
  /** Listen address of that endpoint. `0.0.0.0` in a container, so the kubelet and Prometheus reach it. */
  WORKER_HTTP_HOST: z.string().default('127.0.0.1'),
  /**
   * A job running longer than this marks the worker stuck: `/livez` fails and the orchestrator
   * restarts it (its jobs are taken over). Every call a job makes is time-boxed far below this.
   */
  WORKER_STUCK_MS: EnvInt(10_000).default(300_000),
});
