/**
 * @module A peer inside the gateway process (the built-in local node): its calls go straight to the
 * router and its events straight to a callback, with no socket, no framing and no frame parsing.
 *
 * It keeps what a WebSocket peer has that matters to the services: the same router (role checks and
 * param validation included), a session for its events, and open/close notifications. Calls and
 * events are delivered on a later microtask, never inside the caller's own stack, as a socket would.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError, toGatewayError, type NodeDeclaration, type Role } from '../protocol/index.js';
import type { CallContext, RpcRouter } from './rpc-router.js';
import type { Session, SessionRegistry, SessionSink } from './session-registry.js';
import type { Peer } from './peer.js';

export interface InProcessPeerOptions {
  role: Role;
  /** Names the peer in logs and in its session's owner. */
  principal: string;
  clientName: string;
  node?: NodeDeclaration;
}

export interface InProcessDeps {
  router: RpcRouter;
  sessions: SessionRegistry;
  log: { error(o: object, m?: string): void };
  onOpen(peer: InProcessConnection): void;
  onClose(peer: InProcessConnection, code: number): void;
}

export type InProcessEventHandler = (event: string, payload: unknown) => void;

/**
 * A value as the peer would have it from a JSON frame: a copy, with what JSON drops dropped (undefined
 * fields, functions) and what it converts converted (a Date to its ISO string, NaN to null). The
 * answers and events of one task are a few hundred bytes.
 */
function asOverTheWire(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

export class InProcessConnection implements Peer {
  readonly id = randomUUID();
  readonly role: Role;
  readonly principal: string;
  readonly session: Session;
  readonly node: NodeDeclaration | null;
  readonly clientName: string;
  readonly connectedAt = new Date();
  readonly remoteAddress = 'in-process';
  readonly inProcess = true;
  private open = true;
  private readonly ctx: CallContext;
  private readonly handlers: InProcessEventHandler[] = [];
  private readonly closeHandlers: Array<(code: number, reason: string) => void> = [];
  private readonly sink: SessionSink;

  constructor(
    private readonly deps: InProcessDeps,
    opts: InProcessPeerOptions,
  ) {
    this.role = opts.role;
    this.principal = opts.principal;
    this.clientName = opts.clientName;
    this.node = opts.node ?? null;
    this.session = deps.sessions.create(opts.principal);
    this.ctx = {
      role: opts.role,
      principal: opts.principal,
      session: this.session,
      connectionId: this.id,
      remoteAddress: this.remoteAddress,
      clientName: opts.clientName,
      ...(opts.node ? { nodeId: opts.node.id } : {}),
    };
    this.sink = {
      send: (frame) => {
        // What a socket would deliver: the peer may change what it receives (a skill its args) while
        // the gateway still holds the same object in its session's replay buffer.
        const payload = asOverTheWire(frame.payload);
        queueMicrotask(() => {
          if (!this.open) return;
          for (const h of this.handlers) h(frame.event, payload);
        });
      },
    };
    this.session.sink = this.sink;
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Announces the peer to the gateway's services (a node joins the pool here). */
  start(): void {
    this.deps.onOpen(this);
  }

  emit(event: string, payload?: unknown): void {
    if (this.open) this.session.emit(event, payload);
  }

  onEvent(handler: InProcessEventHandler): void {
    this.handlers.push(handler);
  }

  onClose(handler: (code: number, reason: string) => void): void {
    this.closeHandlers.push(handler);
  }

  /** Calls a method as this peer; rejects with the GatewayError a socket peer would receive. */
  async request(method: string, params: unknown): Promise<unknown> {
    if (!this.open) throw this.closedError();
    await null;
    if (!this.open) throw this.closedError(); // closed while the call waited for its turn
    try {
      return asOverTheWire(await this.deps.router.dispatch(method, params, this.ctx));
    } catch (err) {
      if (!(err instanceof GatewayError))
        this.deps.log.error({ event: 'rpc_handler_error', method, err }, 'method handler threw');
      throw toGatewayError(err);
    }
  }

  private closedError(): GatewayError {
    return new GatewayError('GW_ERR_GATEWAY_UNREACHABLE', {
      url: this.remoteAddress,
      reason: 'connection closed',
    });
  }

  close(code: number, reason: string): void {
    if (!this.open) return;
    this.open = false;
    this.deps.sessions.detach(this.session, this.sink);
    this.deps.onClose(this, code);
    for (const h of this.closeHandlers) h(code, reason);
  }
}
