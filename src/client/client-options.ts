/** @module Options of the gateway client, with the seed's defaults (9.4 `reconnect:` and `keepalive:`). */
import type { NodeDeclaration } from '../protocol/index.js';
import { BACKOFF_DEFAULTS, type JitterMode } from './backoff.js';

export type ClientRole = 'operator' | 'node' | 'admin';

export interface ReconnectOptions {
  /** Reconnect after an unexpected close. Default true. */
  enabled?: boolean;
  /** Reconnect attempts after one drop before giving up; -1 retries forever. Default -1. */
  maxRetries?: number;
  /** Delay before the first attempt, in ms. Default 1000. */
  initialDelayMs?: number;
  /** Cap of the exponential delay, in ms. Default 60000. */
  maxDelayMs?: number;
  /** Growth factor between attempts. Default 2. */
  multiplier?: number;
  /** Jitter mode; `true` is equal jitter (see backoff.ts). Default true. */
  jitter?: JitterMode;
}

export interface KeepaliveOptions {
  /** Send WebSocket pings. Default true. */
  enabled?: boolean;
  /** Time between pings, in ms. Default 30000. */
  intervalMs?: number;
  /** A ping unanswered this long (ms) means the connection is dead. Default 10000. */
  timeoutMs?: number;
}

export interface ClientTlsOptions {
  /** Extra CA certificates (PEM) to trust, for a gateway with a private CA. Default: system CAs. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Client certificate (PEM) for mTLS. Default none. */
  cert?: string | Buffer;
  /** Private key (PEM) of the client certificate. Default none. */
  key?: string | Buffer;
  /** Verify the gateway's certificate. Default true; turn off only for tests. */
  rejectUnauthorized?: boolean;
}

export interface GatewayClientOptions {
  /** Gateway WebSocket URL, e.g. `ws://127.0.0.1:18789/ws` or `wss://gateway.example.com/ws`. Required. */
  url: string;
  /** Bearer token. Default none (a loopback gateway with `auth.mode: none`). */
  token?: string;
  /** Role to connect as. Required. */
  role: ClientRole;
  /** Name and version reported in `connect`. Default `{ name: 'openclaw-client', version: '0.1.0' }`. */
  client?: { name: string; version: string };
  /** Node declaration, sent when `role` is `node`. Default none. */
  node?: NodeDeclaration;
  /** Reconnect policy. Defaults as in seed 9.4: enabled, infinite retries, 1 s .. 60 s, factor 2, jitter. */
  reconnect?: ReconnectOptions;
  /** Client-side ping. Defaults as in seed 9.4: enabled, every 30 s, 10 s pong timeout. */
  keepalive?: KeepaliveOptions;
  /** Default time to wait for a response, in ms; 0 waits forever. Default 30000. */
  requestTimeoutMs?: number;
  /** Time for the socket to open and `connect` to be answered, in ms. Default 10000. */
  handshakeTimeoutMs?: number;
  /** TLS settings for `wss://`. Default none. */
  tls?: ClientTlsOptions;
  /** Extra headers on the upgrade request. Default none. */
  headers?: Record<string, string>;
  /** Also send the token as `Authorization: Bearer` on the upgrade request. Default true. */
  authInHeader?: boolean;
}

export interface ResolvedClientOptions {
  url: string;
  token: string | undefined;
  role: ClientRole;
  client: { name: string; version: string };
  node: NodeDeclaration | undefined;
  reconnect: Required<ReconnectOptions>;
  keepalive: Required<KeepaliveOptions>;
  requestTimeoutMs: number;
  handshakeTimeoutMs: number;
  tls: ClientTlsOptions;
  headers: Record<string, string>;
  authInHeader: boolean;
}

export const DEFAULT_CLIENT_INFO = { name: 'openclaw-client', version: '0.1.0' } as const;

/** setTimeout fires after 1 ms for anything longer, which would turn a long backoff into a busy loop. */
export const MAX_TIMER_MS = 2_147_483_647;

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0 || value > MAX_TIMER_MS) {
    throw new RangeError(
      `GatewayClient option ${name} must be between 0 and ${MAX_TIMER_MS} ms, got ${value}`,
    );
  }
  return value;
}

/** Fills in defaults and rejects nonsense early, so a bad node.yaml fails at start, not at the first drop. */
export function resolveClientOptions(o: GatewayClientOptions): ResolvedClientOptions {
  if (typeof o.url !== 'string' || !/^wss?:\/\//i.test(o.url)) {
    throw new TypeError(`GatewayClient url must start with ws:// or wss://, got ${String(o.url)}`);
  }
  const r = o.reconnect ?? {};
  const k = o.keepalive ?? {};
  const reconnect: Required<ReconnectOptions> = {
    enabled: r.enabled ?? true,
    maxRetries: r.maxRetries ?? -1,
    initialDelayMs: nonNegative(
      'reconnect.initialDelayMs',
      r.initialDelayMs ?? BACKOFF_DEFAULTS.initialDelayMs,
    ),
    maxDelayMs: nonNegative('reconnect.maxDelayMs', r.maxDelayMs ?? BACKOFF_DEFAULTS.maxDelayMs),
    multiplier: r.multiplier ?? BACKOFF_DEFAULTS.multiplier,
    jitter: r.jitter ?? BACKOFF_DEFAULTS.jitter,
  };
  if (!Number.isInteger(reconnect.maxRetries) || reconnect.maxRetries < -1) {
    throw new RangeError(
      `GatewayClient option reconnect.maxRetries must be -1 or more, got ${reconnect.maxRetries}`,
    );
  }
  if (!Number.isFinite(reconnect.multiplier) || reconnect.multiplier < 1) {
    throw new RangeError(
      `GatewayClient option reconnect.multiplier must be >= 1, got ${reconnect.multiplier}`,
    );
  }
  const keepalive: Required<KeepaliveOptions> = {
    enabled: k.enabled ?? true,
    intervalMs: nonNegative('keepalive.intervalMs', k.intervalMs ?? 30_000),
    timeoutMs: nonNegative('keepalive.timeoutMs', k.timeoutMs ?? 10_000),
  };
  if (keepalive.enabled && (keepalive.intervalMs === 0 || keepalive.timeoutMs === 0)) {
    throw new RangeError('GatewayClient keepalive intervalMs and timeoutMs must be > 0 when enabled');
  }
  const handshakeTimeoutMs = o.handshakeTimeoutMs ?? 10_000;
  if (!Number.isFinite(handshakeTimeoutMs) || handshakeTimeoutMs <= 0 || handshakeTimeoutMs > MAX_TIMER_MS) {
    throw new RangeError(`GatewayClient option handshakeTimeoutMs must be > 0, got ${handshakeTimeoutMs}`);
  }
  return {
    url: o.url,
    token: o.token,
    role: o.role,
    client: o.client ?? { ...DEFAULT_CLIENT_INFO },
    node: o.node,
    reconnect,
    keepalive,
    requestTimeoutMs: nonNegative('requestTimeoutMs', o.requestTimeoutMs ?? 30_000),
    handshakeTimeoutMs,
    tls: o.tls ?? {},
    headers: o.headers ?? {},
    authInHeader: o.authInHeader ?? true,
  };
}
