/** @module Priority ranks and aging: the queue order every TaskStore backend must reproduce. */
import type { Priority } from '../protocol/index.js';

/** Lower is more urgent; the order of R5.2. */
export const PRIORITY_RANK: Readonly<Record<Priority, number>> = { critical: 0, high: 1, normal: 2, low: 3 };

/** 10 minutes: a `low` task ranks like `critical` after 30 minutes in the queue. */
export const DEFAULT_PRIORITY_AGING_MS = 10 * 60_000;

/**
 * The rank a queued task competes with: its priority's rank, one level better per `agingMs` waited,
 * never better than `critical`. `agingMs <= 0` disables aging.
 */
export function effectiveRank(priority: Priority, waitedMs: number, agingMs: number): number {
  const base = PRIORITY_RANK[priority];
  if (agingMs <= 0) return base;
  return Math.max(0, base - Math.floor(Math.max(0, waitedMs) / agingMs));
}
