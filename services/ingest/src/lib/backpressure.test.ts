import type { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { Backpressure } from './backpressure.ts';

/** A queue whose depth is whatever the test sets (only what Backpressure reads). */
function queueAt(depth: { waiting: number }): Queue {
  return {
    getJobCounts: async () => ({ waiting: depth.waiting, prioritized: 0, delayed: 0 }),
  } as unknown as Queue;
}

describe('Backpressure', () => {
  it('attack: batches sent faster than the depth is read cannot pass the limit together', async () => {
    const depth = { waiting: 0 };
    // The depth is read at most once a minute here: every admission below sees the same reading.
    const bp = new Backpressure(queueAt(depth), 20_000, undefined, 60_000);
    await bp.admit(5_000, 'backlog');
    await bp.admit(5_000, 'backlog');
    await bp.admit(5_000, 'backlog');
    // 15,000 admitted on a reading of 0: a fourth would pass the backlog lane's 18,000.
    await expect(bp.admit(5_000, 'backlog')).rejects.toMatchObject({ code: 'BACKPRESSURE' });
    await bp.admit(3_000, 'backlog');
    // Live alerts keep the last tenth.
    await bp.admit(2_000, 'live');
    await expect(bp.admit(1, 'live')).rejects.toMatchObject({ code: 'BACKPRESSURE' });
  });

  it('a fresh reading replaces what was counted since the last one', async () => {
    const depth = { waiting: 0 };
    const bp = new Backpressure(queueAt(depth), 20_000, undefined, 20);
    await bp.admit(18_000, 'backlog');
    await expect(bp.admit(1, 'backlog')).rejects.toMatchObject({ code: 'BACKPRESSURE' });
    // The workers took them meanwhile: the next reading says so.
    await new Promise((r) => setTimeout(r, 30));
    await bp.admit(10_000, 'backlog');
  });
});
