/** @module The gateway: server, connections, auth and the composition root of a gateway process. */
export * from './auth/index.js';
export { GatewayServer, type GatewayState } from './gateway-server.js';
export { Connection } from './connection.js';
export { InProcessConnection, type InProcessPeerOptions } from './in-process-connection.js';
export type { Peer } from './peer.js';
export { RpcRouter, type CallContext, type MethodHandler } from './rpc-router.js';
export { RestRouter, type RestHandler, type RestRequest, type RestResponse } from './rest-router.js';
export { Authenticator, bearerFromHeader, isLoopbackHost } from './authenticator.js';
export { openGatewayStores } from './open-stores.js';
export { installProcessHandlers } from './process-handlers.js';
export {
  startGateway,
  assertSafeBind,
  type GatewayContext,
  type GatewayService,
  type RunningGateway,
  type ServiceFactory,
  type StartGatewayOptions,
} from './start-gateway.js';
