/** @module Requests sent and not yet answered: each settles once, by its response, its timeout or a drop. */
import { GatewayError, fromErrorBody, type ResponseFrame } from '../protocol/index.js';
import { MAX_TIMER_MS } from './client-options.js';

interface Pending {
  method: string;
  resolve: (payload: unknown) => void;
  reject: (err: GatewayError) => void;
  timer: NodeJS.Timeout | undefined;
}

export class PendingRequests {
  readonly #pending = new Map<string, Pending>();

  get size(): number {
    return this.#pending.size;
  }

  /**
   * Registers request `id` and returns the promise of its payload. `timeoutMs` 0 waits forever; a
   * timeout rejects with the retryable GW_ERR_GATEWAY_TIMEOUT and forgets the id, so a late answer is
   * dropped instead of resolving a promise nobody awaits.
   */
  add(id: string, method: string, timeoutMs: number): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const entry: Pending = { method, resolve, reject, timer: undefined };
      if (timeoutMs > 0) {
        // Above MAX_TIMER_MS setTimeout would fire at once; that long is "forever" in practice anyway.
        entry.timer = setTimeout(
          () => {
            this.#pending.delete(id);
            reject(new GatewayError('GW_ERR_GATEWAY_TIMEOUT', { method, timeout_ms: timeoutMs }));
          },
          Math.min(timeoutMs, MAX_TIMER_MS),
        );
      }
      this.#pending.set(id, entry);
    });
  }

  /** Settles the request a response belongs to; returns false for an id nobody waits for. */
  settle(frame: ResponseFrame): boolean {
    const entry = this.#take(frame.id);
    if (!entry) return false;
    if (frame.ok) entry.resolve(frame.payload);
    else entry.reject(fromErrorBody(frame.error));
    return true;
  }

  /** Fails one request, e.g. when it could not be written to the socket. */
  fail(id: string, err: GatewayError): void {
    this.#take(id)?.reject(err);
  }

  /** Fails every request; used when the socket drops, since no answer can arrive on a new connection. */
  failAll(err: GatewayError): void {
    const entries = [...this.#pending.values()];
    this.#pending.clear();
    for (const entry of entries) {
      if (entry.timer) clearTimeout(entry.timer);
      entry.reject(err);
    }
  }

  #take(id: string): Pending | undefined {
    const entry = this.#pending.get(id);
    if (!entry) return undefined;
    this.#pending.delete(id);
    if (entry.timer) clearTimeout(entry.timer);
    return entry;
  }
}
