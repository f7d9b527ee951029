import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { waitFor } from './redis.fixture.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const SERVICE_MAINS = {
  ingest: 'services/ingest/src/main.ts',
  enrich: 'services/enrich-worker/src/main.ts',
  classify: 'services/classify-worker/src/main.ts',
  deliver: 'services/deliver-worker/src/main.ts',
} as const;
export type ServiceName = keyof typeof SERVICE_MAINS;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface RunningPipeline {
  url: string;
  /** `/metrics`, `/livez`, `/readyz` base URL of every running worker process (WORKER_HTTP_PORT). */
  workerUrls(service?: ServiceName): string[];
  /** Output of every process so far (for failure messages). */
  logs(): string;
  /** Sends a signal to every process of a service. */
  kill(service: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Starts `count` more processes of a service. */
  start(service: ServiceName, count?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * How long `startPipeline` waits for ingest to answer /health. Starting the Node processes (six with the ops servers) that
 * load TypeScript sources takes about 2 s on an idle machine and over 30 s on a shared CI box
 * running several suites: the deadline is generous so load alone never fails a test. A hook
 * that starts a pipeline allows `PIPELINE_HOOK_TIMEOUT_MS`.
 */
export const PIPELINE_START_TIMEOUT_MS = 150_000;
export const PIPELINE_HOOK_TIMEOUT_MS = PIPELINE_START_TIMEOUT_MS + 30_000;

/**
 * Runs the real services as separate processes (as `pnpm start` does), for end-to-end tests and
 * benchmarks. Resolves once ingest answers /health and every worker process its ops port.
 */
export async function startPipeline(opts: {
  env: Record<string, string>;
  services?: Partial<Record<ServiceName, number>>;
  /** Deadline for ingest's /health (default PIPELINE_START_TIMEOUT_MS). */
  startTimeoutMs?: number;
}): Promise<RunningPipeline> {
  const port = await freePort();
  const env = { ...process.env, LOG_LEVEL: 'warn', ...opts.env, PORT: String(port), HOST: '127.0.0.1' };
  const procs = new Map<ServiceName, ChildProcess[]>();
  const opsUrls = new Map<ChildProcess, { service: ServiceName; url: string }>();
  let output = '';

  const start = async (service: ServiceName, count = 1) => {
    for (let i = 0; i < count; i++) {
      // Each worker process serves its own metrics and probes, as one container per process would.
      const opsPort = service === 'ingest' ? 0 : await freePort();
      const child = spawn(process.execPath, ['--conditions=source', SERVICE_MAINS[service]], {
        cwd: ROOT,
        env: { ...env, ...(opsPort ? { WORKER_HTTP_PORT: String(opsPort) } : {}) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      if (opsPort) opsUrls.set(child, { service, url: `http://127.0.0.1:${opsPort}` });
      child.once('exit', () => opsUrls.delete(child));
      const tag = `[${service}:${child.pid}] `;
      const capture = (d: Buffer) => {
        output += d
          .toString()
          .split('\n')
          .filter(Boolean)
          .map((l) => tag + l)
          .join('\n')
          .concat('\n');
        if (output.length > 200_000) output = output.slice(-100_000);
      };
      child.stdout?.on('data', capture);
      child.stderr?.on('data', capture);
      procs.set(service, [...(procs.get(service) ?? []), child]);
    }
  };

  const kill = async (service: ServiceName, signal: NodeJS.Signals = 'SIGTERM') => {
    const list = procs.get(service) ?? [];
    procs.set(service, []);
    await Promise.all(
      list.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill(signal);
          }),
      ),
    );
  };

  const counts = { ingest: 1, enrich: 1, classify: 1, deliver: 1, ...opts.services };
  for (const [service, n] of Object.entries(counts)) await start(service as ServiceName, n);
  const url = `http://127.0.0.1:${port}`;
  try {
    // Ingest answers /health, and every worker process serves its ops port (a test may scrape or
    // probe a worker at once; loading a worker's sources takes longer than ingest's on a busy box).
    await waitFor(
      async () => {
        const res = await fetch(`${url}/health`).catch(() => undefined);
        if (!res?.ok) return false;
        const up = await Promise.all(
          [...opsUrls.values()].map((o) =>
            fetch(`${o.url}/livez`).then(
              () => true,
              () => false,
            ),
          ),
        );
        return up.every(Boolean);
      },
      {
        timeoutMs: opts.startTimeoutMs ?? PIPELINE_START_TIMEOUT_MS,
        intervalMs: 100,
        message: 'ingest /health and every worker ops port',
      },
    );
  } catch (err) {
    for (const s of Object.keys(SERVICE_MAINS)) await kill(s as ServiceName, 'SIGKILL');
    throw new Error(`${(err as Error).message}\n${output}`);
  }
  return {
    url,
    workerUrls: (service) =>
      [...opsUrls.values()].filter((o) => !service || o.service === service).map((o) => o.url),
    logs: () => output,
    kill,
    start,
    async stop() {
      await Promise.all(Object.keys(SERVICE_MAINS).map((s) => kill(s as ServiceName)));
    },
  };
}
