/**
 * Every real SIEM sample under test/fixtures goes in through the HTTP API (JSON files one by one on
 * POST /v1/alerts, NDJSON files on the batch endpoint), is detected as its format, and reads back
 * from GET /v1/alerts/:id with the fields a person reads off the original.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { buildApp, createIngestDeps } from '@triage/ingest';
import { createLogger, loadConfig, Shutdown, waitForRedis } from '@triage/runtime';
import { type RedisFixture, redisFixture } from '@triage/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FIXTURES = new URL('../fixtures/', import.meta.url);
let fx: RedisFixture;
let app: FastifyInstance;
let shutdown: Shutdown;

beforeAll(async () => {
  fx = await redisFixture('e2e-fixtures');
  const logger = createLogger('test', 'silent');
  shutdown = new Shutdown(logger, 5000);
  const deps = createIngestDeps(
    loadConfig({ REDIS_URL: fx.url, QUEUE_PREFIX: fx.prefix, LOG_LEVEL: 'silent', BATCH_MAX_ITEMS: '20000' }),
    logger,
    shutdown,
  );
  await waitForRedis(deps.redis, fx.url);
  app = await buildApp(deps);
});
afterAll(async () => {
  await app.close();
  await shutdown.run('test');
  await fx.close();
});

/** Files a SIEM would send, with the format each must be detected as. */
const FILES: Array<{
  dir: string;
  match: RegExp;
  format: string;
  unwrap?: (o: Record<string, unknown>) => unknown;
}> = [
  { dir: 'sentinel', match: /\.(json|ndjson)$/, format: 'sentinel' },
  // Connector tables: CEF and alert-shaped custom logs are Sentinel; other custom tables are generic JSON.
  {
    dir: 'sentinel/connector-alert-samples',
    match: /(crowdstrike|agari|bettermtd).*\.ndjson$/,
    format: 'sentinel',
  },
  { dir: 'sentinel/connector-alert-samples', match: /(alcide|prismacloud).*\.ndjson$/, format: 'generic' },
  { dir: 'splunk', match: /\.json$/, format: 'splunk' },
  { dir: 'elastic', match: /\.(json|ndjson)$/, format: 'elastic' },
  { dir: 'wazuh', match: /^wazuh_alerts_aitads_(attack|no_attack).*\.ndjson$/, format: 'wazuh' },
  { dir: 'wazuh', match: /nshot.*\.ndjson$/, format: 'wazuh', unwrap: (o) => o.alert },
  { dir: 'wazuh', match: /event_labeled\.ndjson$/, format: 'generic' },
  { dir: 'suricata-ecs', match: /\.ndjson$/, format: 'suricata' },
  { dir: 'ocsf', match: /\.ocsf\.json$/, format: 'ocsf' },
  { dir: 'ocsf', match: /\.raw_.*\.json$/, format: 'generic' },
];

/** The original service's samples, posted as its clients sent them (wrapped, bare, exact API bodies). */
interface Seed {
  shape: 'wrapped' | 'bare' | 'api_body' | 'bare_string';
  name: string;
  alert: unknown;
}
const SEEDS = JSON.parse(readFileSync(new URL('seed/seed_alerts.json', FIXTURES), 'utf8')) as Seed[];
const seedBody = (s: Seed) => (s.shape === 'wrapped' ? { name: s.name, alert: s.alert } : s.alert);
/** Plain text, or plain text where the original format's alert object belongs (`{"alert": "test"}`). */
const textAlert = (s: Seed) =>
  s.shape === 'bare_string' || typeof (s.alert as { alert?: unknown } | null)?.alert === 'string';

function records(path: URL): unknown[] {
  const text = readFileSync(path, 'utf8');
  if (path.pathname.endsWith('.ndjson'))
    return text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l));
  const v = JSON.parse(text);
  if (Array.isArray(v)) return v;
  if (Array.isArray(v.value)) return v.value;
  // Azure REST API spec examples: the payloads Sentinel answers are the example's response body.
  const body = v.responses?.['200']?.body;
  if (body) return Array.isArray(body.value) ? body.value : [body];
  return [v];
}

const formats: Array<[string, string, number]> = [];

describe.each(FILES)('$dir $match', ({ dir, match, format, unwrap }) => {
  const files = readdirSync(new URL(`${dir}/`, FIXTURES)).filter((f) => match.test(f));
  it.each(files)('%s is accepted and detected', async (file) => {
    const items = records(new URL(`${dir}/${file}`, FIXTURES)).map((r) =>
      unwrap ? unwrap(r as Record<string, unknown>) : r,
    );
    let ids: string[];
    if (file.endsWith('.ndjson')) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/alerts/batch',
        headers: { 'content-type': 'application/x-ndjson' },
        payload: items.map((i) => JSON.stringify(i)).join('\n'),
      });
      expect(res.statusCode, res.body.slice(0, 500)).toBe(202);
      expect(res.json().rejected).toEqual([]);
      ids = res.json().ids;
    } else {
      ids = [];
      for (const item of items) {
        const res = await app.inject({ method: 'POST', url: '/v1/alerts', payload: item as object });
        expect(res.statusCode, res.body.slice(0, 500)).toBe(202);
        ids.push(res.json().id);
      }
    }
    expect(ids.length).toBe(items.length);
    const first = (await app.inject({ method: 'GET', url: `/v1/alerts/${ids[0]}` })).json();
    expect(first.alert.format).toBe(format);
    expect(first.alert.name.length).toBeGreaterThan(0);
    formats.push([`${dir}/${file}`, first.alert.format, items.length]);
  });
});

describe("the original service's samples", () => {
  it.each(SEEDS.filter((s) => !textAlert(s)))('$shape: $name', async (seed) => {
    const res = await app.inject({ method: 'POST', url: '/v1/alerts', payload: seedBody(seed) as object });
    expect(res.statusCode, res.body).toBe(202);
    const a = (await app.inject({ method: 'GET', url: `/v1/alerts/${res.json().id}` })).json().alert;
    if (seed.shape === 'wrapped') expect(a.name).toBe(seed.name);
    expect(a.name.length).toBeGreaterThan(0);
  });

  it('a plain-text alert is a 400, not a crash', async () => {
    const text = SEEDS.filter(textAlert);
    expect(text.length).toBeGreaterThanOrEqual(2);
    for (const seed of text) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/alerts',
        payload: JSON.stringify(seed.alert),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.statusCode).toBe(400);
    }
  });
});

describe('what a person reads off the original', () => {
  const view = async (payload: object) => {
    const { id } = (await app.inject({ method: 'POST', url: '/v1/alerts', payload })).json();
    return (await app.inject({ method: 'GET', url: `/v1/alerts/${id}` })).json().alert;
  };

  it('Wazuh: rule name, source IP, host, ATT&CK', async () => {
    const line = readFileSync(
      new URL('wazuh/wazuh_alerts_aitads_nshot_16_labeled.ndjson', FIXTURES),
      'utf8',
    ).split('\n')[10]!;
    const raw = JSON.parse(line).alert;
    const a = await view(raw);
    expect(a.name).toBe(raw.rule.description);
    expect(a.rule_id).toBe(String(raw.rule.id));
    if (raw.data?.srcuser) expect(a.user).toBe(raw.data.srcuser);
    expect(a.host).toBeTruthy();
  });

  it('Suricata ECS: signature, source and destination', async () => {
    const raw = JSON.parse(
      readFileSync(new URL('suricata-ecs/suricata_alerts_ecs_malcolm_6.ndjson', FIXTURES), 'utf8').split(
        '\n',
      )[0]!,
    );
    const a = await view(raw);
    expect(a.format).toBe('suricata');
    expect(a.src_ip).toBe(raw.source.ip);
    expect(a.dst_ip).toBe(raw.destination.ip);
    expect(a.name).toContain(raw.rule.name);
  });

  it('Sentinel SecurityAlert: alert name and entities', async () => {
    const raw = JSON.parse(
      readFileSync(new URL('sentinel/securityalert_msticpy_alertlist.ndjson', FIXTURES), 'utf8').split(
        '\n',
      )[0]!,
    );
    const a = await view(raw);
    expect(a.format).toBe('sentinel');
    expect(a.name).toBe(raw.AlertDisplayName ?? raw.AlertName);
    expect(a.host ?? a.user ?? a.src_ip).toBeTruthy();
  });

  it('the original service format', async () => {
    const a = await view({
      name: 'Brute Force',
      alert: { user: 'alice@company.com', source_ip: '193.32.162.157', failed_logins: 12, success: 'true' },
    });
    expect(a).toMatchObject({
      format: 'original',
      name: 'Brute Force',
      user: 'alice@company.com',
      src_ip: '193.32.162.157',
    });
  });
});

describe('re-sent source alerts', () => {
  it('the same SIEM alert twice returns the first id and is queued once', async () => {
    const raw = JSON.parse(
      readFileSync(new URL('sentinel/securityalert_msticpy_alertlist.ndjson', FIXTURES), 'utf8').split(
        '\n',
      )[1]!,
    );
    const first = (await app.inject({ method: 'POST', url: '/v1/alerts', payload: raw })).json();
    const second = (await app.inject({ method: 'POST', url: '/v1/alerts', payload: raw })).json();
    expect(second.id).toBe(first.id);
    expect(second.duplicate).toBe(true);
    const batch = (
      await app.inject({ method: 'POST', url: '/v1/alerts/batch', payload: { alerts: [raw, raw] } })
    ).json();
    expect(batch.ids).toEqual([first.id, first.id]);
    // A new source alert repeated inside one batch: queued once, both positions answer its id.
    const fresh = { ...raw, SystemAlertId: 'never-seen-before-1', ProviderAlertId: 'never-seen-before-1' };
    const twice = (
      await app.inject({ method: 'POST', url: '/v1/alerts/batch', payload: { alerts: [fresh, fresh] } })
    ).json();
    expect(twice.ids[0]).toBe(twice.ids[1]);
    expect(twice.ids[0]).not.toBe(first.id);
  });
});

afterAll(() => {
  if (process.env.FIXTURE_FORMATS) console.log(formats.map((f) => f.join('\t')).join('\n'));
});
