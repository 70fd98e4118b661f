/** @module Which due slots of a job fire and which are recorded missed, by its catch-up policy. */
import type { CronJob } from '../protocol/index.js';

export interface CatchupPlan {
  /** Slots to claim and fire, oldest first. */
  fire: number[];
  /** Slots to record as missed, oldest first. */
  missed: number[];
}

/**
 * Splits `due` (oldest first) into slots that fire and slots that are missed. A slot at most `graceMs`
 * old is on time and always fires; older ones were missed while the gateway was down (or busy) and
 * follow the policy: `skip` drops them, `latest` runs only the newest when nothing fires on time,
 * `all` runs the newest `catchup_max` of them.
 */
export function planCatchup(
  job: Pick<CronJob, 'catchup' | 'catchup_max'>,
  due: readonly number[],
  now: number,
  graceMs: number,
): CatchupPlan {
  const onTime = due.filter((s) => now - s <= graceMs);
  const late = due.filter((s) => now - s > graceMs);
  if (late.length === 0) return { fire: onTime, missed: [] };
  if (job.catchup === 'all') {
    const keep = Math.max(0, job.catchup_max);
    return {
      fire: [...late.slice(late.length - Math.min(keep, late.length)), ...onTime],
      missed: late.slice(0, Math.max(0, late.length - keep)),
    };
  }
  if (job.catchup === 'latest') {
    return onTime.length > 0
      ? { fire: onTime, missed: late }
      : { fire: late.slice(-1), missed: late.slice(0, -1) };
  }
  return { fire: onTime, missed: late };
}
