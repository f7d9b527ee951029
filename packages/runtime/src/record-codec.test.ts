import { readFileSync } from 'node:fs';
import { constants, deflateRawSync, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { expect, it } from 'vitest';
import {
  decodeJson,
  encodeJson,
  encodeSubmission,
  encodeVerdict,
  packDeflate,
  SUBMISSION_TEXT_MAX,
} from './record-codec.ts';

const DICT = readFileSync(new URL('../data/record-dict-v1.txt', import.meta.url));
const VERDICT_DICT = readFileSync(new URL('../data/verdict-dict-v2.txt', import.meta.url));
const record = {
  format: 'wazuh',
  name: 'sshd: authentication failed.',
  raw: { rule: { level: 5, description: 'sshd: authentication failed.' }, agent: { name: 'mail' } },
  description: 'Nov 30 07:00:01 mail sshd[123]: Failed password for invalid user admin from 45.10.0.1',
};

it('records written before (DEFLATE, either window; plain JSON) read alike with those written now (zstd)', () => {
  const now = encodeJson(record);
  expect(now[0]).toBe(0x03);
  expect(decodeJson(now)).toEqual(record);
  const json = Buffer.from(JSON.stringify(record));
  // What the DEFLATE writers produced: level 6, the default 32 KiB window, then an 8 KiB one.
  for (const opts of [{ level: 6 }, { level: 6, windowBits: 13, memLevel: 6 }]) {
    const before = Buffer.concat([Buffer.from([0x01]), deflateRawSync(json, { dictionary: DICT, ...opts })]);
    expect(decodeJson(before)).toEqual(record);
  }
  expect(decodeJson(json)).toEqual(record);
  // What a runtime without zstd dictionaries writes.
  expect(decodeJson(packDeflate(false, json))).toEqual(record);
  expect(decodeJson(packDeflate(true, json))).toEqual(record);
  // The dictionary pays: a real Wazuh submission to under 40% of its JSON, a fifth smaller than
  // zstd without it.
  const wazuh = JSON.parse(
    readFileSync(
      new URL('../../../test/fixtures/wazuh/wazuh_alerts_aitads_attack_window_100.ndjson', import.meta.url),
      'utf8',
    ).split('\n')[0]!,
  );
  const submission = Buffer.from(JSON.stringify({ v: wazuh }));
  expect(encodeJson({ v: wazuh }).length).toBeLessThan(submission.length * 0.4);
  expect(encodeJson({ v: wazuh }).length).toBeLessThan(zstdCompressSync(submission).length * 0.8);
});

it('one reused zstd context: every record is a frame of its own, the same bytes as a one-shot call', () => {
  const values = [
    record,
    { ...record, name: 'other', n: 1 },
    { big: 'x'.repeat(200_000) }, // past the shared output buffer when read: the one-shot path
    { random: Array.from({ length: 3000 }, (_, i) => (i * 7919) % 65_521) },
    record,
  ];
  const encoded = values.map((v) => encodeJson(v));
  encoded.forEach((e, i) => {
    expect(decodeJson(e)).toEqual(values[i]);
    const oneShot = zstdCompressSync(Buffer.from(JSON.stringify(values[i])), {
      dictionary: DICT,
      params: { [constants.ZSTD_c_compressionLevel]: 3 },
    });
    expect(e.subarray(1)).toEqual(oneShot);
    // Each frame reads on its own, without the context that wrote the ones before.
    expect(zstdDecompressSync(e.subarray(1), { dictionary: DICT }).toString()).toBe(
      JSON.stringify(values[i]),
    );
  });
  expect(encoded[4]).toEqual(encoded[0]);
});

it('attack: a corrupt or truncated record fails alone; the records after it still read', () => {
  const good = encodeJson(record);
  const corrupt = Buffer.from(good);
  corrupt.fill(0x41, 1, 9);
  const truncated = good.subarray(0, good.length - 4);
  for (const bad of [corrupt, truncated, Buffer.from([0x03]), Buffer.from([0x04, 1, 2, 3])]) {
    expect(() => decodeJson(bad)).toThrow();
    expect(decodeJson(good)).toEqual(record);
    expect(decodeJson(encodeVerdict(record))).toEqual(record);
  }
  // A valid frame followed by other bytes is not one frame for the reused context: the one-shot
  // reader takes it and reads the frame (records are never written so; nothing is lost either way).
  const trailing = Buffer.concat([good, Buffer.from('garbage')]);
  expect(decodeJson(trailing)).toEqual(record);
  expect(decodeJson(good)).toEqual(record);
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
  const v = encodeVerdict(verdict);
  expect(v[0]).toBe(0x04);
  expect(decodeJson(v)).toEqual(verdict);
  // Verdicts written before: with the records' dictionary, and DEFLATE with their own (0x02).
  expect(decodeJson(encodeJson(verdict))).toEqual(verdict);
  const deflated = deflateRawSync(Buffer.from(JSON.stringify(verdict)), { dictionary: VERDICT_DICT });
  expect(decodeJson(Buffer.concat([Buffer.from([0x02]), deflated]))).toEqual(verdict);
  expect(v.length).toBeLessThan(encodeJson(verdict).length * 0.75);
  // The reused streams of the two versions keep their own dictionaries.
  expect(decodeJson(encodeJson(record))).toEqual(record);
  expect(decodeJson(encodeVerdict(record))).toEqual(record);
});

it('attack: incompressible fields at the edge of the shared output buffer, then a small record', () => {
  // High-entropy printable text (a sender's base64 blob): zstd cannot shrink it, so the output is
  // the input plus block overhead, right at the reused context's buffer (both directions).
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

it('attack: a submission padded with whitespace is kept compact, not as the text received', () => {
  const value = { name: 'x', source_ip: '203.0.113.9' };
  const dictionary = readFileSync(new URL('../data/record-dict-v1.txt', import.meta.url));
  const stored = (text: string) =>
    zstdDecompressSync(encodeSubmission({ value, text }).subarray(1), { dictionary }).toString();
  // Short texts are kept as received (whitespace and all); past the limit, serialized again.
  const short = `{ "name" : "x" ,${' '.repeat(100)}"source_ip":"203.0.113.9" }`;
  expect(stored(short)).toBe(`{"v":${short}}`);
  const padded = `{"name":"x",${' '.repeat(SUBMISSION_TEXT_MAX)}"source_ip":"203.0.113.9"}`;
  expect(JSON.parse(padded)).toEqual(value);
  expect(stored(padded)).toBe(JSON.stringify({ v: value }));
  expect(decodeJson(encodeSubmission({ value, text: padded }))).toEqual({ v: value });
});

it('attack: a submission kept as its text reads back as the value intake parsed from it', () => {
  const texts = [
    '{"a":1,"a":{"b":2}}', // duplicate keys: the last one, both times
    '{"n":1e400,"m":-0,"big":123456789012345678901234567890,"f":1.0000000000000001}',
    '{"s":"\\ud800 lone, escaped","t":"\\u2028\\u2029 \u2028\u2029","q":"\\"}{\\\\"}',
    '\ufeff {"bom":"before"}',
    '{"raw":"\ud800 lone, raw"}', // not from a UTF-8 body, but encodeSubmission may be given it
    '[1,"two",{"three":[3]}]',
    '"just a string"',
    '{"f":"forced?","v":"inner v"}',
  ];
  for (const text of texts) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      continue; // the BOM: JSON.parse refuses it, so intake never stores it
    }
    const back = decodeJson(encodeSubmission({ value, text, format: 'generic' })) as {
      f: string;
      v: unknown;
    };
    expect(back.f).toBe('generic');
    expect(Object.is((back.v as { m?: number }).m, (value as { m?: number }).m)).toBe(true);
    expect(back.v).toEqual(value);
  }
});
