import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { loadConfig, TriageConfig } from '@triage/runtime';
import type { Json } from '@triage/testing';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { isSecret, renderEnvFile, renderSecretsFile } from '../../scripts/config-table.ts';

const ROOT = new URL('../../', import.meta.url);
const path = (p: string) => new URL(p, ROOT).pathname;
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;

/** A rendered manifest; checked field by field below. */
type K8sObject = Json;

const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
};

/** `kubectl kustomize <dir>` (kustomize v5 inside kubectl) → its objects. */
function render(dir: string): K8sObject[] {
  const out = execFileSync('kubectl', ['kustomize', path(dir)], { encoding: 'utf8' });
  return parseAllDocuments(out).map((d) => d.toJSON() as K8sObject);
}

describe('the configuration files carry every variable', () => {
  it('triage.env (ConfigMap, compose env_file) and the example secrets.env are current (`pnpm docs:config`)', () => {
    const env = readFileSync(path('infra/k8s/base/triage.env'), 'utf8');
    const secrets = readFileSync(path('infra/k8s/overlays/example/secrets.env'), 'utf8');
    expect(renderEnvFile(env)).toBe(env);
    expect(renderSecretsFile(secrets)).toBe(secrets);
    const keys = (text: string) => [...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
    const all = Object.keys(TriageConfig.shape);
    expect([...keys(env), ...keys(secrets)].sort()).toEqual([...all].sort());
    expect(keys(env).filter(isSecret)).toEqual([]);
  });
});

describe.skipIf(!hasKubectl)(
  'Kubernetes manifests (kubectl kustomize, validated against the Kubernetes schemas)',
  () => {
    const overlay = hasKubectl ? render('infra/k8s/overlays/example') : [];
    const base = hasKubectl ? render('infra/k8s/base') : [];
    const byKind = (kind: string) => overlay.filter((o) => o.kind === kind);
    const one = (kind: string, name: string) =>
      overlay.find((o) => o.kind === kind && o.metadata.name === name)!;

    it('renders base and overlay, and every object validates against its schema', () => {
      expect(base.length).toBeGreaterThan(10);
      for (const o of [...base, ...overlay]) {
        const Model = MODELS[`${o.apiVersion}/${o.kind}`];
        expect(Model, `${o.apiVersion} ${o.kind} has a schema`).toBeDefined();
        expect(() => new Model!(o as never).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
      }
      for (const o of overlay) if (o.kind !== 'Namespace') expect(o.metadata.namespace).toBe('triage');
      // The schemas do bite: a wrong type or an unknown trigger field is refused.
      const d = structuredClone(overlay.find((o) => o.kind === 'Deployment'));
      d.spec.replicas = 'two';
      expect(() => new Deployment(d).validate()).toThrow();
      const s = structuredClone(overlay.find((o) => o.kind === 'ScaledObject'));
      s.spec.triggers = 'prometheus';
      expect(() => new ScaledObject(s).validate()).toThrow();
    });

    it('passes the whole configuration and it loads', () => {
      const config = byKind('ConfigMap').find((c) => c.metadata.name.startsWith('triage-config'))!;
      const secret = byKind('Secret').find((s) => s.metadata.name.startsWith('triage-secrets'))!;
      const secretEnv = Object.fromEntries(
        Object.entries(secret.data as Record<string, string>).map(([k, v]) => [
          k,
          Buffer.from(v, 'base64').toString(),
        ]),
      );
      expect([...Object.keys(config.data), ...Object.keys(secretEnv)].sort()).toEqual(
        Object.keys(TriageConfig.shape).sort(),
      );
      const loaded = loadConfig({ ...config.data, ...secretEnv });
      expect(loaded).toMatchObject({ HOST: '0.0.0.0', WORKER_HTTP_PORT: 9464, VIRUSTOTAL_DAILY_QUOTA: 0 });
      for (const d of byKind('Deployment')) {
        const c = d.spec.template.spec.containers[0];
        expect(c.envFrom.map((e: Record<string, { name: string }>) => Object.values(e)[0]!.name)).toEqual([
          config.metadata.name,
          secret.metadata.name,
        ]);
      }
    });

    it('every Deployment: resources, real probes, graceful termination within the shutdown registry, a PDB', () => {
      const config = byKind('ConfigMap').find((c) => c.metadata.name.startsWith('triage-config'))!;
      const shutdownMs = loadConfig(config.data).SHUTDOWN_TIMEOUT_MS;
      const deployments = byKind('Deployment');
      expect(deployments.map((d) => d.metadata.name).sort()).toEqual(
        ['classify-worker', 'deliver-worker', 'enrich-worker', 'ingest'].sort(),
      );
      for (const d of deployments) {
        const pod = d.spec.template.spec;
        const c = pod.containers[0];
        expect(
          c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory,
          d.metadata.name,
        ).toBeTruthy();
        for (const probe of [c.readinessProbe, c.livenessProbe])
          expect(probe.httpGet.path).toMatch(/^\/(livez|readyz)$/);
        expect(c.livenessProbe.httpGet.path).toBe('/livez');
        const preStop = Number(c.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
        expect(pod.terminationGracePeriodSeconds * 1000, d.metadata.name).toBeGreaterThanOrEqual(
          preStop * 1000 + shutdownMs + 5000,
        );
        const pdb = byKind('PodDisruptionBudget').find(
          (p) => p.spec.selector.matchLabels['app.kubernetes.io/name'] === d.metadata.name,
        );
        expect(pdb, `PDB for ${d.metadata.name}`).toBeDefined();
        expect(pod.securityContext.runAsNonRoot).toBe(true);
      }
      expect(one('Deployment', 'ingest').spec.template.spec.containers[0].readinessProbe.httpGet.path).toBe(
        '/readyz',
      );
      for (const w of ['enrich-worker', 'classify-worker', 'deliver-worker']) {
        const c = one('Deployment', w).spec.template.spec.containers[0];
        expect(c.readinessProbe.httpGet).toMatchObject({ path: '/readyz', port: 'ops' });
        expect(c.ports[0].containerPort).toBe(9464);
        expect(one('Service', `${w}-metrics`).spec.clusterIP).toBe('None');
      }
    });

    it('a single Redis with AOF and noeviction on a volume', () => {
      const redisConf = byKind('ConfigMap').find((c) => c.metadata.name.startsWith('redis-config'))!.data[
        'redis.conf'
      ];
      expect(redisConf).toMatch(/^appendonly yes$/m);
      expect(redisConf).toMatch(/^maxmemory-policy noeviction$/m);
      // Alert records and job hashes as listpacks: the 2 KB-per-queued-alert footprint depends on it.
      expect(redisConf).toMatch(/^hash-max-listpack-value 1024$/m);
      const sts = one('StatefulSet', 'redis');
      expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
      expect(one('Service', 'redis').spec.ports[0].port).toBe(6379);
    });

    it('KEDA scales enrich and classify on the prioritized backlog, enrich capped', () => {
      const scaled = byKind('ScaledObject');
      expect(scaled.map((s) => s.spec.scaleTargetRef.name).sort()).toEqual([
        'classify-worker',
        'enrich-worker',
      ]);
      for (const s of scaled) {
        const t = s.spec.triggers[0];
        expect(t.type).toBe('prometheus');
        expect(t.metadata.query).toContain('prioritized');
        expect(one('Deployment', s.spec.scaleTargetRef.name)).toBeDefined();
      }
      expect(
        scaled.find((s) => s.metadata.name === 'enrich-worker')!.spec.maxReplicaCount,
      ).toBeLessThanOrEqual(10);
    });
  },
);
