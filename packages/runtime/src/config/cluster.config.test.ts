import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.ts';

describe('REDIS_CLUSTER_NODES', () => {
  it('defaults the prefix to a hash tag, so a stack lives in one cluster slot', () => {
    const c = loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7000,redis-2:7001' });
    expect(c.REDIS_CLUSTER_NODES).toEqual(['10.0.0.1:7000', '10.0.0.2:7000', 'redis-2:7001']);
    expect(c.QUEUE_PREFIX).toBe('{triage}');
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'r:7000', QUEUE_PREFIX: 'prod{soc}' }).QUEUE_PREFIX).toBe(
      'prod{soc}',
    );
    expect(loadConfig({}).REDIS_CLUSTER_NODES).toEqual([]);
  });

  it('refuses a prefix without a hash tag, and nodes that are not host:port', () => {
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'r:7000', QUEUE_PREFIX: 'triage' })).toThrow(
      /QUEUE_PREFIX.*hash tag, e\.g\. "\{triage\}"/,
    );
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'r:7000', QUEUE_PREFIX: '{}x' })).toThrow(/QUEUE_PREFIX/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'redis://r:7000' })).toThrow(/REDIS_CLUSTER_NODES/);
    // Without a cluster any valid prefix goes.
    expect(loadConfig({ QUEUE_PREFIX: 'triage' }).QUEUE_PREFIX).toBe('triage');
  });
});
