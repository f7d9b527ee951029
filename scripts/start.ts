/**
 * `pnpm start`: the whole pipeline on one box, offline defaults. Each service runs as its own
 * process (as in production); Redis is found at REDIS_URL (or REDIS_CLUSTER_NODES), or started
 * locally when nothing answers at a local REDIS_URL and `redis-server` is on PATH — never when
 * cluster nodes are given.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { type AddressInfo, connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const redisUrl = new URL(process.env.REDIS_URL || 'redis://127.0.0.1:6379');
const SERVICES = [
  { name: 'ingest', main: 'services/ingest/src/main.ts', count: 1 },
  {
    name: 'enrich',
    main: 'services/enrich-worker/src/main.ts',
    count: Number(process.env.ENRICH_WORKERS ?? 1),
  },
  {
    name: 'classify',
    main: 'services/classify-worker/src/main.ts',
    count: Number(process.env.CLASSIFY_WORKERS ?? 1),
  },
  { name: 'deliver', main: 'services/deliver-worker/src/main.ts', count: 1 },
];

/** The memory setting of infra/redis.conf (small hashes as listpacks) for a local redis-server. */
const MEMORY = ['--hash-max-listpack-value', '1024'];

function log(msg: string): void {
  process.stdout.write(`[start] ${msg}\n`);
}

/** A raw RESP PING, so this launcher needs no dependencies. */
function ping(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    // -NOAUTH also proves a Redis is there; the services will use the credentials in REDIS_URL.
    sock.on('data', (d) => done(/^(\+PONG|-NOAUTH)/.test(d.toString())));
  });
}

/** With REDIS_CLUSTER_NODES the cluster is the operator's: check a node answers, never start one. */
async function checkCluster(nodes: string[]): Promise<undefined> {
  for (const n of nodes) {
    const i = n.lastIndexOf(':');
    if (await ping(n.slice(0, i), Number(n.slice(i + 1)))) {
      log(`using the Redis Cluster at ${nodes.join(',')}`);
      return undefined;
    }
  }
  process.stderr.write(`[start] no node of REDIS_CLUSTER_NODES (${nodes.join(',')}) answers.\n`);
  process.exit(1);
}

async function ensureRedis(): Promise<ChildProcess | undefined> {
  const clusterNodes = (process.env.REDIS_CLUSTER_NODES ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  if (clusterNodes.length) return checkCluster(clusterNodes);
  const host = redisUrl.hostname || '127.0.0.1';
  const port = Number(redisUrl.port || 6379);
  if (await ping(host, port)) {
    log(`using Redis at ${redisUrl.host}`);
    return undefined;
  }
  const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host);
  const hasServer = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!local || !hasServer) {
    process.stderr.write(
      `[start] nothing answers at ${redisUrl.host}. Start Redis (e.g. \`redis-server\`, \`docker compose up -d redis\`, or \`apt-get install redis-server\`) or set REDIS_URL.\n`,
    );
    process.exit(1);
  }
  log(
    `nothing answers at ${redisUrl.host}: starting a local redis-server on port ${port} (no persistence; for production use docker-compose.yml)`,
  );
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...MEMORY],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 50; i++) {
    if (await ping(host, port)) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  process.stderr.write('[start] the local redis-server did not come up\n');
  process.exit(1);
}

const children: ChildProcess[] = [];
let stopping = false;

function stopAll(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
  const timer = setTimeout(() => process.exit(code), 15_000);
  timer.unref();
  // Services drain first; a Redis we started goes last so their shutdown can still reach it.
  void Promise.all(
    children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))),
  ).then(() => {
    redis?.kill('SIGTERM');
    process.exit(code);
  });
}

function prefixLines(name: string, stream: NodeJS.ReadableStream, out: NodeJS.WriteStream): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let i = buf.indexOf('\n');
    while (i >= 0) {
      out.write(`[${name}] ${buf.slice(0, i)}\n`);
      buf = buf.slice(i + 1);
      i = buf.indexOf('\n');
    }
  });
}

/** A free loopback port for a worker's /metrics and probes (WORKER_HTTP_PORT). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const redis = await ensureRedis();
// WORKER_HTTP_PORT=N numbers the workers' endpoints from N; unset, each worker gets a free port.
let nextOpsPort = Number(process.env.WORKER_HTTP_PORT || 0);
const endpoints: string[] = [];
for (const svc of SERVICES) {
  for (let i = 0; i < svc.count; i++) {
    const name = svc.count > 1 ? `${svc.name}-${i + 1}` : svc.name;
    const env = { ...process.env };
    if (svc.name !== 'ingest') {
      const port = nextOpsPort > 0 ? nextOpsPort++ : await freePort();
      env.WORKER_HTTP_PORT = String(port);
      endpoints.push(`${name} http://127.0.0.1:${port}/metrics`);
    }
    const child = spawn(process.execPath, ['--conditions=source', svc.main], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prefixLines(name, child.stdout!, process.stdout);
    prefixLines(name, child.stderr!, process.stderr);
    child.on('exit', (code, signal) => {
      if (stopping) return;
      log(`${name} exited (${signal ?? code}); stopping the pipeline`);
      stopAll(1);
    });
    children.push(child);
  }
}
log(
  `pipeline starting: http://${process.env.HOST || '127.0.0.1'}:${process.env.PORT || 3000} (Bull Board at /admin/queues, API docs at /docs)`,
);
log(`worker metrics and probes (/metrics, /livez, /readyz): ${endpoints.join(', ')}`);
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));
