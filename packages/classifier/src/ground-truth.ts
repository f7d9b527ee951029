/**
 * Keys that carry a verdict someone already reached about an alert: dataset ground truth
 * (AIT-ADS `event_label` / `time_label`, `author_label`, `ground_truth`, `expected`) and analyst
 * dispositions (Sentinel / Defender `classification` and `determination`, Splunk ES
 * `disposition`). The classifier judges the evidence; reading the answer would make every
 * evaluation meaningless and turn a re-submitted, already-triaged alert into a rubber stamp.
 * The rules never read these keys (alert-features.ts reads fixed paths only, a test pins it);
 * the LLM prompt, which shows facts and a raw excerpt, drops them with `withoutGroundTruth`.
 */
const KEYS = new Set([
  'label',
  'labels',
  'eventlabel',
  'timelabel',
  'hierarchicaleventlabel',
  'authorlabel',
  'authorexpectedoutputtext',
  'groundtruth',
  'groundtruthnote',
  'truth',
  'expected',
  'expectedclassification',
  'expectedverdict',
  'disposition',
  'dispositionlabel',
  'determination',
  'classification',
  'classificationreason',
  'classificationcomment',
]);

/** True for a ground-truth or disposition key, whatever its case and punctuation. */
export function isGroundTruthKey(key: string): boolean {
  return KEYS.has(key.toLowerCase().replace(/[^a-z0-9]/g, ''));
}

/** A copy of `value` without ground-truth keys at any depth (bounded; deeper data is kept as is). */
export function withoutGroundTruth<T>(value: T, depth = 0): T {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => withoutGroundTruth(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (!isGroundTruthKey(k)) out[k] = withoutGroundTruth(v, depth + 1);
  }
  return out as T;
}
