/** @module Public surface of the client layer: the typed protocol v1 client and its backoff. */
export { GatewayClient } from './gateway-client.js';
export type {
  ClientState,
  ConnectOptions,
  EventHandler,
  GatewayClientEvents,
  RequestHandler,
  RequestOptions,
  RequestParams,
} from './gateway-client.js';
export { computeBackoffMs, BACKOFF_DEFAULTS } from './backoff.js';
export type { BackoffOptions, JitterMode } from './backoff.js';
export { resolveClientOptions, DEFAULT_CLIENT_INFO } from './client-options.js';
export type {
  ClientRole,
  ClientTlsOptions,
  GatewayClientOptions,
  KeepaliveOptions,
  ReconnectOptions,
  ResolvedClientOptions,
} from './client-options.js';
export { redactUrl } from './connection-errors.js';
