/** @module The minimum strength of the server auth secret, shared by the secret loader and the token service. */
import { GatewayError } from '../../protocol/index.js';

/** Shortest secret accepted, in characters. Anything shorter is guessable offline from one token. */
export const MIN_SECRET_LENGTH = 16;

/**
 * Throws `GW_ERR_CONFIG_INVALID` when `secret` is too short to sign tokens with. The message names both
 * places a secret can come from and the minimum, but never the secret itself (not even a prefix).
 */
export function assertUsableSecret(
  secret: string,
  where = 'OPENCLAW_AUTH_SECRET / gateway.auth.secret',
): void {
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
    const length = typeof secret === 'string' ? secret.length : 0;
    throw new GatewayError('GW_ERR_CONFIG_INVALID', {
      key: 'gateway.auth.secret',
      env: 'OPENCLAW_AUTH_SECRET',
      length,
      minimum: MIN_SECRET_LENGTH,
      reason:
        `${where}: the auth secret is ${length} characters long; at least ${MIN_SECRET_LENGTH} are required ` +
        `(set OPENCLAW_AUTH_SECRET or gateway.auth.secret to a longer value, or leave both unset to use the ` +
        `secret the gateway generates in its data dir)`,
    });
  }
}
