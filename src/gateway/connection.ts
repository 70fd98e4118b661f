/**
 * @module One WebSocket connection: handshake, frame parsing, dispatch and liveness. A failure in one
 * connection (bad frame, throwing handler) is answered or closes that socket only, never the process.
 */
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { WebSocket, RawData } from 'ws';
import {
  CLOSE,
  batchWritesPerTurn,
  ConnectParamsSchema,
  GatewayError,
  PREAUTH_MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  parseFrame,
  toGatewayError,
  fromErrorBody,
  type ConnectParams,
  type ConnectResult,
  type ErrorBody,
  type EventFrame,
  type NodeDeclaration,
  type RequestFrame,
  type Role,
} from '../protocol/index.js';
import type { RpcRouter } from './rpc-router.js';
import type { Session, SessionRegistry, SessionSink } from './session-registry.js';

export interface Principal {
  role: Role;
  principal: string;
  /** The token's `sub`, when it names whom it was issued to (for node tokens: the node id). */
  subject?: string | undefined;
}

export interface ConnectionDeps {
  router: RpcRouter;
  sessions: SessionRegistry;
  authenticate(
    params: ConnectParams,
    headerToken: string | undefined,
    remoteAddress: string,
  ): Promise<Principal>;
  serverInfo(): Omit<ConnectResult, 'session' | 'role'>;
  handshakeTimeoutMs: number;
  pingIntervalMs: number;
  pingTimeoutMs: number;
  idleTimeoutMs: number;
  log: {
    warn(o: object, m?: string): void;
    error(o: object, m?: string): void;
    debug(o: object, m?: string): void;
  };
  onOpen(conn: Connection): void;
  onClose(conn: Connection, code: number): void;
  onMessage(direction: 'in' | 'out'): void;
  isDraining(): boolean;
}

type State = 'handshake' | 'open' | 'closed';

/** Frames a client may send behind its connect before the answer; each is at most 64 KiB. */
const MAX_PIPELINED_FRAMES = 16;

export class Connection {
  readonly id = randomUUID();
  role: Role | null = null;
  principal = '';
  session: Session | null = null;
  node: NodeDeclaration | null = null;
  clientName = '';
  readonly connectedAt = new Date();
  readonly inProcess = false;
  private state: State = 'handshake';
  private handshakeTimer: NodeJS.Timeout | null;
  private pongTimer: NodeJS.Timeout | null = null;
  private lastActivity = Date.now();
  private nextRequestId = 0;
  /** A connect is being verified; frames that arrive meanwhile wait in `queued`. */
  private handshaking = false;
  private readonly queued: Array<{ buf: Buffer; isBinary: boolean }> = [];
  /** This connection's delivery end of its session; compared by identity when the socket closes. */
  /** Corks the socket for the rest of the turn: frames sent together leave in one write. */
  private readonly hold: () => void;
  private readonly sink: SessionSink = { send: (f) => this.send(f) };
  private readonly pending = new Map<
    string,
    { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }
  >();

  constructor(
    private readonly ws: WebSocket,
    private readonly deps: ConnectionDeps,
    readonly remoteAddress: string,
    private readonly headerToken: string | undefined,
    socket?: Duplex,
  ) {
    this.hold = batchWritesPerTurn(socket);
    this.handshakeTimer = setTimeout(() => {
      this.fail(
        new GatewayError('GW_ERR_PROTOCOL_HANDSHAKE_TIMEOUT', { timeout_ms: deps.handshakeTimeoutMs }),
      );
    }, deps.handshakeTimeoutMs);
    ws.on('message', (data, isBinary) => this.onRaw(data, isBinary));
    ws.on('pong', () => this.clearPong());
    ws.on('close', (code) => this.onClosed(code));
    ws.on('error', (err) => deps.log.debug({ event: 'ws_error', err: err.message }, 'socket error'));
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Sends an event on this connection's session (sequenced and buffered for resume). */
  emit(event: string, payload?: unknown): void {
    this.session?.emit(event, payload);
  }

  /** A request from the gateway to the peer (either side may send requests). */
  request(method: string, params: unknown, timeoutMs = 30_000): Promise<unknown> {
    const id = `g${++this.nextRequestId}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new GatewayError('GW_ERR_GATEWAY_UNREACHABLE', {
            url: this.remoteAddress,
            reason: 'request timed out',
          }),
        );
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.send({ type: 'req', id, method, params });
    });
  }

  /** Liveness: called by the gateway's ping sweep. Closes idle connections when configured. */
  heartbeat(now: number): void {
    if (this.state === 'closed') return;
    if (this.deps.idleTimeoutMs > 0 && now - this.lastActivity > this.deps.idleTimeoutMs) {
      this.close(CLOSE.NORMAL, 'idle timeout');
      return;
    }
    if (this.pongTimer) return;
    try {
      this.ws.ping();
    } catch {
      return;
    }
    this.pongTimer = setTimeout(() => {
      this.deps.log.warn(
        { event: 'ws_pong_timeout', connection: this.id, node_id: this.node?.id },
        'peer missed its pong',
      );
      this.close(CLOSE.GOING_AWAY, 'ping timeout');
      // A peer that stopped answering will not complete the close handshake either.
      setTimeout(() => this.ws.terminate(), 1000).unref();
    }, this.deps.pingTimeoutMs);
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    try {
      this.ws.close(code, reason.slice(0, 120));
    } catch {
      this.ws.terminate();
    }
  }

  private clearPong(): void {
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.pongTimer = null;
  }

  private send(frame: object): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.deps.onMessage('out');
    this.hold();
    this.ws.send(JSON.stringify(frame));
  }

  private sendError(id: string, err: GatewayError): void {
    this.send({ type: 'res', id, ok: false, error: err.toBody() });
  }

  /** Answers (when an id is known) and closes with the error's close code. */
  private fail(err: GatewayError, id?: string): void {
    if (id !== undefined) this.sendError(id, err);
    this.close(err.closeCode ?? CLOSE.INTERNAL_ERROR, err.message);
  }

  private onRaw(data: RawData, isBinary: boolean): void {
    this.lastActivity = Date.now();
    this.deps.onMessage('in');
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (this.state === 'handshake' && buf.length > PREAUTH_MAX_FRAME_BYTES) {
      this.fail(
        new GatewayError('GW_ERR_PROTOCOL_MESSAGE_TOO_LARGE', {
          size: buf.length,
          limit: PREAUTH_MAX_FRAME_BYTES,
        }),
      );
      return;
    }
    if (this.handshaking) {
      // Frames pipelined behind the connect (one TCP segment can carry both) wait for its outcome;
      // judged now, they would look like a non-connect first frame and close the socket.
      if (this.queued.length >= MAX_PIPELINED_FRAMES) {
        this.fail(
          new GatewayError(
            'GW_ERR_PROTOCOL_HANDSHAKE_REQUIRED',
            { limit: MAX_PIPELINED_FRAMES },
            `more than ${MAX_PIPELINED_FRAMES} frames sent before the connect was answered`,
          ),
        );
        return;
      }
      this.queued.push({ buf, isBinary });
      return;
    }
    this.onFrame(buf, isBinary);
  }

  private onFrame(buf: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.fail(
        new GatewayError('GW_ERR_PROTOCOL_INVALID_FRAME', {
          reason: 'binary frames are not part of protocol v1',
        }),
      );
      return;
    }
    const parsed = parseFrame(buf.toString('utf8'));
    if (!parsed.ok) {
      this.fail(new GatewayError('GW_ERR_PROTOCOL_INVALID_FRAME', { reason: parsed.reason }), parsed.id);
      return;
    }
    const frame = parsed.frame;
    if (this.state === 'handshake') {
      if (frame.type !== 'req' || frame.method !== 'connect') {
        this.fail(
          new GatewayError('GW_ERR_PROTOCOL_HANDSHAKE_REQUIRED'),
          frame.type === 'req' ? frame.id : undefined,
        );
        return;
      }
      this.handshaking = true;
      void this.handshake(frame)
        .catch((err) => this.fail(toGatewayError(err), frame.id))
        .finally(() => {
          this.handshaking = false;
          // In order; a queued frame may start another handshake (a corrected connect), and then
          // the ones after it queue again behind that.
          for (const q of this.queued.splice(0)) {
            // A refused connect is closing the socket: what the client sent behind it is moot.
            if (this.state === 'closed' || this.ws.readyState !== this.ws.OPEN) break;
            if (this.handshaking) this.queued.push(q);
            else this.onFrame(q.buf, q.isBinary);
          }
        });
      return;
    }
    if (this.state !== 'open') return;
    if (frame.type === 'req') void this.handleRequest(frame);
    else if (frame.type === 'res') {
      const p = this.pending.get(frame.id);
      if (!p) return;
      this.pending.delete(frame.id);
      clearTimeout(p.timer);
      if (frame.ok) p.resolve(frame.payload);
      else p.reject(fromErrorBody(frame.error as ErrorBody));
    }
    // Events from clients carry no meaning in v1 and are ignored.
  }

  private async handshake(frame: RequestFrame): Promise<void> {
    const res = ConnectParamsSchema.safeParse(frame.params ?? {});
    if (!res.success) {
      const issue = res.error.issues[0]!;
      const path = issue.path.map(String).join('.');
      // The socket stays open: the client may send a corrected connect within the handshake timeout.
      this.sendError(
        frame.id,
        new GatewayError('GW_ERR_PROTOCOL_INVALID_PARAMS', { reason: `${path}: ${issue.message}`, path }),
      );
      return;
    }
    const params = res.data;
    if (
      params.protocol.min > PROTOCOL_VERSION ||
      params.protocol.max < PROTOCOL_VERSION ||
      params.protocol.min > params.protocol.max
    ) {
      throw new GatewayError('GW_ERR_PROTOCOL_VERSION', { ...params.protocol, supported: PROTOCOL_VERSION });
    }
    if (this.deps.isDraining()) throw new GatewayError('GW_ERR_GATEWAY_DRAINING');
    if (params.role === 'node' && !params.node) {
      this.sendError(
        frame.id,
        new GatewayError('GW_ERR_PROTOCOL_INVALID_PARAMS', {
          reason: 'node: a node connection must declare params.node',
          path: 'node',
        }),
      );
      return;
    }
    const who = await this.deps.authenticate(params, this.headerToken, this.remoteAddress);
    if (this.state !== 'handshake') return; // closed (e.g. handshake timeout) while verifying
    // A token issued to one node cannot be used to impersonate another (and take over its tasks).
    if (
      params.role === 'node' &&
      who.role === 'node' &&
      who.subject &&
      who.principal.startsWith('token:') &&
      params.node?.id !== who.subject
    ) {
      throw new GatewayError('GW_ERR_AUTH_FORBIDDEN_ROLE', {
        role: 'node',
        action: `connect as node ${params.node?.id} with a token issued to ${who.subject}`,
      });
    }
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;

    let session: Session | null = null;
    let replay: EventFrame[] | null = null;
    if (params.resume) {
      session = this.deps.sessions.resume(params.resume.session, who.principal);
      replay = session ? session.eventsAfter(params.resume.last_seq) : null;
      if (session && replay === null) session = null;
    }
    const resumed = session !== null;
    session ??= this.deps.sessions.create(who.principal);
    this.session = session;
    this.role = params.role;
    this.principal = who.principal;
    this.node = params.node ?? null;
    this.clientName = params.client.name;
    this.state = 'open';

    const result: ConnectResult = {
      ...this.deps.serverInfo(),
      session: { id: session.id, resumed },
      role: params.role,
    };
    this.send({ type: 'res', id: frame.id, ok: true, payload: result });
    for (const ev of replay ?? []) this.send(ev);
    session.sink = this.sink;
    this.deps.onOpen(this);
  }

  private async handleRequest(frame: RequestFrame): Promise<void> {
    if (frame.method === 'connect') {
      this.sendError(frame.id, new GatewayError('GW_ERR_PROTOCOL_ALREADY_CONNECTED'));
      return;
    }
    try {
      const payload = await this.deps.router.dispatch(frame.method, frame.params, {
        role: this.role!,
        principal: this.principal,
        session: this.session!,
        connectionId: this.id,
        remoteAddress: this.remoteAddress,
        clientName: this.clientName,
        ...(this.node ? { nodeId: this.node.id } : {}),
      });
      this.send(
        payload === undefined
          ? { type: 'res', id: frame.id, ok: true }
          : { type: 'res', id: frame.id, ok: true, payload },
      );
    } catch (err) {
      const gw = toGatewayError(err);
      if (!(err instanceof GatewayError)) {
        this.deps.log.error(
          { event: 'rpc_handler_error', method: frame.method, err },
          'method handler threw',
        );
      }
      this.sendError(frame.id, gw);
    }
  }

  private onClosed(code: number): void {
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.queued.length = 0;
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.clearPong();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(
        new GatewayError('GW_ERR_GATEWAY_UNREACHABLE', {
          url: this.remoteAddress,
          reason: 'connection closed',
        }),
      );
    }
    this.pending.clear();
    if (this.session) this.deps.sessions.detach(this.session, this.sink);
    if (wasOpen) this.deps.onClose(this, code);
  }
}
