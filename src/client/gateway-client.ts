/** @module The typed protocol v1 client used by the CLI, nodes, the web tests and integration tests. */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { WebSocket, type RawData } from 'ws';
import {
  CLOSE,
  batchWritesPerTurn,
  GatewayError,
  PROTOCOL_VERSION,
  parseFrame,
  toGatewayError,
  type ConnectParams,
  type ConnectResult,
  type MethodName,
  type MethodParams,
  type RequestFrame,
} from '../protocol/index.js';
import { computeBackoffMs } from './backoff.js';
import {
  resolveClientOptions,
  type GatewayClientOptions,
  type ResolvedClientOptions,
} from './client-options.js';
import { FATAL_CLOSE_CODES, closeCodeError, unreachable } from './connection-errors.js';
import { rawToString, startConnectionAttempt, type ConnectionAttempt } from './handshake.js';
import { EventStream, type EventHandler } from './event-stream.js';
import { Keepalive } from './keepalive.js';
import { PendingRequests } from './pending-requests.js';
import { RequestRouter, type RequestHandler } from './request-router.js';

export type ClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closing' | 'closed';

export interface GatewayClientEvents {
  /** A gateway event, delivered once per seq even when a resume replays it. */
  event: [name: string, payload: unknown, seq: number];
  /** A reconnect attempt is scheduled after `delayMs`. */
  reconnecting: [info: { attempt: number; delayMs: number }];
  /** A session is back; `session.resumed` says whether missed events were replayed. */
  reconnected: [result: ConnectResult];
  /** An established connection closed (for whatever reason, close() included). */
  disconnected: [info: { code: number; reason: string }];
  /** The client stopped for good without close(): fatal close code, auth refused, or retries used up. */
  fatal: [error: GatewayError];
}

export interface RequestOptions {
  /** Overrides the client's `requestTimeoutMs`; 0 waits forever. */
  timeoutMs?: number;
}

export interface ConnectOptions {
  /** Retry a failed first connect with the reconnect policy (for nodes started before the gateway). Default false. */
  retry?: boolean;
}

/** Params of a known method are type-checked against its schema; unknown methods take any object. */
export type RequestParams<M extends string> = M extends MethodName
  ? MethodParams<M>
  : Record<string, unknown>;
export type { EventHandler, RequestHandler };

/** How long close() waits for the gateway to answer the close frame before cutting the socket. */
const CLOSE_GRACE_MS = 2000;

export class GatewayClient extends EventEmitter<GatewayClientEvents> {
  readonly #o: ResolvedClientOptions;
  readonly #pending = new PendingRequests();
  readonly #router = new RequestRouter();
  readonly #events = new EventStream();
  #state: ClientState = 'idle';
  #ws: WebSocket | undefined;
  /** Corks #ws's socket for the rest of the turn (`batchWritesPerTurn`). */
  #hold: () => void = () => {};
  #attempt: ConnectionAttempt | undefined;
  #keepalive: Keepalive | undefined;
  #result: ConnectResult | undefined;
  #session: string | undefined;
  #nextId = 1;
  #dropReason: string | undefined;
  #connecting: Promise<ConnectResult> | undefined;
  #closing: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  readonly #waiters: Array<{ resolve: (r: ConnectResult) => void; reject: (e: GatewayError) => void }> = [];

  constructor(options: GatewayClientOptions) {
    super();
    this.#o = resolveClientOptions(options);
  }

  get state(): ClientState {
    return this.#state;
  }
  /** Id of the current (or last) session, sent as `resume.session` on reconnect. */
  get sessionId(): string | undefined {
    return this.#session;
  }
  /** Highest event seq delivered on this session; 0 before the first event. */
  get lastSeq(): number {
    return this.#events.lastSeq ?? 0;
  }
  /** The ConnectResult of the current (or last) session. */
  get connectResult(): ConnectResult | undefined {
    return this.#result;
  }

  /**
   * Opens the connection and completes the handshake. Rejects with the gateway's GatewayError
   * (GW_ERR_AUTH_*, GW_ERR_PROTOCOL_VERSION) or GW_ERR_GATEWAY_UNREACHABLE (url and OS reason).
   * While the client reconnects, it waits for the session to come back.
   */
  connect(options: ConnectOptions = {}): Promise<ConnectResult> {
    if (this.#state === 'open' && this.#result) return Promise.resolve(this.#result);
    if (this.#connecting) return this.#connecting;
    if (this.#state === 'closing' || this.#state === 'closed') return Promise.reject(this.#closedError());
    if (this.#state === 'reconnecting') return this.#nextSession();
    this.#state = 'connecting';
    this.#connecting = this.#establish(false, options.retry ?? false)
      .catch((err: unknown) => {
        if (this.#state === 'connecting') this.#state = 'idle';
        throw err;
      })
      .finally(() => {
        this.#connecting = undefined;
      });
    return this.#connecting;
  }

  /** Sends a request and resolves with its payload; an error response rejects with its GatewayError. */
  request<M extends string>(
    method: M,
    params?: RequestParams<M>,
    options: RequestOptions = {},
  ): Promise<unknown> {
    const ws = this.#ws;
    if (this.#state !== 'open' || !ws || ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(
        this.#state === 'closing' || this.#state === 'closed'
          ? this.#closedError()
          : unreachable(this.#o.url, `not connected (${this.#state})`),
      );
    }
    const id = this.#newId();
    const done = this.#pending.add(id, method, options.timeoutMs ?? this.#o.requestTimeoutMs);
    const frame: RequestFrame = { type: 'req', id, method };
    if (params !== undefined) frame.params = params as Record<string, unknown>;
    this.#hold();
    ws.send(JSON.stringify(frame), (err) => {
      if (err) this.#pending.fail(id, unreachable(this.#o.url, err.message));
    });
    return done;
  }

  /** Answers gateway-initiated requests for `method`; a thrown GatewayError becomes the error response. */
  handle(method: string, handler: RequestHandler): this {
    this.#router.handle(method, handler);
    return this;
  }

  /** Subscribes to one event name; returns the function that unsubscribes. */
  onEvent(name: string, handler: EventHandler): () => void {
    return this.#events.subscribe(name, handler);
  }

  /** Ends the session for good: no reconnect, pending requests fail; resolves once the socket is closed. */
  close(): Promise<void> {
    if (this.#state === 'closed') return Promise.resolve();
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#state = 'closing';
    this.#wake?.();
    const ws = this.#ws;
    const waits: Array<Promise<void>> = [];
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      waits.push(new Promise<void>((resolve) => ws.once('close', () => resolve())));
    }
    const attempt = this.#attempt;
    if (attempt) {
      waits.push(attempt.closed);
      attempt.abort(this.#closedError());
    }
    this.#pending.failAll(this.#closedError());
    this.#settleWaiters(this.#closedError());
    this.#keepalive?.stop();
    let grace: NodeJS.Timeout | undefined;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      ws.close(1000, 'client closed');
      // A gateway that never answers the close frame must not hold close() for ws's 30 s default.
      grace = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
    }
    await Promise.all(waits);
    if (grace) clearTimeout(grace);
    this.#ws = undefined;
    this.#state = 'closed';
  }

  /**
   * Runs attempts until one succeeds. `waitFirst` is the reconnect case (back off before the first try);
   * otherwise the first try is immediate and retries only happen with `retry`. Throws the last error
   * once the attempt is not retryable, the retries are used up, or the client was closed.
   */
  async #establish(waitFirst: boolean, retry: boolean): Promise<ConnectResult> {
    const phase = this.#state;
    const r = this.#o.reconnect;
    let lastError: GatewayError | undefined;
    for (let tried = 0; ; tried++) {
      if (waitFirst || tried > 0) {
        const attempt = waitFirst ? tried + 1 : tried;
        if (r.maxRetries >= 0 && attempt > r.maxRetries) {
          throw lastError ?? unreachable(this.#o.url, 'connection lost and reconnect.maxRetries is 0');
        }
        let delayMs = computeBackoffMs(attempt, r);
        const retryAfter = lastError?.details['retry_after_s'];
        if (lastError?.code === 'GW_ERR_AUTH_RATE_LIMITED' && typeof retryAfter === 'number') {
          delayMs = Math.max(delayMs, retryAfter * 1000);
        }
        this.emit('reconnecting', { attempt, delayMs });
        await this.#sleep(delayMs);
      }
      if (this.#state !== phase) throw this.#closedError();
      try {
        return await this.#attemptOnce();
      } catch (err) {
        const e = toGatewayError(err);
        if (this.#state !== phase || !retry || !e.retryable) throw e;
        lastError = e;
      }
    }
  }

  #attemptOnce(): Promise<ConnectResult> {
    const o = this.#o;
    const params: ConnectParams = {
      protocol: { min: PROTOCOL_VERSION, max: PROTOCOL_VERSION },
      role: o.role,
      client: o.client,
    };
    if (o.token !== undefined) params.auth = { token: o.token };
    if (o.node) params.node = o.node;
    if (this.#session !== undefined) params.resume = { session: this.#session, last_seq: this.lastSeq };
    const attempt = startConnectionAttempt(o, params, this.#newId(), (ws, result, socket) =>
      this.#adopt(ws, result, socket),
    );
    this.#attempt = attempt;
    return attempt.done.finally(() => {
      if (this.#attempt === attempt) this.#attempt = undefined;
    });
  }

  #adopt(ws: WebSocket, result: ConnectResult, socket: Duplex | undefined): void {
    const wasReconnecting = this.#state === 'reconnecting';
    this.#ws = ws;
    this.#hold = batchWritesPerTurn(socket);
    this.#result = result;
    // Without a replay nothing can arrive twice, and a fresh session may number its events from 1 again.
    if (!result.session.resumed || result.session.id !== this.#session) this.#events.reset();
    this.#session = result.session.id;
    this.#state = 'open';
    this.#dropReason = undefined;
    ws.on('message', (data) => this.#dispatch(ws, data));
    ws.on('close', (code, reason) => this.#onSocketClose(ws, code, reason.toString()));
    const k = this.#o.keepalive;
    if (k.enabled) {
      this.#keepalive = new Keepalive(ws, k.intervalMs, k.timeoutMs, () => {
        this.#dropReason = `no pong within ${k.timeoutMs} ms`;
        ws.terminate();
      });
      this.#keepalive.start();
    }
    // Emitted here, synchronously, so listeners see 'reconnected' before the replayed events.
    if (wasReconnecting) {
      this.#settleWaiters(result);
      this.emit('reconnected', result);
    }
  }

  #onSocketClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.#ws) return;
    this.#keepalive?.stop();
    this.#keepalive = undefined;
    this.#ws = undefined;
    const why = this.#dropReason ?? (reason || `connection closed with ${code}`);
    if (this.#state === 'closing') {
      this.emit('disconnected', { code, reason: why });
      return;
    }
    this.#pending.failAll(unreachable(this.#o.url, why, { close_code: code }));
    this.emit('disconnected', { code, reason: why });
    if (FATAL_CLOSE_CODES.has(code)) {
      this.#fatal(closeCodeError(this.#o.url, code, reason));
    } else if (!this.#o.reconnect.enabled) {
      this.#fatal(unreachable(this.#o.url, `${why}; reconnect is disabled`, { close_code: code }));
    } else {
      this.#state = 'reconnecting';
      this.#establish(true, true).catch((err: unknown) => {
        if (this.#state === 'reconnecting') this.#fatal(toGatewayError(err));
      });
    }
  }

  #fatal(err: GatewayError): void {
    this.#state = 'closed';
    this.#pending.failAll(err);
    this.#settleWaiters(err);
    this.emit('fatal', err);
  }

  #dispatch(ws: WebSocket, data: RawData): void {
    const parsed = parseFrame(rawToString(data));
    if (!parsed.ok) {
      // PROTOCOL: a frame that is not JSON or has no valid type closes the socket with 1007.
      if (parsed.id !== undefined) {
        const error = new GatewayError('GW_ERR_PROTOCOL_INVALID_FRAME', { reason: parsed.reason });
        this.#send(ws, { type: 'res', id: parsed.id, ok: false, error: error.toBody() });
      }
      this.#dropReason = `gateway sent an invalid frame: ${parsed.reason}`;
      ws.close(CLOSE.INVALID_PAYLOAD, 'invalid frame');
      return;
    }
    const frame = parsed.frame;
    if (frame.type === 'res') this.#pending.settle(frame);
    else if (frame.type === 'event') this.#events.deliver(frame, (...args) => this.emit('event', ...args));
    else void this.#router.answer(frame).then((res) => this.#send(ws, res));
  }

  /** Answers go only to the connection that asked: request ids mean nothing on another connection. */
  #send(ws: WebSocket, frame: object): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws === this.#ws) this.#hold();
    ws.send(JSON.stringify(frame));
  }

  #sleep(ms: number): Promise<void> {
    // A 'reconnecting' listener may already have called close().
    if (this.#state === 'closing' || this.#state === 'closed') return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = undefined;
        done();
      };
    });
  }

  /** Resolves with the next session of a reconnecting client, or rejects when it gives up or is closed. */
  #nextSession(): Promise<ConnectResult> {
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  #settleWaiters(result: ConnectResult | GatewayError): void {
    const waiters = this.#waiters.splice(0);
    for (const w of waiters) {
      if (result instanceof GatewayError) w.reject(result);
      else w.resolve(result);
    }
  }

  #closedError(): GatewayError {
    return unreachable(this.#o.url, 'the client was closed');
  }

  #newId(): string {
    return String(this.#nextId++);
  }
}
