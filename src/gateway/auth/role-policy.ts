/** @module Which roles a token may connect as and which methods a connected role may call. */
import { GatewayError, type Role } from '../../protocol/index.js';

/**
 * Whether a token of `tokenRole` may open a session as `requestedRole`. An admin may take any role
 * (e.g. to run a node by hand); an operator only operator; a node token only node, so a leaked node
 * token cannot submit or cancel work.
 */
export function mayConnectAs(tokenRole: Role, requestedRole: Role): boolean {
  if (tokenRole === 'admin') return true;
  return tokenRole === requestedRole;
}

/**
 * Whether a session of `role` may call a method open to `allowedRoles`. Admin inherits every operator
 * method, but not node-only methods (`task.complete`, ...): those need a session opened as node.
 */
export function mayCall(role: Role, allowedRoles: readonly Role[]): boolean {
  if (allowedRoles.includes(role)) return true;
  return role === 'admin' && allowedRoles.includes('operator');
}

/** Throws `GW_ERR_AUTH_FORBIDDEN_ROLE` unless `mayConnectAs(tokenRole, requestedRole)`. */
export function assertMayConnectAs(tokenRole: Role, requestedRole: Role): void {
  if (!mayConnectAs(tokenRole, requestedRole)) {
    throw new GatewayError('GW_ERR_AUTH_FORBIDDEN_ROLE', {
      role: tokenRole,
      action: `connect as ${requestedRole}`,
    });
  }
}

/** Throws `GW_ERR_AUTH_FORBIDDEN_ROLE` unless `mayCall(role, allowedRoles)`. */
export function assertMayCall(role: Role, method: string, allowedRoles: readonly Role[]): void {
  if (!mayCall(role, allowedRoles)) {
    throw new GatewayError('GW_ERR_AUTH_FORBIDDEN_ROLE', { role, action: `call ${method}` });
  }
}
