/**
 * CPU microseconds one call of `work` costs: the median of five rounds of `calls` calls (CPU time,
 * user + system, not wall clock, so other processes on the box move it less). Budget tests compare
 * it with a plain input's, measured in the same run, never with a constant.
 */
export function cpuPerCall(work: () => unknown, calls: number): number {
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < calls; i++) work();
    const d = process.cpuUsage(t0);
    rounds.push((d.user + d.system) / calls);
  }
  return rounds.sort((a, b) => a - b)[2]!;
}
