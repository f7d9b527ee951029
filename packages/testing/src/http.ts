/**
 * A parsed JSON response body, for tests and benchmarks that assert it field by field.
 * `any` on purpose: the assertions are the type check.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Json = any;

export async function readJson(res: Response): Promise<Json> {
  return (await res.json()) as Json;
}
