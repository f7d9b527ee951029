import { readFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { expect, it } from 'vitest';
import { decodeJson, encodeJson, encodeVerdict } from './record-codec.ts';

const DICT = readFileSync(new URL('../data/record-dict-v1.txt', import.meta.url));
const record = {
  format: 'wazuh',
  name: 'sshd: authentication failed.',
  raw: { rule: { level: 5, description: 'sshd: authentication failed.' }, agent: { name: 'mail' } },
  description: 'Nov 30 07:00:01 mail sshd[123]: Failed password for invalid user admin from 45.10.0.1',
};

it('records written before (a 32 KiB window) and now (8 KiB) read alike; plain JSON still reads', () => {
  const now = encodeJson(record);
  expect(now[0]).toBe(0x01);
  expect(decodeJson(now)).toEqual(record);
  // What the first v1 writer produced: level 6, the default 32 KiB window.
  const before = Buffer.concat([
    Buffer.from([0x01]),
    deflateRawSync(Buffer.from(JSON.stringify(record)), { dictionary: DICT, level: 6 }),
  ]);
  expect(decodeJson(before)).toEqual(record);
  expect(decodeJson(Buffer.from(JSON.stringify(record)))).toEqual(record);
  // The dictionary still pays: well under half the JSON.
  expect(now.length).toBeLessThan(JSON.stringify(record).length / 2);
});

it('one reused deflate stream: every record is a stream of its own, as small as a one-shot one', () => {
  const opts = { dictionary: DICT, level: 6, windowBits: 13, memLevel: 6 };
  const values = [
    record,
    { ...record, name: 'other', n: 1 },
    { big: 'x'.repeat(200_000) }, // past the shared output buffer: the one-shot path
    { random: Array.from({ length: 3000 }, (_, i) => (i * 7919) % 65_521) },
    record,
  ];
  const encoded = values.map((v) => encodeJson(v));
  encoded.forEach((e, i) => {
    expect(decodeJson(e)).toEqual(values[i]);
    expect(e.length - 1).toBe(deflateRawSync(Buffer.from(JSON.stringify(values[i])), opts).length);
  });
  expect(encoded[4]).toEqual(encoded[0]);
});

it('verdicts have a dictionary of their own (v2): read back alike, smaller than with the records’ one', () => {
  const verdict = {
    classification: 'FALSE_POSITIVE',
    confidence: 81,
    severity: 'Low',
    title: 'Benign: Dovecot Authentication Success.',
    reasoning: [
      'Routine successful authentication ("Authentication Success"): successful logins are the bulk of authentication logs; alone they are users doing their work.',
      'Rules score -4 (TRUE_POSITIVE at ≥ 3, FALSE_POSITIVE at ≤ -2.5).',
    ],
    mitre: [{ id: 'T1078', name: 'Valid Accounts', tactic: 'initial-access' }],
    threat_intel: {},
    decided_by: 'rules',
    flags: [],
    performance: {
      processing_time: 0.1,
      from_cache: false,
      cost: '$0.0000',
      cost_usd: 0,
      tokens: { input: 0, output: 0 },
    },
    disposition: 'recommended_close',
  };
  const v2 = encodeVerdict(verdict);
  expect(v2[0]).toBe(0x02);
  expect(decodeJson(v2)).toEqual(verdict);
  // Verdicts written before with v1 still read.
  expect(decodeJson(encodeJson(verdict))).toEqual(verdict);
  expect(v2.length).toBeLessThan(encodeJson(verdict).length * 0.75);
  // The reused streams of the two versions keep their own dictionaries.
  expect(decodeJson(encodeJson(record))).toEqual(record);
  expect(decodeJson(encodeVerdict(record))).toEqual(record);
});

it('attack: incompressible fields at the edge of the shared output buffer, then a small record', () => {
  // High-entropy printable text (a sender's base64 blob): deflate cannot shrink it, so the output
  // is the input plus block overhead, right at the reused stream's buffer.
  let seed = 12345;
  const noise = (n: number) =>
    Array.from({ length: n }, () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return String.fromCharCode(33 + (seed % 90)).replace(/["\\]/, 'a');
    }).join('');
  const small = { name: 'after', n: 1 };
  for (const jsonLength of [64 * 1024 - 1024 - 1, 64 * 1024 - 1024, 64 * 1024 - 1024 + 1, 64 * 1024]) {
    const value = { b: noise(jsonLength - 8) };
    expect(JSON.stringify(value)).toHaveLength(jsonLength);
    expect(decodeJson(encodeJson(value))).toEqual(value);
    expect(decodeJson(encodeVerdict(value))).toEqual(value);
    expect(decodeJson(encodeJson(small))).toEqual(small);
    expect(encodeJson(small)).toEqual(encodeJson(small));
  }
});
