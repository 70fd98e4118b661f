/** @module Gateway events delivered once per seq, to the client's 'event' listeners and per-name handlers. */
import type { EventFrame } from '../protocol/index.js';

export type EventHandler = (payload: unknown, seq: number) => void;

export class EventStream {
  readonly #handlers = new Map<string, Set<EventHandler>>();
  #lastSeq: number | undefined;

  /** Highest seq delivered on the current session, or undefined before the first one. */
  get lastSeq(): number | undefined {
    return this.#lastSeq;
  }

  /** Forgets the seq: a session that was not resumed replays nothing and may number from 1 again. */
  reset(): void {
    this.#lastSeq = undefined;
  }

  subscribe(name: string, handler: EventHandler): () => void {
    let set = this.#handlers.get(name);
    if (!set) this.#handlers.set(name, (set = new Set()));
    set.add(handler);
    return () => {
      set.delete(handler);
      if (set.size === 0 && this.#handlers.get(name) === set) this.#handlers.delete(name);
    };
  }

  /**
   * Delivers `frame` unless its seq was already delivered (a resume may replay events the client has,
   * and seq is the only identity an event carries). Returns whether it was delivered.
   */
  deliver(frame: EventFrame, emitAll: (name: string, payload: unknown, seq: number) => void): boolean {
    if (this.#lastSeq !== undefined && frame.seq <= this.#lastSeq) return false;
    this.#lastSeq = frame.seq;
    emitAll(frame.event, frame.payload, frame.seq);
    const handlers = this.#handlers.get(frame.event);
    // A copy, so a handler that unsubscribes itself does not skip its neighbour.
    if (handlers) for (const h of [...handlers]) h(frame.payload, frame.seq);
    return true;
  }
}
