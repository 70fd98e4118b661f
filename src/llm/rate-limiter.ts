/**
 * @module Per-provider admission control: for each API key, requests per window, tokens per window and
 * concurrent calls, with one fair FIFO queue in front of the provider's keys.
 */
import { GatewayError } from '../protocol/index.js';

/** Options of `ProviderLimiter`. */
export interface ProviderLimiterOptions {
  /** Provider name, for errors. */
  provider: string;
  /** How many API keys share the queue; each has the limits below. Default 1. */
  keys?: number;
  /** Requests per window per key; 0 = unlimited. Default 0. */
  requestsPerWindow?: number;
  /** Tokens per window per key; 0 = unlimited. Default 0. */
  tokensPerWindow?: number;
  /** Calls in flight per key; 0 = unlimited. Default 0. */
  maxConcurrent?: number;
  /** Waiting calls beyond this are refused with GW_ERR_LLM_QUEUE_FULL. Default 1000. */
  maxQueue?: number;
  /** Length of the rate window. Default 60000 ms (the vendors' "per minute"). */
  windowMs?: number;
  /** Time source. Default `Date.now`. */
  now?: () => number;
}

/** Options of one `acquire`. */
export interface AcquireOptions {
  signal?: AbortSignal;
  /** Longest wait in the queue before GW_ERR_LLM_QUEUE_TIMEOUT; 0 = none. Default 0. */
  timeoutMs?: number;
  /**
   * Place in the queue. A retry passes the ticket of its first attempt so it does not lose its turn to
   * callers that arrived after it; such a call is also exempt from `maxQueue`.
   */
  ticket?: number;
}

export interface Permit {
  /** Which key (index into the provider's keys) the call must use. */
  readonly keyIndex: number;
  readonly ticket: number;
  /** Time spent in the queue. */
  readonly waitedMs: number;
  /** Ends the call; `tokens` replaces the estimate in the window (the vendor's real count). Idempotent. */
  release(tokens: number): void;
}

interface Entry {
  tokens: number;
  /** When the entry leaves the window; Infinity while its call is in flight. */
  until: number;
}

interface Waiter {
  ticket: number;
  estimate: number;
  enqueuedAt: number;
  resolve(p: Permit): void;
  reject(e: unknown): void;
  cleanup(): void;
}

/** One key's budget. */
class KeyBudget {
  entries: Entry[] = [];
  inFlight = 0;
  cooldownUntil = 0;

  prune(now: number): void {
    if (this.entries.length > 0 && this.entries.some((e) => e.until <= now)) {
      this.entries = this.entries.filter((e) => e.until > now);
    }
  }

  tokens(): number {
    let sum = 0;
    for (const e of this.entries) sum += e.tokens;
    return sum;
  }

  /** Earliest future moment something frees up here by time alone (not by a release). */
  nextChange(now: number): number {
    let t = this.cooldownUntil > now ? this.cooldownUntil : Infinity;
    for (const e of this.entries) if (e.until > now && e.until < t) t = e.until;
    return t;
  }
}

/**
 * Admits calls to one provider within its limits. Strict FIFO by ticket: when the head of the queue
 * cannot be admitted, nobody behind it is, so a large request is never starved by a stream of small
 * ones. A window entry leaves the window `windowMs` after its call ENDED, not after it was admitted:
 * the vendor counts from the moment the request reached it, some time after our admission, and this
 * way no window the vendor could measure holds more than the limit.
 */
export class ProviderLimiter {
  private readonly provider: string;
  private readonly rpw: number;
  private readonly tpw: number;
  private readonly maxConcurrent: number;
  private readonly maxQueue: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly budgets: KeyBudget[];
  private readonly tracksWindow: boolean;
  private queue: Waiter[] = [];
  private nextTicket = 1;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private closedWith: GatewayError | undefined;

  constructor(options: ProviderLimiterOptions) {
    this.provider = options.provider;
    this.rpw = options.requestsPerWindow ?? 0;
    this.tpw = options.tokensPerWindow ?? 0;
    this.maxConcurrent = options.maxConcurrent ?? 0;
    this.maxQueue = options.maxQueue ?? 1000;
    this.windowMs = options.windowMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.budgets = Array.from({ length: Math.max(1, options.keys ?? 1) }, () => new KeyBudget());
    this.tracksWindow = this.rpw > 0 || this.tpw > 0;
  }

  /** Calls waiting now. */
  get queued(): number {
    return this.queue.length;
  }

  /** Calls in flight now, over all keys. */
  get inFlight(): number {
    return this.budgets.reduce((n, b) => n + b.inFlight, 0);
  }

  /** Resolves with a permit once the call fits; rejects on abort, queue timeout, a full queue or close. */
  acquire(estimate: number, options: AcquireOptions = {}): Promise<Permit> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    const retry = options.ticket !== undefined;
    const ticket = options.ticket ?? this.nextTicket++;
    const now = this.now();
    // Fast path: nobody waits ahead and a key has room.
    if (this.queue.length === 0 || (retry && this.queue[0]!.ticket > ticket)) {
      const k = this.pick(estimate, now);
      if (k >= 0) return Promise.resolve(this.admit(k, estimate, ticket, now, now));
    }
    if (!retry && this.queue.length >= this.maxQueue) {
      return Promise.reject(
        new GatewayError('GW_ERR_LLM_QUEUE_FULL', { provider: this.provider, max_queue: this.maxQueue }),
      );
    }
    return new Promise<Permit>((resolve, reject) => {
      let queueTimer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        this.remove(waiter);
        reject(options.signal!.reason);
      };
      const waiter: Waiter = {
        ticket,
        estimate,
        enqueuedAt: now,
        resolve,
        reject,
        cleanup: () => {
          if (queueTimer) clearTimeout(queueTimer);
          options.signal?.removeEventListener('abort', onAbort);
        },
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs && options.timeoutMs > 0) {
        queueTimer = setTimeout(() => {
          this.remove(waiter);
          reject(
            new GatewayError('GW_ERR_LLM_QUEUE_TIMEOUT', {
              provider: this.provider,
              timeout_ms: options.timeoutMs,
            }),
          );
        }, options.timeoutMs);
      }
      this.insert(waiter);
      this.pump();
    });
  }

  /** Blocks a key until `untilMs` (epoch ms), as after a 429 with Retry-After. */
  cooldown(keyIndex: number, untilMs: number): void {
    const b = this.budgets[keyIndex];
    if (!b || untilMs <= b.cooldownUntil) return;
    b.cooldownUntil = untilMs;
    this.pump();
  }

  /** Refuses new calls and rejects waiting ones with `error`; permits already granted stay valid. */
  close(error: GatewayError): void {
    this.closedWith = error;
    const waiting = this.queue;
    this.queue = [];
    for (const w of waiting) {
      w.cleanup();
      w.reject(error);
    }
    this.clearTimer();
  }

  private fits(b: KeyBudget, estimate: number, now: number): boolean {
    if (now < b.cooldownUntil) return false;
    if (this.maxConcurrent > 0 && b.inFlight >= this.maxConcurrent) return false;
    if (!this.tracksWindow) return true;
    b.prune(now);
    if (this.rpw > 0 && b.entries.length >= this.rpw) return false;
    if (this.tpw > 0) {
      const used = b.tokens();
      // A request larger than the whole budget would wait forever; it goes alone into an empty window.
      if (estimate > this.tpw) return used === 0;
      if (used + estimate > this.tpw) return false;
    }
    return true;
  }

  /** The key with room and the least load, or -1. */
  private pick(estimate: number, now: number): number {
    let best = -1;
    let bestLoad = Infinity;
    for (let i = 0; i < this.budgets.length; i++) {
      const b = this.budgets[i]!;
      if (!this.fits(b, estimate, now)) continue;
      const load = b.inFlight + b.entries.length;
      if (load < bestLoad) {
        best = i;
        bestLoad = load;
      }
    }
    return best;
  }

  private admit(keyIndex: number, estimate: number, ticket: number, enqueuedAt: number, now: number): Permit {
    const b = this.budgets[keyIndex]!;
    b.inFlight++;
    const entry: Entry | undefined = this.tracksWindow ? { tokens: estimate, until: Infinity } : undefined;
    if (entry) b.entries.push(entry);
    let released = false;
    return {
      keyIndex,
      ticket,
      waitedMs: now - enqueuedAt,
      release: (tokens: number) => {
        if (released) return;
        released = true;
        b.inFlight--;
        if (entry) {
          entry.tokens = Math.max(0, tokens);
          entry.until = this.now() + this.windowMs;
        }
        this.pump();
      },
    };
  }

  private insert(w: Waiter): void {
    // Binary search on ticket; new callers land at the end, retries near the front.
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.queue[mid]!.ticket < w.ticket) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, w);
  }

  private remove(w: Waiter): void {
    const i = this.queue.indexOf(w);
    if (i >= 0) this.queue.splice(i, 1);
    w.cleanup();
    // The head may have changed: whoever is behind it may fit now.
    if (i === 0) this.pump();
  }

  private pump(): void {
    const now = this.now();
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const k = this.pick(head.estimate, now);
      if (k < 0) break;
      this.queue.shift();
      head.cleanup();
      head.resolve(this.admit(k, head.estimate, head.ticket, head.enqueuedAt, now));
    }
    if (this.queue.length === 0) {
      this.clearTimer();
      return;
    }
    // Wake when a window entry expires or a cooldown ends; releases call pump themselves.
    let at = Infinity;
    for (const b of this.budgets) at = Math.min(at, b.nextChange(now));
    if (at === Infinity) {
      this.clearTimer();
      return;
    }
    if (this.timer && this.timerAt <= at) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.pump();
      },
      Math.max(1, at - now),
    );
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }
}
