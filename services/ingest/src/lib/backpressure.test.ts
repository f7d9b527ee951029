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
    for (let i = 0; i < 3; i++) {
      await bp.admit(5_000, 'backlog');
      bp.added(5_000);
    }
    // 15,000 admitted on a reading of 0: a fourth would pass the backlog lane's 18,000.
    await expect(bp.admit(5_000, 'backlog')).rejects.toMatchObject({ code: 'BACKPRESSURE' });
    await bp.admit(3_000, 'backlog');
    bp.added(3_000);
    // Live alerts keep the last tenth.
    await bp.admit(2_000, 'live');
    bp.added(2_000);
    await expect(bp.admit(1, 'live')).rejects.toMatchObject({ code: 'BACKPRESSURE' });
  });

  it('a fresh reading replaces what was counted since the last one', async () => {
    const depth = { waiting: 0 };
    const bp = new Backpressure(queueAt(depth), 20_000, undefined, 20);
    await bp.admit(18_000, 'backlog');
    bp.added(18_000);
    await expect(bp.admit(1, 'backlog')).rejects.toMatchObject({ code: 'BACKPRESSURE' });
    // The workers took them meanwhile: the next reading says so.
    await new Promise((r) => setTimeout(r, 30));
    await bp.admit(10_000, 'backlog');
  });

  it('attack: batches of refused or re-sent lines take nothing from live alerts', async () => {
    const bp = new Backpressure(queueAt({ waiting: 0 }), 20_000, undefined, 60_000);
    // A key sends 10,000-line batches that intake refuses whole (or answers as duplicates).
    for (let i = 0; i < 10; i++) {
      await bp.admit(10_000, 'backlog');
      bp.added(0);
    }
    await bp.admit(20_000, 'live');
  });
});
