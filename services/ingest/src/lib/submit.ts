import type { AlertFormat, Lane } from '@triage/contracts';
import type { AppDeps } from '../app-deps.ts';
import type { IntakeItem, IntakeResult } from './intake.ts';

/**
 * Admission (backlog and Redis memory), then intake; the alerts that went in count in the backlog
 * depth at once (Backpressure.added). Every submit route goes through here.
 */
export async function admitAndAccept(
  deps: Pick<AppDeps, 'backpressure' | 'intake'>,
  items: IntakeItem[],
  opts: { format?: AlertFormat; batch: boolean; lane?: Lane },
): Promise<IntakeResult> {
  await deps.backpressure.admit(items.length, opts.lane);
  const res = await deps.intake.accept(items, opts);
  deps.backpressure.added(res.duplicate.filter((d) => !d).length);
  return res;
}
