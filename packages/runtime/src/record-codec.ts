import { readFileSync } from 'node:fs';
import {
  constants,
  createZstdCompress,
  createZstdDecompress,
  deflateRawSync,
  inflateRawSync,
  zstdCompressSync,
  zstdDecompressSync,
} from 'node:zlib';

/**
 * Compact encoding of the large JSON fields of an alert record (the submission, the enrichment, the
 * verdict): Zstandard with a preset dictionary. Alert records are small (1-3 KB) and alike; on their
 * own they compress about 2×, with a dictionary of typical field names and values about 3-5× (a real
 * Wazuh submission: 1.1 KB of JSON → ~360 bytes), which is what keeps a queued alert under 2 KB of
 * Redis. The first byte says how a value is encoded, so a future dictionary or codec gets a new
 * version byte and a published version must never change while records encoded with it may exist
 * (RESULT_TTL_SECONDS):
 *
 * - 0x03: zstd, records dictionary (`record-dict-v1.txt`) — submissions, enrichments.
 * - 0x04: zstd, verdicts dictionary (`verdict-dict-v2.txt`) — verdicts.
 * - 0x01 / 0x02: raw DEFLATE with those dictionaries, written by earlier versions; still read.
 * - `{`: plain JSON (the first records); still read.
 *
 * Why zstd: with a dictionary DEFLATE re-hashes the dictionary for every record (deflateSetDictionary
 * has no prepared form), which cost ~25 µs per record at intake, more than everything else but
 * normalizing. A zstd context keeps its digested dictionary between frames: ~4 µs to compress and
 * ~2 µs to decompress a Wazuh submission, for ~30 bytes more than DEFLATE.
 */
const RECORD_ZSTD = 0x03;
const VERDICT_ZSTD = 0x04;
const RECORD_DEFLATE = 0x01;
const VERDICT_DEFLATE = 0x02;
const DICT_RECORDS = readFileSync(new URL('../data/record-dict-v1.txt', import.meta.url));
const DICT_VERDICTS = readFileSync(new URL('../data/verdict-dict-v2.txt', import.meta.url));
/**
 * zstd levels: submissions are compressed on the intake path (level 3: ~4 µs); a verdict once per
 * alert and kept for RESULT_TTL_SECONDS, so it gets more effort (level 9: ~5 µs, about a sixth
 * smaller than level 3).
 */
const RECORD_LEVEL = 3;
const VERDICT_LEVEL = 9;

/** The native zstd context behind a Node zstd stream, driven synchronously as Node's own one-shot functions do. */
interface ZstdHandle {
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

interface Reused {
  stream: { destroyed: boolean };
  handle: ZstdHandle;
  state: Uint32Array;
  out: Buffer;
}

const OUT_BYTES = 64 * 1024;

/**
 * One zstd context per direction and dictionary, reset between records instead of built anew: the
 * one-shot functions digest the 32 KiB dictionary on every call, which costs several times a
 * record. Each record is still a complete zstd frame of its own. A stream that failed (corrupt
 * input) is destroyed by Node and dropped here; where Node's stream internals are not as expected,
 * a record does not fit the shared buffer or anything looks off, the one-shot function is used.
 */
function reused(make: () => unknown): () => Reused | null {
  let r: Reused | null | undefined;
  return () => {
    if (r && !r.stream.destroyed) return r;
    const s = make() as {
      _handle?: ZstdHandle;
      _writeState?: unknown;
      destroyed: boolean;
      on(event: 'error', fn: () => void): void;
    };
    // A failed frame makes Node destroy the stream and emit 'error' later: never unhandled.
    s.on('error', () => undefined);
    r =
      typeof s._handle?.writeSync === 'function' &&
      typeof s._handle.reset === 'function' &&
      s._writeState instanceof Uint32Array
        ? { stream: s, handle: s._handle, state: s._writeState, out: Buffer.allocUnsafe(OUT_BYTES) }
        : null;
    return r;
  };
}

const zstdParams = {
  [RECORD_ZSTD]: { [constants.ZSTD_c_compressionLevel]: RECORD_LEVEL },
  [VERDICT_ZSTD]: { [constants.ZSTD_c_compressionLevel]: VERDICT_LEVEL },
};
const compressors = {
  [RECORD_ZSTD]: reused(() =>
    createZstdCompress({ dictionary: DICT_RECORDS, params: zstdParams[RECORD_ZSTD] }),
  ),
  [VERDICT_ZSTD]: reused(() =>
    createZstdCompress({ dictionary: DICT_VERDICTS, params: zstdParams[VERDICT_ZSTD] }),
  ),
};
const decompressors = {
  [RECORD_ZSTD]: reused(() => createZstdDecompress({ dictionary: DICT_RECORDS })),
  [VERDICT_ZSTD]: reused(() => createZstdDecompress({ dictionary: DICT_VERDICTS })),
};
const dictionaryOf = (version: typeof RECORD_ZSTD | typeof VERDICT_ZSTD) =>
  version === RECORD_ZSTD ? DICT_RECORDS : DICT_VERDICTS;

/** Runs one whole frame through a reused context; undefined when the one-shot path must answer. */
function run(r: Reused | null, input: Buffer, offset: number): Buffer | undefined {
  if (!r) return undefined;
  try {
    r.handle.writeSync(constants.ZSTD_e_end, input, offset, input.length - offset, r.out, 0, r.out.length);
  } catch {
    return undefined;
  }
  if (r.stream.destroyed) return undefined;
  const [outLeft = 0, inLeft = 0] = r.state;
  r.handle.reset();
  // Output filling the buffer may be cut short; input left over is not one frame.
  if (inLeft !== 0 || outLeft === 0) return undefined;
  return r.out.subarray(0, r.out.length - outLeft);
}

/**
 * Node added the zstd `dictionary` option after zstd itself (22.15 has zstd, not always the option)
 * and ignores options it does not know: on such a runtime frames would be written without the
 * dictionary that readers apply. Checked once; there the DEFLATE versions are written instead
 * (slower, read by every version).
 */
const ZSTD_DICTIONARY = (() => {
  const sample = DICT_RECORDS.subarray(DICT_RECORDS.length - 2048);
  try {
    return (
      zstdCompressSync(sample, { dictionary: DICT_RECORDS }).length < zstdCompressSync(sample).length / 4
    );
  } catch {
    return false;
  }
})();

/** The DEFLATE version of a record or verdict, for runtimes without zstd dictionaries. Exported for tests. */
export function packDeflate(verdict: boolean, json: Buffer): Buffer {
  const deflated = deflateRawSync(json, { dictionary: verdict ? DICT_VERDICTS : DICT_RECORDS, level: 6 });
  return Buffer.concat([Buffer.from([verdict ? VERDICT_DEFLATE : RECORD_DEFLATE]), deflated]);
}

function pack(version: typeof RECORD_ZSTD | typeof VERDICT_ZSTD, text: string): Buffer {
  const json = Buffer.from(text);
  if (!ZSTD_DICTIONARY) return packDeflate(version === VERDICT_ZSTD, json);
  const packed =
    run(compressors[version](), json, 0) ??
    zstdCompressSync(json, { dictionary: dictionaryOf(version), params: zstdParams[version] });
  const out = Buffer.allocUnsafe(packed.length + 1);
  out[0] = version;
  packed.copy(out, 1);
  return out;
}

/** A record's submission or enrichment. */
export function encodeJson(value: unknown): Buffer {
  return pack(RECORD_ZSTD, JSON.stringify(value));
}

/** What was submitted for an alert, and the format forced on it (`?format=`). */
export interface Submission {
  value?: unknown;
  /** The value's JSON text as received (an NDJSON line): JSON.parse of it gave the value. */
  text?: string;
  format?: string;
  /** `encodeSubmission` of it, done already (intake's worker threads). */
  encoded?: Buffer;
}

/**
 * Longest JSON text kept as received. Whitespace between JSON tokens is free to send and limited
 * by nothing but the body size: a line of a few small fields padded with 60 MB of spaces would
 * otherwise be parsed whole every time its record is read. Longer texts are serialized again from
 * their value (compact).
 */
export const SUBMISSION_TEXT_MAX = 64 * 1024;

/**
 * A record's submission: `{f?, v}`, where `v` is the value; from its JSON text as received when
 * there is one (up to SUBMISSION_TEXT_MAX, well-formed UTF-16), which reads back as the same value without
 * serializing it again.
 */
export function encodeSubmission(input: Submission): Buffer {
  // A lone surrogate would be written to UTF-8 as U+FFFD: the record would read back as another
  // value than the one intake judged. Serialized again, it is escaped (\udxxx) and reads back alike.
  if (input.text === undefined || input.text.length > SUBMISSION_TEXT_MAX || !input.text.isWellFormed()) {
    return encodeJson(input.format ? { f: input.format, v: input.value } : { v: input.value });
  }
  const f = input.format ? `"f":${JSON.stringify(input.format)},` : '';
  return pack(RECORD_ZSTD, `{${f}"v":${input.text}}`);
}

/** A verdict (its own dictionary). `decodeJson` reads both. */
export function encodeVerdict(value: unknown): Buffer {
  return pack(VERDICT_ZSTD, JSON.stringify(value));
}

function unzstd(version: typeof RECORD_ZSTD | typeof VERDICT_ZSTD, buf: Buffer): string {
  const out = run(decompressors[version](), buf, 1);
  if (out) return out.toString('utf8');
  return zstdDecompressSync(buf.subarray(1), { dictionary: dictionaryOf(version) }).toString('utf8');
}

export function decodeJson<T = unknown>(buf: Buffer | string): T {
  if (typeof buf === 'string') return JSON.parse(buf) as T;
  switch (buf[0]) {
    case RECORD_ZSTD:
    case VERDICT_ZSTD:
      return JSON.parse(unzstd(buf[0], buf)) as T;
    case RECORD_DEFLATE:
    case VERDICT_DEFLATE: {
      const dictionary = buf[0] === RECORD_DEFLATE ? DICT_RECORDS : DICT_VERDICTS;
      return JSON.parse(inflateRawSync(buf.subarray(1), { dictionary }).toString('utf8')) as T;
    }
    default:
      return JSON.parse(buf.toString('utf8')) as T;
  }
}
