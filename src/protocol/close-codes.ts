/** @module WebSocket close codes the gateway uses, with the reason each stands for. */
export const CLOSE = {
  NORMAL: 1000,
  GOING_AWAY: 1001, // draining, or a peer that missed its pong
  INVALID_PAYLOAD: 1007, // not JSON, or no valid frame type
  POLICY_VIOLATION: 1008, // first frame not connect, or handshake timeout
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  BAD_VERSION: 4400,
  UNAUTHORIZED: 4401,
  FORBIDDEN: 4403,
  REPLACED: 4409, // the same node id connected again elsewhere
} as const;
