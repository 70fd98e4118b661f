/**
 * @module How a node runtime talks to its gateway: a GatewayClient over WebSocket (remote nodes), or
 * an in-process peer (the gateway's built-in local node). The runtime needs only this much of either.
 */
import { CLOSE, GatewayError } from '../protocol/index.js';
import type { InProcessConnection } from '../gateway/index.js';

export interface NodeLink {
  /** `closed` once closed for good: reports stop retrying then. */
  readonly state: string;
  /** The gateway's limits, known once connected. */
  readonly connectResult?: { policy: { max_message_size: number } } | undefined;
  connect(options?: { retry?: boolean }): Promise<unknown>;
  request(method: string, params?: unknown, options?: { timeoutMs?: number }): Promise<unknown>;
  onEvent(name: string, handler: (payload: unknown) => void): unknown;
  close(): Promise<void>;
}

/**
 * The local node's link: `attach` joins the gateway as a node peer when the runtime starts. There is
 * no socket to drop, so there is no reconnect; after `close` every request fails as unreachable.
 */
export class InProcessLink implements NodeLink {
  private peer: InProcessConnection | null = null;
  private closed = false;
  private readonly handlers = new Map<string, Array<(payload: unknown) => void>>();
  readonly connectResult: { policy: { max_message_size: number } };

  constructor(
    private readonly attach: () => InProcessConnection,
    /** The gateway's `gateway.websocket.max_message_size`: results must still fit in a frame to its clients. */
    maxMessageSize: number,
  ) {
    this.connectResult = { policy: { max_message_size: maxMessageSize } };
  }

  get state(): string {
    if (this.closed) return 'closed';
    return this.peer?.isOpen ? 'open' : 'idle';
  }

  async connect(): Promise<void> {
    if (this.closed) throw this.unreachable('closed');
    if (this.peer?.isOpen) return;
    const peer = this.attach();
    peer.onEvent((event, payload) => {
      for (const h of this.handlers.get(event) ?? []) h(payload);
    });
    // The gateway closes it only when it shuts down (or a remote node takes over its id): for good.
    peer.onClose(() => {
      this.closed = true;
    });
    this.peer = peer;
  }

  request(method: string, params?: unknown): Promise<unknown> {
    if (!this.peer || this.closed) return Promise.reject(this.unreachable('not connected'));
    return this.peer.request(method, params);
  }

  onEvent(name: string, handler: (payload: unknown) => void): () => void {
    const list = this.handlers.get(name) ?? [];
    list.push(handler);
    this.handlers.set(name, list);
    return () => {
      const i = list.indexOf(handler);
      if (i >= 0) list.splice(i, 1);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.peer?.close(CLOSE.NORMAL, 'node stopping');
  }

  private unreachable(reason: string): GatewayError {
    return new GatewayError('GW_ERR_GATEWAY_UNREACHABLE', { url: 'in-process', reason });
  }
}
