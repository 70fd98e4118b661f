/** @module Authentication primitives of the gateway: tokens, secret, throttle, origin and role policy. */
export {
  createTokenService,
  parseTtl,
  tokenFingerprint,
  MAX_TTL_SECONDS,
  type TokenService,
  type TokenServiceOptions,
  type IssueOptions,
  type IssuedToken,
  type VerifiedToken,
  type InvalidTokenReason,
} from './token-service.js';
export { InMemoryRevocationStore, type InMemoryRevocationStoreOptions } from './revocations.js';
export {
  resolveAuthSecret,
  readAuthSecretFile,
  authSecretPath,
  checkSecretFileMode,
  formatMode,
  AUTH_SECRET_FILE,
  type ResolveAuthSecretOptions,
  type ResolvedAuthSecret,
  type SecretFileMode,
} from './secret-file.js';
export { MIN_SECRET_LENGTH, assertUsableSecret } from './secret-policy.js';
export {
  AuthThrottle,
  throttleKey,
  type AuthThrottleOptions,
  type ThrottleDecision,
} from './auth-throttle.js';
export {
  isOriginAllowed,
  allowedOrigins,
  normalizeOrigin,
  type OriginPolicyOptions,
} from './origin-policy.js';
export { mayConnectAs, mayCall, assertMayConnectAs, assertMayCall } from './role-policy.js';
