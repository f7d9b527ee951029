import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TriageConfig } from '@triage/runtime';
import type { Json } from '@triage/testing';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/** docker-compose.yml passes the whole configuration and checks workers by their health endpoint. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);
const compose: string[] | undefined =
  spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0
    ? ['docker', 'compose']
    : spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0
      ? ['docker-compose']
      : undefined;
if (!compose)
  console.warn('neither `docker compose` nor docker-compose is installed: `compose config` check skipped');
const WORKERS = ['enrich-worker', 'classify-worker', 'deliver-worker'];

describe('docker-compose.yml', () => {
  const file: Json = parse(readFileSync(`${ROOT}docker-compose.yml`, 'utf8'), { merge: true });

  it('runs Redis with the documented default: AOF, noeviction, maxmemory under the container limit', () => {
    const redis = file.services.redis;
    expect(redis.volumes).toContain('./infra/redis.conf:/usr/local/etc/redis/redis.conf:ro');
    const conf = readFileSync(`${ROOT}infra/redis.conf`, 'utf8');
    expect(conf).toMatch(/^appendonly yes$/m);
    expect(conf).toMatch(/^appendfsync everysec$/m);
    expect(conf).toMatch(/^maxmemory-policy noeviction$/m);
    const mb = Number(/^maxmemory (\d+)mb$/m.exec(conf)?.[1]);
    expect(mb).toBeGreaterThan(0);
    expect(mb).toBeLessThan(Number(/^(\d+)g$/.exec(String(redis.mem_limit))?.[1]) * 1024);
  });

  it('gives every service the configuration file and the secrets, and probes the workers for real', () => {
    for (const name of ['ingest', ...WORKERS]) {
      const svc = file.services[name];
      expect(svc.env_file, name).toEqual(['infra/k8s/base/triage.env']);
      expect(Object.keys(svc.environment), name).toEqual(
        expect.arrayContaining(['TRIAGE_API_KEYS', 'VIRUSTOTAL_API_KEY', 'GEMINI_API_KEY', 'WEBHOOK_SECRET']),
      );
    }
    for (const w of WORKERS) expect(file.services[w].healthcheck.test.join(' ')).toContain('/livez');
    expect(file.services.ingest.healthcheck.test.join(' ')).toContain('/readyz');
  });

  it.skipIf(!compose)('`compose config` validates it and every service gets every variable', async () => {
    const [cmd, ...args] = compose!;
    const { stdout } = await run(cmd!, [...args, '-f', 'docker-compose.yml', 'config'], {
      cwd: ROOT,
      env: { ...process.env, TRIAGE_API_KEYS: 'compose-test-key' },
    });
    const resolved: Json = parse(stdout);
    const all = Object.keys(TriageConfig.shape);
    for (const name of ['ingest', ...WORKERS]) {
      const env = resolved.services[name].environment;
      const keys = Array.isArray(env) ? env.map((e: string) => e.split('=')[0]) : Object.keys(env);
      expect(
        all.filter((k) => !keys.includes(k)),
        name,
      ).toEqual([]);
    }
    expect(resolved.services.ingest.environment.TRIAGE_API_KEYS ?? '').toBe('compose-test-key');
  });
});
