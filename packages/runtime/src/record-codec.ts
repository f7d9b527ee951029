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
let reusable: { handle: DeflateHandle; state: Uint32Array; out: Buffer } | null | undefined;

function reusableDeflate(): typeof reusable {
  if (reusable === undefined) {
    const d = createDeflateRaw(DEFLATE_V1) as unknown as { _handle?: DeflateHandle; _writeState?: unknown };
    reusable =
      typeof d._handle?.writeSync === 'function' &&
      typeof d._handle.reset === 'function' &&
      d._writeState instanceof Uint32Array
        ? { handle: d._handle, state: d._writeState, out: Buffer.allocUnsafe(64 * 1024) }
        : null;
  }
  return reusable;
}

/** Raw DEFLATE of one record; the answer may be a view of the shared output buffer: copy it at once. */
function deflateRecord(json: Buffer): Buffer {
  const z = reusableDeflate();
  // Raw DEFLATE grows incompressible input by 5 bytes per 16 KiB block at most.
  if (!z || json.length + 1024 > z.out.length) return deflateRawSync(json, DEFLATE_V1);
  z.handle.writeSync(constants.Z_FINISH, json, 0, json.length, z.out, 0, z.out.length);
  const [outLeft = 0, inLeft = 0] = z.state;
  z.handle.reset();
  if (inLeft !== 0 || outLeft === 0) return deflateRawSync(json, DEFLATE_V1);
  return z.out.subarray(0, z.out.length - outLeft);
}

export function encodeJson(value: unknown): Buffer {
  const packed = deflateRecord(Buffer.from(JSON.stringify(value)));
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
