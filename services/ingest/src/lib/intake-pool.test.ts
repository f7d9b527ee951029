import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('IntakePool', () => {
  it('starts its threads when ingest runs with V8 flags (a Worker refuses them given explicitly)', () => {
    // A real process, as an operator starts it with a heap limit: the threads read a line.
    const pool = new URL('./intake-pool.ts', import.meta.url).href;
    const code = `
      const { IntakePool } = await import(${JSON.stringify(pool)});
      const p = new IntakePool(1, { maxDepth: 32, maxFieldBytes: 65536 });
      const [task] = p.prepareTasks([JSON.stringify({ name: 'x', severity: 'High', id: 'v8-1' })]);
      const [line] = await task;
      console.log(JSON.stringify({ threads: p.threadCount, ok: line.ok, source_id: line.source_id }));
      await p.close();
    `;
    const run = spawnSync(
      process.execPath,
      ['--max-old-space-size=256', '--expose-gc', '--conditions=source', '--input-type=module', '-e', code],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.stderr).not.toMatch(/ERR_WORKER_INVALID_EXEC_ARGV/);
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}')).toEqual({
      threads: 1,
      ok: true,
      source_id: 'v8-1',
    });
  });
});
