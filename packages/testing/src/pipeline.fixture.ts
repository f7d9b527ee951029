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
  /** Output of every process so far (for failure messages). */
  logs(): string;
  /** Sends a signal to every process of a service. */
  kill(service: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Starts `count` more processes of a service. */
  start(service: ServiceName, count?: number): void;
  stop(): Promise<void>;
}

/**
 * Runs the real services as separate processes (as `pnpm start` does), for end-to-end tests and
 * benchmarks. Resolves once ingest answers /health.
 */
export async function startPipeline(opts: {
  env: Record<string, string>;
  services?: Partial<Record<ServiceName, number>>;
}): Promise<RunningPipeline> {
  const port = await freePort();
  const env = { ...process.env, LOG_LEVEL: 'warn', ...opts.env, PORT: String(port), HOST: '127.0.0.1' };
  const procs = new Map<ServiceName, ChildProcess[]>();
  let output = '';

  const start = (service: ServiceName, count = 1) => {
    for (let i = 0; i < count; i++) {
      const child = spawn(process.execPath, ['--conditions=source', SERVICE_MAINS[service]], {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
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
  for (const [service, n] of Object.entries(counts)) start(service as ServiceName, n);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        const res = await fetch(`${url}/health`).catch(() => undefined);
        return res?.ok;
      },
      { timeoutMs: 30_000, intervalMs: 100, message: 'ingest /health' },
    );
  } catch (err) {
    for (const s of Object.keys(SERVICE_MAINS)) await kill(s as ServiceName, 'SIGKILL');
    throw new Error(`${(err as Error).message}\n${output}`);
  }
  return {
    url,
    logs: () => output,
    kill,
    start,
    async stop() {
      await Promise.all(Object.keys(SERVICE_MAINS).map((s) => kill(s as ServiceName)));
    },
  };
}
