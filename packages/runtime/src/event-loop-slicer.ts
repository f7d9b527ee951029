/**
 * For long loops on the request path (a 10,000-alert batch: parsing, normalizing, encoding): call
 * the returned function between items; once `sliceMs` of work has gone by since the last yield it
 * gives the event loop back (setImmediate), so other requests, /health and Redis replies are not
 * held behind one large batch. Cheap when it does not yield: a clock read.
 */
export function eventLoopSlicer(sliceMs = 10): () => Promise<void> {
  let start = performance.now();
  return async () => {
    if (performance.now() - start < sliceMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    start = performance.now();
  };
}
