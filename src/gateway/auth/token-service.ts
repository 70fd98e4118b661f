/** @module Signed bearer tokens (`oc1.<payload>.<mac>`): issued and verified from the server auth secret. */
import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { GatewayError, ROLES, type Role } from '../../protocol/index.js';
// The store layer's index does not re-export its interfaces yet; this is a type-only import.
import type { RevocationStore } from '../../store/types.js';
import { assertUsableSecret } from './secret-policy.js';

const PREFIX = 'oc1';
/** Same bound as the connect frame's `auth.token`, so nothing longer is worth hashing. */
const MAX_TOKEN_LENGTH = 4096;
const MAX_SUBJECT_LENGTH = 256;
/** About 100 years: keeps `exp` a safe integer and catches unit mistakes (ms passed as seconds). */
export const MAX_TTL_SECONDS = 100 * 365 * 24 * 3600;
const B64URL = /^[A-Za-z0-9_-]+$/;
const JTI = /^[A-Za-z0-9_-]{1,128}$/;

export type InvalidTokenReason = 'malformed' | 'bad signature' | 'expired' | 'revoked';

export interface TokenServiceOptions {
  /** Server secret (`OPENCLAW_AUTH_SECRET`, `gateway.auth.secret` or the generated file); at least 16 characters. */
  secret: string;
  /** Consulted on every `verify`, so a revocation takes effect on the next connection or request. */
  revocations: RevocationStore;
  /** Clock in epoch milliseconds. Default: `Date.now`. */
  now?: () => number;
}

export interface IssueOptions {
  role: Role;
  /** Lifetime in seconds (see `parseTtl`). Default: none, the token is valid until revoked. */
  ttlSeconds?: number;
  /** Who the token is for: a node id, a person, a service. Carried as `sub`. Default: none. */
  subject?: string;
}

export interface IssuedToken {
  /** The bearer token itself: show it once, never log it (log `tokenFingerprint(token)` instead). */
  token: string;
  jti: string;
  role: Role;
  /** ISO-8601 expiry, or null for a token without `exp`. */
  expires_at: string | null;
}

/** The claims of a valid token, as in its payload, plus `expires_at` in the form `issue` reports it. */
export interface VerifiedToken {
  jti: string;
  role: Role;
  /** The subject given at issue (a node id, a name), if any. */
  sub?: string;
  /** Issued at, epoch seconds. */
  iat: number;
  /** Expiry, epoch seconds; absent for a token that never expires. */
  exp?: number;
  /** ISO-8601 expiry, or null. */
  expires_at: string | null;
}

export interface TokenService {
  issue(options: IssueOptions): IssuedToken;
  /** Resolves with the token's claims or rejects with `GW_ERR_AUTH_INVALID` (`details.reason`). */
  verify(token: unknown): Promise<VerifiedToken>;
  /**
   * Revokes a token given as the token itself (its signature is checked, so only our tokens can be
   * revoked this way, and its `exp` lets the store prune the row later) or as a bare `jti`.
   */
  revoke(tokenOrJti: string, reason?: string): Promise<{ jti: string; expires_at: string | null }>;
}

const PayloadSchema = z.object({
  jti: z.string().regex(JTI),
  role: z.enum(ROLES),
  sub: z.string().min(1).max(MAX_SUBJECT_LENGTH).optional(),
  iat: z.int().nonnegative(),
  exp: z.int().nonnegative().optional(),
});
type Payload = z.infer<typeof PayloadSchema>;

function invalid(reason: InvalidTokenReason): GatewayError {
  // Only the reason goes into the error: the token, or any part of it, must never reach a log line.
  return new GatewayError('GW_ERR_AUTH_INVALID', { reason });
}

function isoOrNull(epochSeconds: number | undefined): string | null {
  return epochSeconds === undefined ? null : new Date(epochSeconds * 1000).toISOString();
}

/** Creates the token service. Throws `GW_ERR_CONFIG_INVALID` for a secret shorter than 16 characters. */
export function createTokenService(options: TokenServiceOptions): TokenService {
  assertUsableSecret(options.secret);
  const now = options.now ?? Date.now;
  const revocations = options.revocations;
  // HKDF turns any string into a uniform 256-bit key, and the info label keeps this key distinct from
  // anything else that might one day be derived from the same secret.
  const key = Buffer.from(
    hkdfSync('sha256', Buffer.from(options.secret, 'utf8'), 'openclaw-gateway', 'oc1 token mac', 32),
  );

  const mac = (signedPart: string): string =>
    createHmac('sha256', key).update(signedPart).digest('base64url');

  /** Checks structure and signature only; expiry and revocation are the caller's business. */
  function authenticate(token: unknown): Payload {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw invalid('malformed');
    const parts = token.split('.');
    if (parts.length !== 3) throw invalid('malformed');
    const [prefix, body, sig] = parts as [string, string, string];
    if (prefix !== PREFIX || !B64URL.test(body) || !B64URL.test(sig)) throw invalid('malformed');
    // Comparing the canonical encodings (not decoded bytes) rejects signatures that differ only in the
    // unused low bits of the last base64 character, so each valid token has exactly one spelling.
    const expected = Buffer.from(mac(`${PREFIX}.${body}`), 'ascii');
    const given = Buffer.from(sig, 'ascii');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid('bad signature');
    // The payload is parsed only after the MAC matched, so untrusted JSON never reaches the parser.
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw invalid('malformed');
    }
    const parsed = PayloadSchema.safeParse(json);
    if (!parsed.success) throw invalid('malformed');
    return parsed.data;
  }

  return {
    issue({ role, ttlSeconds, subject }: IssueOptions): IssuedToken {
      if (!(ROLES as readonly string[]).includes(role)) {
        throw new GatewayError('GW_ERR_CONFIG_INVALID', {
          reason: `invalid token role "${String(role)}": use one of ${ROLES.join(', ')}`,
        });
      }
      if (ttlSeconds !== undefined) assertTtl(ttlSeconds);
      if (subject !== undefined && (subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH)) {
        throw new GatewayError('GW_ERR_CONFIG_INVALID', {
          reason: `invalid token subject: it must be 1..${MAX_SUBJECT_LENGTH} characters`,
        });
      }
      const iat = Math.floor(now() / 1000);
      const payload: Payload = {
        jti: randomBytes(16).toString('base64url'),
        role,
        ...(subject !== undefined ? { sub: subject } : {}),
        iat,
        ...(ttlSeconds !== undefined ? { exp: iat + ttlSeconds } : {}),
      };
      const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
      const token = `${PREFIX}.${body}.${mac(`${PREFIX}.${body}`)}`;
      return { token, jti: payload.jti, role, expires_at: isoOrNull(payload.exp) };
    },

    async verify(token: unknown): Promise<VerifiedToken> {
      const p = authenticate(token);
      // `exp` is the first second at which the token is no longer valid (as in JWT).
      if (p.exp !== undefined && Math.floor(now() / 1000) >= p.exp) throw invalid('expired');
      // A store failure propagates as itself: failing closed, and not disguised as a bad token.
      if (await revocations.isRevoked(p.jti)) throw invalid('revoked');
      return { ...p, expires_at: isoOrNull(p.exp) };
    },

    async revoke(tokenOrJti: string, reason?: string) {
      if (tokenOrJti.startsWith(`${PREFIX}.`)) {
        const p = authenticate(tokenOrJti);
        await revocations.revoke(p.jti, p.exp === undefined ? null : p.exp * 1000, reason);
        return { jti: p.jti, expires_at: isoOrNull(p.exp) };
      }
      if (!JTI.test(tokenOrJti)) throw invalid('malformed');
      await revocations.revoke(tokenOrJti, null, reason);
      return { jti: tokenOrJti, expires_at: null };
    },
  };
}

function assertTtl(seconds: number): void {
  if (!Number.isSafeInteger(seconds) || seconds <= 0 || seconds > MAX_TTL_SECONDS) {
    throw new GatewayError('GW_ERR_CONFIG_INVALID', {
      reason: `invalid ttl ${String(seconds)}: it must be a whole number of seconds between 1 and ${MAX_TTL_SECONDS}`,
    });
  }
}

const TTL_UNITS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses a token lifetime: `3600`, `3600s`, `15m`, `12h` or `30d` (units are case-insensitive) into
 * seconds. Throws `GW_ERR_CONFIG_INVALID` with an example of the accepted forms for anything else,
 * including zero, fractions, negative numbers and lifetimes over about 100 years.
 */
export function parseTtl(input: string | number): number {
  const bad = (): GatewayError =>
    new GatewayError('GW_ERR_CONFIG_INVALID', {
      reason:
        `invalid ttl "${String(input).slice(0, 40)}": use a positive whole number with an optional unit ` +
        `s, m, h or d (for example 3600, 3600s, 15m, 12h, 30d); omit the ttl for a token that never expires`,
    });
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input) || input <= 0 || input > MAX_TTL_SECONDS) throw bad();
    return input;
  }
  if (typeof input !== 'string') throw bad();
  const m = /^(\d{1,12})([smhd]?)$/i.exec(input.trim());
  if (!m) throw bad();
  const seconds = Number(m[1]) * (TTL_UNITS[(m[2] ?? '').toLowerCase()] ?? Number.NaN);
  if (!Number.isSafeInteger(seconds) || seconds <= 0 || seconds > MAX_TTL_SECONDS) throw bad();
  return seconds;
}

/**
 * A short, stable identifier for a token that is safe to log and show: the first 12 hex digits of its
 * SHA-256. It cannot be turned back into the token, yet lets an operator match log lines to a token.
 */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 12);
}
