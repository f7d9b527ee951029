import type { Enrichment, NormalizedAlert } from '@triage/contracts';
import type { IntelService } from '../intel-service.ts';

/**
 * Test stand-in for the enrich worker's loop: call gather, and when it is not done wait for a
 * wake-up (a finished lookup) or `retryInMs`, whichever comes first. A wake that arrives before
 * the wait starts is remembered, as a delayed BullMQ job promoted early would be.
 */
export class WakeHub {
  private readonly waiting = new Map<string, () => void>();
  private readonly early = new Set<string>();
  wakes = 0;

  /** The `wake` option of IntelService. */
  readonly wake = async (ids: string[]): Promise<void> => {
    for (const id of ids) {
      this.wakes++;
      const resolve = this.waiting.get(id);
      if (resolve) resolve();
      else this.early.add(id);
    }
  };

  wait(id: string, ms: number): Promise<void> {
    if (this.early.delete(id)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiting.set(id, done);
    });
  }
}

export interface DriveResult {
  enrichment: Enrichment;
  /** gather calls it took. */
  rounds: number;
  ms: number;
}

/** Runs one alert through gather until it is done, like the enrich worker re-running its job. */
export async function driveGather(
  service: IntelService,
  hub: WakeHub,
  alert: NormalizedAlert,
  waiterId: string,
  firstAttemptAt = Date.now(),
): Promise<DriveResult> {
  for (let rounds = 1; ; rounds++) {
    const r = await service.gather(alert, { waiterId, firstAttemptAt });
    if (r.done) return { enrichment: r.enrichment, rounds, ms: Date.now() - firstAttemptAt };
    await hub.wait(waiterId, r.retryInMs);
  }
}

export function testAlert(over: Partial<NormalizedAlert> = {}): NormalizedAlert {
  return { format: 'generic', name: 'test', severity: 'High', fingerprint: 'fp', raw: {}, ...over };
}
