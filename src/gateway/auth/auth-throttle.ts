/** @module Slows down repeated authentication failures from one remote address (bounded memory, no timers). */
import { isIPv4, isIPv6 } from 'node:net';

export interface AuthThrottleOptions {
  /** Failures within `windowMs` after which the address is blocked. Default: 5. */
  maxFailures?: number;
  /** How long failures are remembered, and how long after a block ends it is forgotten. Default: 60000 ms. */
  windowMs?: number;
  /** First block; each further failure doubles it. Default: 1000 ms. */
  baseBlockMs?: number;
  /** Longest block. Default: 300000 ms. */
  maxBlockMs?: number;
  /** Addresses tracked at most; the least recently failing is forgotten first. Default: 10000. */
  maxTracked?: number;
  /**
   * IPv6 addresses are grouped by this prefix length, because one host usually holds a whole /64 and
   * could otherwise rotate addresses to dodge the throttle. 128 tracks single addresses. Default: 64.
   */
  ipv6PrefixBits?: number;
  /** Clock in epoch milliseconds. Default: `Date.now`. */
  now?: () => number;
}

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

interface Entry {
  failures: number;
  firstFailureAt: number;
  blockedUntil: number;
}

/**
 * Per-address failure counter. The caller asks `check` before verifying credentials and answers
 * `GW_ERR_AUTH_RATE_LIMITED` when it is refused (without counting that attempt as a failure), then
 * reports the outcome. Loopback is deliberately not exempt: behind a local reverse proxy every
 * client would otherwise look like 127.0.0.1 and escape the throttle (the caller passes the address
 * it trusts, e.g. from X-Forwarded-For of a trusted proxy).
 */
export class AuthThrottle {
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #baseBlockMs: number;
  readonly #maxBlockMs: number;
  readonly #maxTracked: number;
  readonly #ipv6PrefixBits: number;
  readonly #now: () => number;
  // Map iteration order is insertion order; re-inserting on each failure makes it least-recent-first.
  readonly #entries = new Map<string, Entry>();

  constructor(options: AuthThrottleOptions = {}) {
    this.#maxFailures = positiveInt(options.maxFailures ?? 5, 'maxFailures');
    this.#windowMs = positiveInt(options.windowMs ?? 60_000, 'windowMs');
    this.#baseBlockMs = positiveInt(options.baseBlockMs ?? 1000, 'baseBlockMs');
    this.#maxBlockMs = Math.max(this.#baseBlockMs, positiveInt(options.maxBlockMs ?? 300_000, 'maxBlockMs'));
    this.#maxTracked = positiveInt(options.maxTracked ?? 10_000, 'maxTracked');
    this.#ipv6PrefixBits = Math.min(128, positiveInt(options.ipv6PrefixBits ?? 64, 'ipv6PrefixBits'));
    this.#now = options.now ?? Date.now;
  }

  /** Whether an attempt from `addr` may be checked at all right now. */
  check(addr: string | undefined): ThrottleDecision {
    const key = throttleKey(addr, this.#ipv6PrefixBits);
    const entry = this.#live(key, this.#now());
    if (entry === undefined) return { allowed: true };
    const wait = entry.blockedUntil - this.#now();
    return wait > 0 ? { allowed: false, retryAfterMs: wait } : { allowed: true };
  }

  /** Counts a failed attempt; returns the decision that now applies to the address. */
  recordFailure(addr: string | undefined): ThrottleDecision {
    const key = throttleKey(addr, this.#ipv6PrefixBits);
    const now = this.#now();
    const entry = this.#live(key, now) ?? { failures: 0, firstFailureAt: now, blockedUntil: 0 };
    entry.failures++;
    if (entry.failures >= this.#maxFailures) {
      const doublings = Math.min(entry.failures - this.#maxFailures, 30);
      const blockMs = Math.min(this.#baseBlockMs * 2 ** doublings, this.#maxBlockMs);
      entry.blockedUntil = Math.max(entry.blockedUntil, now + blockMs);
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    // Bounded memory against floods from many addresses; the first keys are the stalest.
    while (this.#entries.size > this.#maxTracked) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    return entry.blockedUntil > now
      ? { allowed: false, retryAfterMs: entry.blockedUntil - now }
      : { allowed: true };
  }

  /** A successful authentication clears the address's history. */
  recordSuccess(addr: string | undefined): void {
    this.#entries.delete(throttleKey(addr, this.#ipv6PrefixBits));
  }

  /** Addresses currently tracked, for tests and metrics. */
  get size(): number {
    return this.#entries.size;
  }

  /** The entry if it still matters, dropping it once it has gone quiet. */
  #live(key: string, now: number): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    // Below the threshold, failures age out with the window. Once blocked, the history is kept for a
    // window after the block ends, so that the next failure doubles the block instead of restarting
    // at the bottom: without this an attacker would get maxFailures fresh tries after every block.
    const quietSince = entry.failures < this.#maxFailures ? entry.firstFailureAt : entry.blockedUntil;
    if (now - quietSince >= this.#windowMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }
}

function positiveInt(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`AuthThrottle option ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/**
 * The key an address is counted under: IPv4 and IPv4-mapped IPv6 as the plain IPv4 address, other
 * IPv6 addresses as their first `prefixBits` bits (zone id dropped), anything else as given.
 */
export function throttleKey(addr: string | undefined, prefixBits = 64): string {
  if (addr === undefined || addr === '') return 'unknown';
  const bare = addr.startsWith('[') && addr.endsWith(']') ? addr.slice(1, -1) : addr;
  if (isIPv4(bare)) return bare;
  const noZone = bare.split('%')[0] ?? bare;
  if (!isIPv6(noZone)) return addr;
  const groups = expandIPv6(noZone);
  if (groups === null) return addr;
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped)
    return `${(groups[6] ?? 0) >> 8}.${(groups[6] ?? 0) & 255}.${(groups[7] ?? 0) >> 8}.${(groups[7] ?? 0) & 255}`;
  const kept = groups.map((g, i) => {
    const bitsLeft = prefixBits - i * 16;
    if (bitsLeft >= 16) return g;
    if (bitsLeft <= 0) return 0;
    return g & (0xffff << (16 - bitsLeft)) & 0xffff;
  });
  return `${kept.map((g) => g.toString(16)).join(':')}/${prefixBits}`;
}

/** Eight 16-bit groups of an IPv6 address (accepts `::` and a trailing dotted IPv4 part). */
function expandIPv6(addr: string): number[] | null {
  let text = addr.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (fill < 0) return null;
  const groups = [...head, ...Array<string>(fill).fill('0'), ...tail].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff)
    ? groups
    : null;
}
