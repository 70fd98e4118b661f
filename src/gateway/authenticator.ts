/** @module Decides who a connecting peer is: bearer token, mTLS certificate, or loopback `auth.mode: none`. */
import { GatewayError, type Role } from '../protocol/index.js';
import type { TokenService } from './auth/token-service.js';
import type { AuthThrottle } from './auth/auth-throttle.js';
import { mayConnectAs } from './auth/role-policy.js';

export interface AuthInput {
  token: string | undefined;
  requestedRole: Role;
  remoteAddress: string;
  /** Role granted by a verified client certificate (mTLS), if any. */
  certRole?: Role | undefined;
  certSubject?: string | undefined;
}

export interface AuthResult {
  role: Role;
  /** Stable id of the credential (token jti, cert subject, or "none"); sessions are bound to it. */
  principal: string;
  subject?: string | undefined;
}

export interface AuthenticatorOptions {
  mode: 'token' | 'none';
  tokens: TokenService;
  throttle: AuthThrottle;
  onFailure?: (reason: string, address: string) => void;
}

export class Authenticator {
  constructor(private readonly opts: AuthenticatorOptions) {}

  async authenticate(input: AuthInput): Promise<AuthResult> {
    const { throttle } = this.opts;
    const gate = throttle.check(input.remoteAddress);
    if (!gate.allowed) {
      this.opts.onFailure?.('rate_limited', input.remoteAddress);
      throw new GatewayError('GW_ERR_AUTH_RATE_LIMITED', {
        retry_after_s: Math.ceil(gate.retryAfterMs / 1000),
      });
    }
    let granted: AuthResult;
    if (input.token) {
      try {
        const v = await this.opts.tokens.verify(input.token);
        granted = { role: v.role, principal: `token:${v.jti}`, subject: v.sub };
      } catch (err) {
        throttle.recordFailure(input.remoteAddress);
        this.opts.onFailure?.('invalid_token', input.remoteAddress);
        throw err;
      }
    } else if (input.certRole) {
      granted = {
        role: input.certRole,
        principal: `cert:${input.certSubject ?? 'client'}`,
        subject: input.certSubject,
      };
    } else if (this.opts.mode === 'none') {
      // Only reachable on a loopback bind: start-up refuses `none` anywhere else (R2.1).
      granted = { role: 'admin', principal: 'none' };
    } else {
      throttle.recordFailure(input.remoteAddress);
      this.opts.onFailure?.('missing_token', input.remoteAddress);
      throw new GatewayError('GW_ERR_AUTH_REQUIRED');
    }
    if (!mayConnectAs(granted.role, input.requestedRole)) {
      this.opts.onFailure?.('forbidden_role', input.remoteAddress);
      throw new GatewayError('GW_ERR_AUTH_FORBIDDEN_ROLE', {
        role: granted.role,
        action: `connect as ${input.requestedRole}`,
      });
    }
    throttle.recordSuccess(input.remoteAddress);
    return granted;
  }
}

export function bearerFromHeader(header: string | string[] | undefined): string | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  const m = h?.match(/^Bearer\s+(\S+)\s*$/i);
  return m?.[1];
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
