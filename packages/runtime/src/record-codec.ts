import { readFileSync } from 'node:fs';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * Compact encoding of the large JSON fields of an alert record (the normalized alert with its raw
 * payload, the verdict): raw DEFLATE with a preset dictionary. Alert records are small (1-3 KB) and
 * alike; on their own they compress about 2.4×, with a dictionary of typical field names and values
 * about 5× (a real Wazuh record: 1.9 KB of JSON → ~0.4 KB), which is what keeps a queued alert under
 * 2 KB of Redis. The first byte says how a value is encoded, so records written before (plain JSON,
 * first byte `{`) still read, and a future dictionary gets a new version byte: the v1 dictionary
 * must never change while records encoded with it may exist (RESULT_TTL_SECONDS).
 */
const V1 = 0x01;
const DICT_V1 = readFileSync(new URL('../data/record-dict-v1.txt', import.meta.url));

export function encodeJson(value: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(value));
  // An 8 KiB window (and a smaller hash table) halves the CPU of a call: setting up the full 32 KiB
  // dictionary and a 64 KiB hash table cost more than compressing a 1-2 KB record, and the
  // dictionary's last 8 KiB (the most common strings are at its end) give all but ~1 byte of the
  // gain. The stream is plain raw DEFLATE with shorter distances: the v1 reader (32 KiB window, the
  // same dictionary) decodes it, so records of both writers read alike.
  const packed = deflateRawSync(json, { dictionary: DICT_V1, level: 6, windowBits: 13, memLevel: 6 });
  const out = Buffer.allocUnsafe(packed.length + 1);
  out[0] = V1;
  packed.copy(out, 1);
  return out;
}

export function decodeJson<T = unknown>(buf: Buffer | string): T {
  if (typeof buf === 'string') return JSON.parse(buf) as T;
  if (buf[0] === V1)
    return JSON.parse(inflateRawSync(buf.subarray(1), { dictionary: DICT_V1 }).toString('utf8')) as T;
  return JSON.parse(buf.toString('utf8')) as T;
}
