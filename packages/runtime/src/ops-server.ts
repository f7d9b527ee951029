import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics.ts';
import type { HealthCheck, WorkerHealth } from './worker-health.ts';

export interface OpsServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  metrics: Metrics;
  health: WorkerHealth;
}

export interface OpsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A worker process's own small HTTP endpoint: `GET /metrics` (this process's counters, for
 * Prometheus), `GET /livez` and `GET /readyz` (200 or 503 with the problems, for probes). Plain
 * node:http: a worker has no other HTTP to serve, and probes must answer even while it is busy.
 */
export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const check = (res: import('node:http').ServerResponse, c: HealthCheck) => {
    res.writeHead(c.ok ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: c.ok ? 'ok' : 'unhealthy', problems: c.problems }));
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/livez') return check(res, opts.health.live());
    if (path === '/readyz') return check(res, opts.health.ready());
    if (path === '/metrics') {
      opts.metrics.render().then(
        (body) => res.writeHead(200, { 'content-type': opts.metrics.contentType }).end(body),
        () => res.writeHead(500).end(),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"status":"not found"}');
  });
  // Probes and scrapes are short; a client that dawdles must not keep sockets open.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
