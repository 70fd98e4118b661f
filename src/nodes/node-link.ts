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

export interface InProcessLinkOptions {
  /** The gateway's `gateway.websocket.max_message_size`: results must still fit in a frame to its clients. */
  maxMessageSize: number;
  /** How long a request may take before it fails with GW_ERR_GATEWAY_TIMEOUT; 0 waits forever. Default 30 s, as GatewayClient. */
  requestTimeoutMs?: number;
  /** The gateway closed the link (it shuts down, or a remote node connected with this node's id). */
  onLost?: (code: number, reason: string) => void;
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
  private readonly requestTimeoutMs: number;

  constructor(
    private readonly attach: () => InProcessConnection,
    private readonly options: InProcessLinkOptions,
  ) {
    this.connectResult = { policy: { max_message_size: options.maxMessageSize } };
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
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
    peer.onClose((code, reason) => {
      const byUs = this.closed;
      this.closed = true;
      if (!byUs) this.options.onLost?.(code, reason);
    });
    this.peer = peer;
  }

  request(method: string, params?: unknown, options: { timeoutMs?: number } = {}): Promise<unknown> {
    if (!this.peer || this.closed) return Promise.reject(this.unreachable('not connected'));
    const answer = this.peer.request(method, params);
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    if (timeoutMs <= 0) return answer;
    // A handler stuck on a store that no longer answers must not hold the node's report for good: as
    // over a socket, the caller gets a retryable timeout (the node runtime retries its reports).
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new GatewayError('GW_ERR_GATEWAY_TIMEOUT', { method, timeout_ms: timeoutMs })),
        timeoutMs,
      );
      answer.then(
        (v) => (clearTimeout(timer), resolve(v)),
        (e: unknown) => (clearTimeout(timer), reject(e)),
      );
    });
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
