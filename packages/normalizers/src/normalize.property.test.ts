import { AlertFormat, NormalizedAlert, ValidationError } from '@triage/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectFormat, normalize } from './index.ts';
import {
  alertFixtureFiles,
  expectIdentityAgrees,
  fixtureRecords,
  refusedByDesign,
} from './test-support/fixtures.ts';

/**
 * normalize sits on the ingest path of untrusted input: whatever arrives, it either returns a
 * schema-valid alert or throws ValidationError, and a ValidationError caused by a bug (the
 * "internal normalizer error" safety net) counts as a failure here.
 */

const INTERNAL = 'internal normalizer error';

function check(input: unknown, format?: AlertFormat): void {
  expectIdentityAgrees(input, format ? { format } : {});
  let alert: NormalizedAlert;
  try {
    alert = normalize(input, format ? { format } : {});
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).details.map((d) => d.message)).not.toContain(INTERNAL);
    return;
  }
  const parsed = NormalizedAlert.safeParse(alert);
  expect(parsed.success).toBe(true);
  expect(alert.name.length).toBeGreaterThan(0);
}

/** First records of every fixture file (objects only), the seeds for mutation. */
const SAMPLES: Array<Record<string, unknown>> = alertFixtureFiles().flatMap((rel) =>
  fixtureRecords(rel)
    .slice(0, 3)
    .filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null && !Array.isArray(r)),
);

type Path = Array<string | number>;

/** Every path into a JSON value (bounded), so a mutation can target any field. */
function paths(v: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (out.length > 2000 || prefix.length > 8) return out;
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push([...prefix, i]);
      paths(x, [...prefix, i], out);
    });
  } else if (typeof v === 'object' && v !== null) {
    for (const k of Object.keys(v)) {
      out.push([...prefix, k]);
      paths((v as Record<string, unknown>)[k], [...prefix, k], out);
    }
  }
  return out;
}

type Mutation = { at: number; op: 'delete' | 'set' | 'stringify' | 'wrap'; value: unknown };

function mutate(doc: Record<string, unknown>, mutations: Mutation[]): Record<string, unknown> {
  const copy = structuredClone(doc);
  for (const m of mutations) {
    const all = paths(copy);
    if (all.length === 0) break;
    const path = all[m.at % all.length]!;
    const parent = path
      .slice(0, -1)
      .reduce<unknown>((node, k) => (node as Record<string, unknown>)[k], copy) as Record<
      string | number,
      unknown
    >;
    const key = path[path.length - 1]!;
    if (m.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
    } else if (m.op === 'set') parent[key] = m.value;
    else if (m.op === 'stringify') parent[key] = JSON.stringify(parent[key]) ?? 'undefined';
    else parent[key] = [parent[key], m.value];
  }
  return copy;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('delete', 'set', 'stringify', 'wrap'),
  value: fc.oneof(
    fc.jsonValue(),
    fc.constantFrom('', '-', 'unknown', '0x1f', '999999', '1.2.3.4', '::1', 'T1059.001', 'x'.repeat(70_000)),
    fc.integer(),
    fc.double(),
  ),
});

const formats = fc.constantFrom(...AlertFormat.options);

describe('normalize never throws anything but ValidationError', () => {
  it('for fc.anything() (null prototypes, boxed values, Maps, Dates, sparse arrays…)', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withNullPrototype: true,
          withBoxedValues: true,
          withMap: true,
          withSet: true,
          withDate: true,
          withSparseArray: true,
          withTypedArray: true,
          withBigInt: true,
          withObjectString: true,
        }),
        (input) => check(input),
      ),
      { numRuns: 500 },
    );
  });

  it('for any JSON value, with and without a forced format', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.option(formats, { nil: undefined }), (input, format) =>
        check(input, format),
      ),
      { numRuns: 500 },
    );
  });

  it('accepts every plain JSON object when detecting (generic is the fallback)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (input) => {
        fc.pre(!refusedByDesign(input));
        const alert = normalize(input);
        expect(alert.format).toBe(detectFormat(input));
        expect(NormalizedAlert.safeParse(alert).success).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("for objects built from every format's marker keys (detection and reading agree)", () => {
    const key = fc.constantFrom(
      ...[
        'sid',
        'result',
        'search_name',
        'results_link',
        'sourcetype',
        'index',
        'event_id',
        'rule_name',
        'urgency',
      ],
      ...[
        'rule',
        'rule.level',
        'rule.description',
        'agent',
        'manager',
        'decoder',
        'location',
        'full_log',
        'data',
      ],
      ...[
        'event_type',
        'alert',
        'event',
        'event.module',
        'event.kind',
        'ecs.version',
        '@timestamp',
        'suricata',
      ],
      ...['class_uid', 'finding_info', 'finding', 'category_uid', 'type_uid', 'evidences', 'observables'],
      ...[
        'kibana.alert.rule.name',
        'kibana.alert.uuid',
        'signal',
        'kibana',
        'properties',
        'kind',
        'type',
        'object',
      ],
      ...[
        'Type',
        'TenantId',
        'SystemAlertId',
        'AlertName',
        'Entities',
        'ExtendedProperties',
        'IncidentNumber',
      ],
      ...['name', 'failed_logins', 'source_ip', 'user', 'success', '_source', '_id', 'value', 'source', 'id'],
    );
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.constantFrom(
        'notable',
        'stash',
        'alert',
        'doc',
        'suricata',
        'SecurityAlert',
        'CommonSecurityLog',
        'x_CL',
      ),
      fc.constantFrom(3, 2004, '[{"$id":"1","Type":"ip","Address":"1.2.3.4"}]', '{"Attacker IP":"8.8.8.8"}'),
    );
    const doc: fc.Arbitrary<Record<string, unknown>> = fc.letrec((tie) => ({
      node: fc.dictionary(key, fc.oneof({ depthSize: 'small' }, value, tie('node')), { maxKeys: 8 }),
    })).node as fc.Arbitrary<Record<string, unknown>>;
    fc.assert(
      fc.property(doc, fc.option(formats, { nil: undefined }), (input, format) => {
        check(input, format);
        if (format === undefined && !refusedByDesign(input))
          expect(normalize(input).format).toBe(detectFormat(input));
      }),
      { numRuns: 2000 },
    );
  });

  it('for real fixture alerts with random mutations and deletions, detected or forced', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: SAMPLES.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        fc.option(formats, { nil: undefined }),
        (i, mutations, format) => {
          const doc = mutate(SAMPLES[i]!, mutations);
          check(doc, format);
          // Detection is deterministic and a detected format can always read what it detected.
          expect(detectFormat(doc)).toBe(detectFormat(structuredClone(doc)));
          if (format === undefined && !refusedByDesign(doc)) expect(() => normalize(doc)).not.toThrow();
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('for every fixture record forced into every format', () => {
    for (const doc of SAMPLES) for (const format of AlertFormat.options) check(doc, format);
  });
});

describe('hostile input', () => {
  it('survives very deep nesting', () => {
    let deep: Record<string, unknown> = { name: 'deep' };
    for (let i = 0; i < 20_000; i++) deep = { a: deep, rule: { level: 3, description: { x: deep } } };
    check(deep);
    check(JSON.parse(`${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`));
  });

  it('ignores __proto__ and prototype-named keys instead of polluting anything', () => {
    const input = JSON.parse(
      '{"__proto__": {"polluted": true, "name": "x"}, "constructor": {"prototype": {"y": 1}}, "name": "proto test", "toString": "s"}',
    ) as Record<string, unknown>;
    const alert = normalize(input);
    expect(alert.name).toBe('proto test');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(alert.facts ?? {})).toBe(Object.prototype);
    expect(normalize({ alert: input }).format).toBe('original');
  });

  it('truncates strings over 64 KiB and bounds huge arrays', () => {
    const big = 'A'.repeat(200_000);
    const alert = normalize({
      name: big,
      description: `é${big}`,
      ip: Array.from({ length: 100_000 }, (_, i) => `10.0.${i % 256}.1`),
    });
    expect(Buffer.byteLength(alert.name)).toBeLessThanOrEqual(64 * 1024);
    expect(Buffer.byteLength(alert.description ?? '')).toBeLessThanOrEqual(64 * 1024);
  });

  it('rejects non-objects with VALIDATION_FAILED', () => {
    for (const input of [
      null,
      undefined,
      'text alert',
      42,
      true,
      [],
      [{ name: 'x' }],
      new Date(),
      new Map(),
    ]) {
      expect(() => normalize(input)).toThrow(ValidationError);
      try {
        normalize(input);
      } catch (err) {
        expect((err as ValidationError).code).toBe('VALIDATION_FAILED');
      }
    }
  });
});

/**
 * Attack on intake's identity mode: alert content aimed at the signal builders (wrong types, huge
 * lists, hostile strings where signals read processes, hashes, urls, times) under each format's
 * markers. Whatever full normalization answers, `signals: false` must answer the same.
 */
describe('attack: identity mode agrees with full normalization', () => {
  const hostile: unknown[] = [
    { toString: 1 },
    { __proto__x: 1, constructor: { name: 1 } },
    Array.from({ length: 5000 }, (_, i) => `10.0.${i % 256}.${i % 255}`),
    `${'a'.repeat(70_000)}`,
    '\u0000\ud800x',
    '9'.repeat(400),
    -1e308,
    { '': [[[[{}]]]] },
    ['md5:', 'sha256:zz', { value: 1 }],
    'http://[::1',
    'not a time',
    '2024-13-45T99:99:99Z',
    '1970-01-01T00:00:00Z',
  ];
  const shapes: Array<(h: unknown) => Record<string, unknown>> = [
    (h) => ({
      rule: { level: h, description: 'x', mitre: { id: h } },
      data: { srcip: h, win: { eventdata: { commandLine: h, hashes: h, image: h } } },
      timestamp: h,
    }),
    (h) => ({
      event_type: 'alert',
      alert: { signature: h, severity: h, metadata: h },
      src_ip: h,
      dest_port: h,
      http: { url: h, hostname: h },
      fileinfo: { sha256: h },
      timestamp: h,
    }),
    (h) => ({
      class_uid: 2004,
      finding_info: { title: h, attacks: h, uid: h },
      severity_id: h,
      evidences: h,
      observables: h,
      time: h,
    }),
    (h) => ({
      sid: 'x',
      result: { signature: h, process: h, file_hash: h, url: h, src: h, dest_port: h, _time: h },
    }),
    (h) => ({
      '@timestamp': h,
      'kibana.alert.rule.name': h,
      event: { original: typeof h === 'string' ? h : JSON.stringify(h), severity: h },
      process: { command_line: h, hash: h },
      source: { ip: h },
    }),
    (h) => ({
      name: h,
      severity: h,
      src_ip: h,
      process: h,
      hashes: h,
      urls: h,
      user: h,
      command_line: h,
      timestamp: h,
    }),
    (h) => ({ alert: { name: h, severity: h, timestamp: h, process: h }, event: { original: h } }),
    (h) => ({
      Type: 'SecurityAlert',
      AlertName: h,
      Entities: typeof h === 'string' ? h : JSON.stringify(h),
      ExtendedProperties: h,
      Tactics: h,
    }),
  ];

  it('for every hostile value under every format’s markers', () => {
    for (const shape of shapes) {
      for (const h of hostile) {
        expectIdentityAgrees(shape(h));
        // Forced (`?format=`), every format reads every shape: Windows and Hayabusa included.
        for (const format of AlertFormat.options) expectIdentityAgrees(shape(h), { format });
      }
    }
  });
});
