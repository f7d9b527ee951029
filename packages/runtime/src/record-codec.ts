import { readFileSync } from 'node:fs';
import { constants, createDeflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib';

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

// An 8 KiB window (and a smaller hash table) halves the CPU of a call: setting up the full 32 KiB
// dictionary and a 64 KiB hash table cost more than compressing a 1-2 KB record, and the
// dictionary's last 8 KiB (the most common strings are at its end) give all but ~1 byte of the
// gain. The stream is plain raw DEFLATE with shorter distances: the v1 reader (32 KiB window, the
// same dictionary) decodes it, so records of both writers read alike.
const DEFLATE_V1 = { dictionary: DICT_V1, level: 6, windowBits: 13, memLevel: 6 };

/**
 * Verdicts (v2): a dictionary of their own, built from the verdicts the pipeline writes
 * (scripts/verdict-dict.ts), and the full 32 KiB window over it. A verdict is written once per
 * alert and kept `RESULT_TTL_SECONDS`, with many sentences, MITRE names and similarity parts in
 * common with others: a Wazuh verdict of 1.6 KB of JSON takes ~270 bytes (v1: ~600, and ~370 with
 * this dictionary in an 8 KiB window), for ~40 µs more CPU at the verdict than the v1 setting.
 */
const V2 = 0x02;
const DICT_V2 = readFileSync(new URL('../data/verdict-dict-v2.txt', import.meta.url));
const DEFLATE_V2 = { dictionary: DICT_V2, level: 6, windowBits: 15, memLevel: 8 };
type DeflateOptions = typeof DEFLATE_V1;

/** The native zlib stream behind a `DeflateRaw` (Node's own one-shot functions drive it alike). */
interface DeflateHandle {
  writeSync(
    flush: number,
    input: Buffer,
    inOff: number,
    inLen: number,
    out: Buffer,
    outOff: number,
    outLen: number,
  ): void;
  reset(): void;
}

/**
 * One deflate stream, reset between records instead of built anew: `deflateRawSync` allocates a
 * zlib state and a stream object per call, which cost as much as compressing a record. A reset
 * stream starts again from the same parameters and dictionary, so each record is still a complete
 * raw DEFLATE stream of its own. Where Node's stream internals are not as expected, or a record
 * does not fit the output buffer, the one-shot function is used.
 */
type Reusable = { handle: DeflateHandle; state: Uint32Array; out: Buffer } | null;
const reusable = new Map<DeflateOptions, Reusable>();

function reusableDeflate(opts: DeflateOptions): Reusable {
  let z = reusable.get(opts);
  if (z === undefined) {
    const d = createDeflateRaw(opts) as unknown as { _handle?: DeflateHandle; _writeState?: unknown };
    z =
      typeof d._handle?.writeSync === 'function' &&
      typeof d._handle.reset === 'function' &&
      d._writeState instanceof Uint32Array
        ? { handle: d._handle, state: d._writeState, out: Buffer.allocUnsafe(64 * 1024) }
        : null;
    reusable.set(opts, z);
  }
  return z;
}

/** Raw DEFLATE of one record; the answer may be a view of the shared output buffer: copy it at once. */
function deflateRecord(json: Buffer, opts: DeflateOptions): Buffer {
  const z = reusableDeflate(opts);
  // Raw DEFLATE grows incompressible input by 5 bytes per 16 KiB block at most.
  if (!z || json.length + 1024 > z.out.length) return deflateRawSync(json, opts);
  z.handle.writeSync(constants.Z_FINISH, json, 0, json.length, z.out, 0, z.out.length);
  const [outLeft = 0, inLeft = 0] = z.state;
  z.handle.reset();
  if (inLeft !== 0 || outLeft === 0) return deflateRawSync(json, opts);
  return z.out.subarray(0, z.out.length - outLeft);
}

function pack(version: number, opts: DeflateOptions, value: unknown): Buffer {
  const packed = deflateRecord(Buffer.from(JSON.stringify(value)), opts);
  const out = Buffer.allocUnsafe(packed.length + 1);
  out[0] = version;
  packed.copy(out, 1);
  return out;
}

/** A record's submission, normalized alert or enrichment (v1). */
export function encodeJson(value: unknown): Buffer {
  return pack(V1, DEFLATE_V1, value);
}

/** A verdict (v2, its own dictionary). `decodeJson` reads both. */
export function encodeVerdict(value: unknown): Buffer {
  return pack(V2, DEFLATE_V2, value);
}

export function decodeJson<T = unknown>(buf: Buffer | string): T {
  if (typeof buf === 'string') return JSON.parse(buf) as T;
  if (buf[0] === V1 || buf[0] === V2) {
    const dictionary = buf[0] === V1 ? DICT_V1 : DICT_V2;
    return JSON.parse(inflateRawSync(buf.subarray(1), { dictionary }).toString('utf8')) as T;
  }
  return JSON.parse(buf.toString('utf8')) as T;
}
