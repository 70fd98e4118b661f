/**
 * @module The gateway's HTTP + WebSocket server: one port for /health, /ready, /api, the Web UI and
 * WebSocket upgrades at `/` and `gateway.websocket_path`.
 */
import { EventEmitter } from 'node:events';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import { CLOSE, GatewayError, PROTOCOL_VERSION, type Role } from '../protocol/index.js';
import type { ResolvedConfig } from '../config/index.js';
import type { Logger } from 'pino';
import { Connection } from './connection.js';
import { InProcessConnection, type InProcessPeerOptions } from './in-process-connection.js';
import type { Peer } from './peer.js';
import { RpcRouter } from './rpc-router.js';
import { RestRouter, sendError, sendJson } from './rest-router.js';
import { SessionRegistry } from './session-registry.js';
import { bearerFromHeader, type Authenticator } from './authenticator.js';
import { TrustedProxies, clientOrigin } from './client-address.js';
import { browserGuard } from './browser-guard.js';

export type GatewayState = 'starting' | 'ok' | 'draining';

export interface GatewayServerOptions {
  config: ResolvedConfig;
  authenticator: Authenticator;
  logger: Logger;
  version: string;
  gatewayId: string;
  /** Extra readiness probe for `/ready` (the store answering); a false or a throw answers 503. */
  readiness?: () => Promise<boolean>;
  /** Serves non-API GET requests (the Web UI); answers 404 when absent. */
  web?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean;
  hooks?: {
    onConnection?(role: Role | 'unknown', event: 'open' | 'close' | 'failed', reason?: string): void;
    onMessage?(direction: 'in' | 'out'): void;
  };
}

export interface GatewayServerEvents {
  'connection:open': [Peer];
  'connection:close': [Peer, number];
}

export class GatewayServer extends EventEmitter<GatewayServerEvents> {
  readonly router = new RpcRouter();
  readonly rest: RestRouter;
  readonly sessions: SessionRegistry;
  private state: GatewayState = 'starting';
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly conns = new Set<Connection>();
  private readonly inProcess = new Set<InProcessConnection>();
  private readonly trusted: TrustedProxies;
  private sweep: NodeJS.Timeout | null = null;
  private readonly startedAt = Date.now();
  private boundPort = 0;

  constructor(private readonly opts: GatewayServerOptions) {
    super();
    const g = opts.config.gateway;
    this.trusted = new TrustedProxies(g.trusted_proxies);
    this.sessions = new SessionRegistry({
      replayBuffer: g.websocket.replay_buffer,
      ttlMs: g.websocket.session_ttl * 1000,
    });
    this.rest = new RestRouter(opts.authenticator, g.max_body_size);
    this.http = g.tls.enabled ? createHttpsServer(this.tlsOptions()) : createHttpServer();
    this.http.on('request', (req, res) => void this.onRequest(req, res));
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.http.on('clientError', (_err, socket) => socket.destroy());
    // perMessageDeflate off: it costs ~300 KB of zlib state per socket and our frames are small JSON.
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: g.websocket.max_message_size,
      perMessageDeflate: false,
    });
    this.router.register('health', () => this.health());
  }

  private tlsOptions() {
    const t = this.opts.config.gateway.tls;
    if (!t.cert || !t.key)
      throw new GatewayError('GW_ERR_CONFIG_INVALID', {
        reason: 'gateway.tls.enabled needs gateway.tls.cert and gateway.tls.key',
      });
    // Without a CA of its own, Node would accept client certificates from every public CA, and
    // each of them would be granted client_cert_role.
    if (t.client_auth !== 'none' && !t.ca)
      throw new GatewayError('GW_ERR_CONFIG_INVALID', {
        reason: `gateway.tls.client_auth ${t.client_auth} needs gateway.tls.ca, the CA that signs client certificates`,
      });
    const read = (key: string, file: string) => {
      try {
        return readFileSync(file);
      } catch (err) {
        throw new GatewayError('GW_ERR_CONFIG_INVALID', {
          reason: `gateway.tls.${key}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
        });
      }
    };
    return {
      cert: read('cert', t.cert),
      key: read('key', t.key),
      ...(t.ca ? { ca: read('ca', t.ca) } : {}),
      requestCert: t.client_auth !== 'none',
      // Unauthorized client certs are rejected per connection below, so plain token clients still work with 'optional'.
      rejectUnauthorized: t.client_auth === 'require',
    };
  }

  get status(): GatewayState {
    return this.state;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    const scheme = this.opts.config.gateway.tls.enabled ? 'https' : 'http';
    const host = this.opts.config.gateway.host.includes(':')
      ? `[${this.opts.config.gateway.host}]`
      : this.opts.config.gateway.host;
    return `${scheme}://${host}:${this.boundPort}`;
  }

  health() {
    return { status: 'ok' as const, uptime_ms: Date.now() - this.startedAt, version: this.opts.version };
  }

  connections(): Connection[] {
    return [...this.conns].filter((c) => c.isOpen);
  }

  /**
   * Connects a peer that lives in this process (the built-in local node). It is trusted as the role
   * it names, having no credential to show, so it is for the gateway's own parts only.
   */
  attachInProcess(opts: InProcessPeerOptions): InProcessConnection {
    if (this.state === 'draining') throw new GatewayError('GW_ERR_GATEWAY_DRAINING');
    const log = this.opts.logger.child({ component: 'in-process' });
    const peer = new InProcessConnection(
      {
        router: this.router,
        sessions: this.sessions,
        log,
        onOpen: (p) => {
          this.inProcess.add(p);
          this.opts.hooks?.onConnection?.(p.role, 'open');
          this.emit('connection:open', p);
        },
        onClose: (p, code) => {
          this.inProcess.delete(p);
          this.opts.hooks?.onConnection?.(p.role, 'close');
          this.emit('connection:close', p, code);
        },
      },
      opts,
    );
    peer.start();
    return peer;
  }

  async listen(): Promise<void> {
    const { host, port } = this.opts.config.gateway;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') reject(new GatewayError('GW_ERR_CONFIG_PORT_IN_USE', { host, port }));
        else if (err.code === 'EADDRNOTAVAIL')
          reject(
            new GatewayError(
              'GW_ERR_CONFIG_INVALID',
              {},
              `cannot bind ${host}:${port}: no such local address (gateway.host / OPENCLAW_GATEWAY_HOST)`,
            ),
          );
        else if (err.code === 'EACCES')
          reject(
            new GatewayError(
              'GW_ERR_CONFIG_INVALID',
              {},
              `cannot bind ${host}:${port}: permission denied (ports below 1024 need privileges)`,
            ),
          );
        else reject(err);
      };
      this.http.once('error', onError);
      this.http.listen({ host, port, backlog: 4096 }, () => {
        this.http.off('error', onError);
        resolve();
      });
    });
    const addr = this.http.address();
    this.boundPort = typeof addr === 'object' && addr ? addr.port : port;
    const g = this.opts.config.gateway.websocket;
    this.sweep = setInterval(() => {
      const now = Date.now();
      for (const c of this.conns) c.heartbeat(now);
    }, g.ping_interval * 1000);
    this.sweep.unref();
  }

  markReady(): void {
    if (this.state === 'starting') this.state = 'ok';
  }

  /** Stops accepting new connections and work; /ready answers 503 from here on. */
  beginDrain(reason: string): void {
    if (this.state === 'draining') return;
    this.state = 'draining';
    for (const c of this.connections()) c.emit('gateway.draining', { reason });
  }

  /** Closes every socket with 1001 and stops listening. */
  async close(): Promise<void> {
    this.state = 'draining';
    if (this.sweep) clearInterval(this.sweep);
    for (const c of this.conns) c.close(CLOSE.GOING_AWAY, 'gateway shutting down');
    for (const p of this.inProcess) p.close(CLOSE.GOING_AWAY, 'gateway shutting down');
    const deadline = Date.now() + 2000;
    while (this.conns.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    this.sessions.closeAll();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://gateway.invalid');
    } catch {
      sendJson(res, 400, {
        error: { code: 'GW_ERR_GATEWAY_NOT_FOUND', message: 'bad request target', retryable: false },
      });
      return;
    }
    const path = url.pathname;
    if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) {
      sendJson(res, 200, {
        status: this.state,
        uptime_ms: Date.now() - this.startedAt,
        version: this.opts.version,
      });
      return;
    }
    if (path === '/ready' && (req.method === 'GET' || req.method === 'HEAD')) {
      // Ready means serving and the store answering (R1.1): a broken disk takes us out of rotation.
      const storeOk =
        this.state === 'ok' && (await (this.opts.readiness?.() ?? Promise.resolve(true)).catch(() => false));
      const status = this.state === 'ok' && !storeOk ? 'starting' : this.state;
      sendJson(res, storeOk ? 200 : 503, {
        status,
        ...(this.state === 'ok' && !storeOk ? { reason: 'store unavailable' } : {}),
      });
      return;
    }
    if (path === '/api' || path.startsWith('/api/')) {
      // The same browser checks as for WebSocket upgrades: without them any page could POST a task
      // as a "simple" cross-site request (text/plain body, no preflight), fatal with auth.mode none.
      const forged = this.browserGuard(req);
      if (forged) {
        sendError(res, forged);
        return;
      }
      if (this.state !== 'ok') {
        const err = new GatewayError(
          this.state === 'draining' ? 'GW_ERR_GATEWAY_DRAINING' : 'GW_ERR_GATEWAY_NOT_READY',
        );
        sendError(res, err, { 'retry-after': '5' });
        return;
      }
      const subject = this.certSubject(req);
      await this.rest.handle(
        req,
        res,
        url,
        clientOrigin(req, this.trusted).address,
        subject !== undefined ? { role: this.opts.config.gateway.tls.client_cert_role, subject } : undefined,
      );
      return;
    }
    if (this.isStrippedUpgrade(req, path)) {
      sendError(res, new GatewayError('GW_ERR_GATEWAY_UPGRADE_REQUIRED', { path }));
      return;
    }
    if ((req.method === 'GET' || req.method === 'HEAD') && this.opts.web?.(req, res, url)) return;
    sendError(res, new GatewayError('GW_ERR_GATEWAY_NOT_FOUND', { method: req.method, path }));
  }

  /**
   * A WebSocket handshake that reached us as a plain GET: Sec-WebSocket-Key is end-to-end, but
   * Upgrade and Connection are hop-by-hop, so a proxy that does not set them again drops them. Seed
   * 7.1 warns about exactly this; naming it beats a puzzling 404.
   */
  private isStrippedUpgrade(req: IncomingMessage, path: string): boolean {
    return (
      req.method === 'GET' &&
      (path === '/' || path === this.opts.config.gateway.websocket_path) &&
      typeof req.headers['sec-websocket-key'] === 'string'
    );
  }

  private browserGuard(req: IncomingMessage): GatewayError | null {
    const g = this.opts.config.gateway;
    return browserGuard(req.headers, {
      allowedOrigins: g.websocket.allowed_origins,
      port: this.boundPort,
      authMode: g.auth.mode,
    });
  }

  private rejectUpgrade(socket: Duplex, status: number, err: GatewayError): void {
    const body = JSON.stringify({ error: err.toBody() });
    socket.end(
      `HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : 'Service Unavailable'}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const g = this.opts.config.gateway;
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/' && path !== g.websocket_path) {
      this.rejectUpgrade(socket, 404, new GatewayError('GW_ERR_GATEWAY_NOT_FOUND', { method: 'GET', path }));
      return;
    }
    if (this.state === 'draining') {
      this.rejectUpgrade(socket, 503, new GatewayError('GW_ERR_GATEWAY_DRAINING'));
      return;
    }
    const forged = this.browserGuard(req);
    if (forged) {
      this.opts.hooks?.onConnection?.('unknown', 'failed', 'origin');
      this.rejectUpgrade(socket, 403, forged);
      return;
    }
    const remote = clientOrigin(req, this.trusted).address;
    const certSubject = this.certSubject(req);
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const conn = new Connection(
        ws,
        this.connectionDeps(certSubject),
        remote,
        bearerFromHeader(req.headers.authorization),
        socket,
      );
      this.conns.add(conn);
      ws.once('close', () => this.conns.delete(conn));
    });
  }

  /** The CN of a client certificate the TLS layer verified against gateway.tls.ca (mTLS), if any. */
  private certSubject(req: IncomingMessage): string | undefined {
    const g = this.opts.config.gateway;
    const tlsSocket = req.socket as TLSSocket;
    if (!g.tls.enabled || g.tls.client_auth === 'none' || !tlsSocket.authorized) return undefined;
    const cert = tlsSocket.getPeerCertificate();
    return cert && cert.subject ? String(cert.subject.CN ?? 'client') : undefined;
  }

  private connectionDeps(certSubject: string | undefined) {
    const g = this.opts.config.gateway;
    const log = this.opts.logger.child({ component: 'ws' });
    return {
      router: this.router,
      sessions: this.sessions,
      authenticate: async (
        params: import('../protocol/index.js').ConnectParams,
        headerToken: string | undefined,
        remoteAddress: string,
      ) => {
        try {
          return await this.opts.authenticator.authenticate({
            token: params.auth?.token ?? headerToken,
            requestedRole: params.role,
            remoteAddress,
            certRole: certSubject !== undefined ? g.tls.client_cert_role : undefined,
            certSubject,
          });
        } catch (err) {
          const code = err instanceof GatewayError ? err.code : 'internal';
          this.opts.hooks?.onConnection?.(params.role, 'failed', code);
          log.warn(
            { event: 'auth_failed', code, remote: remoteAddress, role: params.role },
            'connection refused',
          );
          throw err;
        }
      },
      serverInfo: () => ({
        protocol: PROTOCOL_VERSION,
        server: {
          name: 'openclaw-gateway' as const,
          version: this.opts.version,
          gateway_id: this.opts.gatewayId,
        },
        policy: {
          max_message_size: g.websocket.max_message_size,
          ping_interval_ms: g.websocket.ping_interval * 1000,
          ping_timeout_ms: g.websocket.ping_timeout * 1000,
        },
        methods: this.router.methods(),
        events: [
          'task.updated',
          'task.progress',
          'task.assigned',
          'task.cancel',
          'task.long_running',
          'gateway.draining',
        ],
      }),
      handshakeTimeoutMs: g.websocket.handshake_timeout * 1000,
      pingIntervalMs: g.websocket.ping_interval * 1000,
      pingTimeoutMs: g.websocket.ping_timeout * 1000,
      idleTimeoutMs: g.websocket.idle_timeout * 1000,
      log,
      onOpen: (c: Connection) => {
        this.opts.hooks?.onConnection?.(c.role ?? 'unknown', 'open');
        this.emit('connection:open', c);
      },
      onClose: (c: Connection, code: number) => {
        this.opts.hooks?.onConnection?.(c.role ?? 'unknown', 'close');
        this.emit('connection:close', c, code);
      },
      onMessage: (d: 'in' | 'out') => this.opts.hooks?.onMessage?.(d),
      isDraining: () => this.state === 'draining',
    };
  }
}
