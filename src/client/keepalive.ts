/** @module Client-side WebSocket ping/pong watchdog (seed 9.4 `keepalive:`). */
import type { WebSocket } from 'ws';

/**
 * Pings `ws` every `intervalMs` and calls `onDead` when a ping stays unanswered for `timeoutMs`. A
 * half-open TCP connection (gateway host gone, NAT entry dropped, peer process stopped) never produces
 * a close event by itself, so without this a node would sit "connected" forever. The pings also keep
 * proxies with a `proxy_read_timeout` above the interval from closing idle long-task connections.
 */
export class Keepalive {
  readonly #ws: WebSocket;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #onDead: () => void;
  #interval: NodeJS.Timeout | undefined;
  #deadline: NodeJS.Timeout | undefined;
  readonly #onPong = (): void => {
    if (this.#deadline) clearTimeout(this.#deadline);
    this.#deadline = undefined;
  };

  constructor(ws: WebSocket, intervalMs: number, timeoutMs: number, onDead: () => void) {
    this.#ws = ws;
    this.#intervalMs = intervalMs;
    this.#timeoutMs = timeoutMs;
    this.#onDead = onDead;
  }

  start(): void {
    if (this.#interval) return;
    this.#ws.on('pong', this.#onPong);
    this.#interval = setInterval(() => this.#ping(), this.#intervalMs);
    // The socket, not the watchdog, decides whether the process stays alive.
    this.#interval.unref();
  }

  stop(): void {
    if (this.#interval) clearInterval(this.#interval);
    if (this.#deadline) clearTimeout(this.#deadline);
    this.#interval = undefined;
    this.#deadline = undefined;
    this.#ws.off('pong', this.#onPong);
  }

  #ping(): void {
    // One outstanding ping at a time: with timeout > interval a second ping would only reset nothing.
    if (this.#deadline) return;
    this.#deadline = setTimeout(() => {
      this.stop();
      this.#onDead();
    }, this.#timeoutMs);
    this.#deadline.unref();
    try {
      this.#ws.ping();
    } catch {
      // The socket is already closing; its close event ends the session, the deadline is a backstop.
    }
  }
}
