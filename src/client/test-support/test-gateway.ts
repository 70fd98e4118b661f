/** @module A small protocol v1 server that stands in for the gateway in the client's own tests. */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import {
  CLOSE,
  ConnectParamsSchema,
  GatewayError,
  PROTOCOL_VERSION,
  parseFrame,
  toGatewayError,
  type ConnectParams,
  type ConnectResult,
  type EventFrame,
  type ResponseFrame,
} from '../../protocol/index.js';

export interface TestGatewayOptions {
  /** Token the server accepts; `null` accepts anyone. Default `'test-token'`. */
  token?: string | null;
  /** Events each session keeps for resume. Default 100. */
  replayBuffer?: number;
  /** Events the client already had that are sent again on resume, to exercise its dedupe. Default 0. */
  replayOverlap?: number;
  /** Refuse a wrong `Authorization` header with HTTP 401 at the upgrade. Default false. */
  checkHeaderAtUpgrade?: boolean;
  /** Serve `wss://` with this PEM certificate and key; with `ca`, also demand a client certificate. Default plain `ws://`. */
  tls?: { cert: string; key: string; ca?: string };
}

export type TestHandler = (params: Record<string, unknown>, conn: TestConnection) => unknown;

interface Session {
  id: string;
  seq: number;
  buffer: EventFrame[];
  conn: TestConnection | undefined;
}

export interface TestConnection {
  readonly ws: WebSocket;
  readonly headers: IncomingHttpHeaders;
  params: ConnectParams | undefined;
  session: Session | undefined;
}

export class TestGateway {
  readonly url: string;
  readonly port: number;
  /** Token currently accepted; change it to make the next connect fail with 4401. */
  token: string | null;
  /** Destroy upgrade requests on arrival, as if the gateway were down. */
  refuseUpgrades = false;
  /** Leave `connect` unanswered, to exercise the client's handshake timeout. */
  answerConnect = true;
  /** Every upgrade request that arrived, refused or not. */
  upgrades = 0;
  /** Every connect frame received, in order, with the Authorization header that came with it. */
  readonly connects: Array<{ params: ConnectParams; authorization: string | undefined }> = [];

  readonly #opts: Required<Omit<TestGatewayOptions, 'token' | 'tls'>>;
  readonly #server: Server;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #sockets = new Set<Socket>();
  readonly #conns = new Set<TestConnection>();
  readonly #sessions = new Map<string, Session>();
  readonly #handlers = new Map<string, TestHandler>();
  readonly #waiters: Array<(c: TestConnection) => void> = [];
  readonly #replies = new Map<string, (f: ResponseFrame) => void>();
  #nextId = 1;

  private constructor(server: Server, opts: TestGatewayOptions) {
    this.#server = server;
    this.port = (server.address() as AddressInfo).port;
    this.url = `${opts.tls ? 'wss' : 'ws'}://127.0.0.1:${this.port}/ws`;
    this.token = opts.token === undefined ? 'test-token' : opts.token;
    this.#opts = {
      replayBuffer: opts.replayBuffer ?? 100,
      replayOverlap: opts.replayOverlap ?? 0,
      checkHeaderAtUpgrade: opts.checkHeaderAtUpgrade ?? false,
    };
    server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    server.on('upgrade', (req, socket, head) => {
      this.upgrades++;
      if (this.refuseUpgrades) return socket.destroy();
      if (this.#opts.checkHeaderAtUpgrade && req.headers.authorization !== `Bearer ${this.token}`) {
        const body = JSON.stringify({
          error: new GatewayError('GW_ERR_AUTH_INVALID', { reason: 'bad header' }).toBody(),
        });
        socket.end(
          `HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
        );
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, req.headers));
    });
  }

  /** Listens on 127.0.0.1 at an ephemeral port. */
  static async start(opts: TestGatewayOptions = {}): Promise<TestGateway> {
    const notFound = (_req: unknown, res: ServerResponse): void => void res.writeHead(404).end();
    const tls = opts.tls;
    const server: Server = tls
      ? createTlsServer(
          { ...tls, requestCert: tls.ca !== undefined, rejectUnauthorized: tls.ca !== undefined },
          notFound,
        )
      : createServer(notFound);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new TestGateway(server, opts);
  }

  /** Authenticated, open connections. */
  get connections(): TestConnection[] {
    return [...this.#conns].filter((c) => c.session && c.ws.readyState === WebSocket.OPEN);
  }

  /** WebSocket connections still open on the server side, authenticated or not. */
  get socketCount(): number {
    return this.#conns.size;
  }

  /** Overrides the default answer (an echo of `{method, params}`) for `method`. */
  handle(method: string, handler: TestHandler): void {
    this.#handlers.set(method, handler);
  }

  /** Resolves with the next connection that completes the handshake. */
  nextConnection(): Promise<TestConnection> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Sends an event on every session; a session whose client is away only buffers it for resume. */
  emitEvent(event: string, payload?: unknown): void {
    for (const s of this.#sessions.values()) {
      const frame: EventFrame = { type: 'event', event, payload, seq: ++s.seq };
      s.buffer.push(frame);
      if (s.buffer.length > this.#opts.replayBuffer) s.buffer.shift();
      if (s.conn && s.conn.ws.readyState === WebSocket.OPEN) s.conn.ws.send(JSON.stringify(frame));
    }
  }

  /** Sends a gateway-initiated request and resolves with the client's response frame. */
  request(conn: TestConnection, method: string, params?: Record<string, unknown>): Promise<ResponseFrame> {
    const id = `srv-${this.#nextId++}`;
    return new Promise((resolve) => {
      this.#replies.set(id, resolve);
      conn.ws.send(
        JSON.stringify(
          params === undefined ? { type: 'req', id, method } : { type: 'req', id, method, params },
        ),
      );
    });
  }

  /** Cuts every connection without a close frame, as a crashed gateway or a dead network would. */
  dropAll(): void {
    for (const c of this.#conns) c.ws.terminate();
  }

  /** Closes every connection with `code`. */
  closeAll(code: number, reason = ''): void {
    for (const c of this.#conns) c.ws.close(code, reason);
  }

  /** Stops reading every connection, so pings go unanswered while TCP stays up. */
  pauseAll(): void {
    for (const c of this.#conns) c.ws.pause();
  }

  async close(): Promise<void> {
    for (const c of this.#conns) c.ws.terminate();
    for (const s of this.#sockets) s.destroy();
    this.#wss.close();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(ws: WebSocket, headers: IncomingHttpHeaders): void {
    const conn: TestConnection = { ws, headers, params: undefined, session: undefined };
    this.#conns.add(conn);
    ws.on('error', () => {});
    ws.on('close', () => {
      this.#conns.delete(conn);
      if (conn.session?.conn === conn) conn.session.conn = undefined;
    });
    ws.on('message', (data: RawData) => this.#onMessage(conn, String(data)));
  }

  #onMessage(conn: TestConnection, text: string): void {
    const parsed = parseFrame(text);
    if (!parsed.ok) return conn.ws.close(CLOSE.INVALID_PAYLOAD, 'invalid frame');
    const frame = parsed.frame;
    if (frame.type === 'res') return this.#replies.get(frame.id)?.(frame);
    if (frame.type === 'event') return;
    if (!conn.session) {
      if (frame.method !== 'connect') return conn.ws.close(CLOSE.POLICY_VIOLATION, 'connect first');
      return this.#connect(conn, frame.id, frame.params);
    }
    void this.#answer(conn, frame.id, frame.method, (frame.params ?? {}) as Record<string, unknown>);
  }

  #connect(conn: TestConnection, id: string, raw: unknown): void {
    const p = ConnectParamsSchema.safeParse(raw);
    if (!p.success) return conn.ws.close(CLOSE.POLICY_VIOLATION, 'bad connect params');
    const params = p.data;
    const authorization = conn.headers.authorization;
    this.connects.push({ params, authorization });
    if (!this.answerConnect) return;
    const refuse = (err: GatewayError): void => {
      conn.ws.send(JSON.stringify({ type: 'res', id, ok: false, error: err.toBody() }));
      conn.ws.close(err.closeCode ?? CLOSE.POLICY_VIOLATION, err.code);
    };
    if (params.protocol.min > PROTOCOL_VERSION || params.protocol.max < PROTOCOL_VERSION) {
      return refuse(
        new GatewayError('GW_ERR_PROTOCOL_VERSION', { ...params.protocol, supported: PROTOCOL_VERSION }),
      );
    }
    if (this.token !== null) {
      const given = params.auth?.token ?? authorization?.replace(/^Bearer /, '');
      if (given === undefined) return refuse(new GatewayError('GW_ERR_AUTH_REQUIRED'));
      if (given !== this.token)
        return refuse(new GatewayError('GW_ERR_AUTH_INVALID', { reason: 'unknown token' }));
    }
    let session = params.resume ? this.#sessions.get(params.resume.session) : undefined;
    const lastSeq = params.resume?.last_seq ?? 0;
    // Resumable only if nothing the client missed has been pushed out of the buffer.
    const resumed = session !== undefined && (session.buffer[0]?.seq ?? session.seq + 1) <= lastSeq + 1;
    if (!resumed) {
      session = { id: `sess-${this.#sessions.size + 1}`, seq: 0, buffer: [], conn: undefined };
      this.#sessions.set(session.id, session);
    }
    const s = session as Session;
    s.conn?.ws.terminate();
    s.conn = conn;
    conn.session = s;
    conn.params = params;
    const result: ConnectResult = {
      protocol: PROTOCOL_VERSION,
      server: { name: 'openclaw-gateway', version: 'test', gateway_id: 'test-gateway' },
      session: { id: s.id, resumed },
      role: params.role,
      policy: { max_message_size: 10 * 1024 * 1024, ping_interval_ms: 30_000, ping_timeout_ms: 10_000 },
      methods: ['health', ...this.#handlers.keys()],
      events: ['task.updated'],
    };
    conn.ws.send(JSON.stringify({ type: 'res', id, ok: true, payload: result }));
    if (resumed) {
      const from = lastSeq - this.#opts.replayOverlap;
      for (const f of s.buffer) if (f.seq > from) conn.ws.send(JSON.stringify(f));
    }
    for (const w of this.#waiters.splice(0)) w(conn);
  }

  async #answer(
    conn: TestConnection,
    id: string,
    method: string,
    params: Record<string, unknown>,
  ): Promise<void> {
    const handler = this.#handlers.get(method);
    let reply: object;
    try {
      const payload =
        handler !== undefined
          ? await handler(params, conn)
          : method === 'health'
            ? { status: 'ok', uptime_ms: 1, version: 'test' }
            : { method, params };
      reply = { type: 'res', id, ok: true, payload };
    } catch (err) {
      reply = { type: 'res', id, ok: false, error: toGatewayError(err).toBody() };
    }
    if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(JSON.stringify(reply));
  }
}
