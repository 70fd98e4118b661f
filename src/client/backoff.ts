/** @module Exponential reconnect backoff with jitter (SPEC R3.2, seed 9.4 `reconnect:`). */

/**
 * How the random part of a delay is drawn.
 * - `'equal'` (what `true` means): a delay in `[d/2, d]`. Half of the exponential delay is kept, so a
 *   fleet of nodes reconnecting after a gateway restart is spread out without anyone retrying at once;
 *   a recovering gateway is never hit by a burst of near-zero delays, and the backoff still grows.
 * - `'full'`: a delay in `[0, d)`. The widest spread (fewest collisions), at the cost of sometimes
 *   retrying almost immediately.
 * - `false`: exactly `d`.
 */
export type JitterMode = boolean | 'equal' | 'full';

export interface BackoffOptions {
  /** Delay before the first retry, in ms. Default 1000 (seed `initial_delay_ms`). */
  initialDelayMs?: number;
  /** Upper bound of any delay, in ms. Default 60000 (seed `max_delay_ms`). */
  maxDelayMs?: number;
  /** Growth factor between attempts, at least 1. Default 2 (seed `backoff_multiplier`). */
  multiplier?: number;
  /** Randomisation of each delay, see {@link JitterMode}. Default `true` (equal jitter). */
  jitter?: JitterMode;
}

export const BACKOFF_DEFAULTS = {
  initialDelayMs: 1000,
  maxDelayMs: 60_000,
  multiplier: 2,
  jitter: true,
} as const satisfies Required<BackoffOptions>;

function check(name: string, value: number, min: number): void {
  if (!Number.isFinite(value) || value < min) {
    throw new RangeError(`backoff ${name} must be a finite number >= ${min}, got ${value}`);
  }
}

/**
 * The delay before retry number `attempt` (1 = the first retry): `initialDelayMs * multiplier^(attempt-1)`,
 * capped at `maxDelayMs`, then jittered. The result is an integer in `[0, maxDelayMs]`.
 * `random` must return values in `[0, 1)` like Math.random; tests inject it.
 */
export function computeBackoffMs(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = options.initialDelayMs ?? BACKOFF_DEFAULTS.initialDelayMs;
  const max = options.maxDelayMs ?? BACKOFF_DEFAULTS.maxDelayMs;
  const multiplier = options.multiplier ?? BACKOFF_DEFAULTS.multiplier;
  const jitter = options.jitter ?? BACKOFF_DEFAULTS.jitter;
  check('initialDelayMs', initial, 0);
  check('maxDelayMs', max, 0);
  check('multiplier', multiplier, 1);

  const n = Number.isFinite(attempt) ? Math.max(1, Math.floor(attempt)) : 1;
  // multiplier ** large n overflows to Infinity, which Math.min turns back into the cap.
  const base = Math.min(max, initial * multiplier ** (n - 1));
  // A misbehaving random source must not push the delay outside its bounds.
  const r = Math.min(Math.max(random(), 0), 1);
  let delay: number;
  if (jitter === 'full') delay = base * r;
  else if (jitter === true || jitter === 'equal') delay = base / 2 + (base / 2) * r;
  else delay = base;
  return Math.min(Math.round(delay), Math.floor(max));
}
