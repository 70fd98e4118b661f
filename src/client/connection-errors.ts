/** @module Turns socket failures, refused upgrades and close codes into catalogue GatewayErrors. */
import { CLOSE, GatewayError, fromErrorBody, ErrorBodySchema } from '../protocol/index.js';

/** Close codes after which retrying cannot help: the same credentials or version would be refused again. */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CLOSE.BAD_VERSION,
  CLOSE.UNAUTHORIZED,
  CLOSE.FORBIDDEN,
  // Another connection took over this node id; reconnecting would knock it off in turn, forever.
  CLOSE.REPLACED,
]);

/**
 * The URL as it may appear in errors and logs: without user info or query, since either may carry a
 * token (SPEC R2.3: secrets never appear in errors).
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

/** The OS-level reason of a socket error, e.g. `connect ECONNREFUSED 127.0.0.1:18789`. */
export function describeSocketError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  // Node's happy-eyeballs connect reports an AggregateError with an empty message and the code only.
  if (!err.message) {
    const inner = err instanceof AggregateError ? err.errors[0] : undefined;
    if (inner instanceof Error && inner.message) return inner.message;
    return code ?? err.name;
  }
  if (code && !err.message.includes(code)) return `${code}: ${err.message}`;
  return err.message;
}

export function unreachable(url: string, reason: string, extra: Record<string, unknown> = {}): GatewayError {
  return new GatewayError('GW_ERR_GATEWAY_UNREACHABLE', { url: redactUrl(url), reason, ...extra });
}

/** An error for a connection the gateway closed with an application close code. */
export function closeCodeError(url: string, code: number, reason: string): GatewayError {
  const why = reason || `closed by the gateway with ${code}`;
  switch (code) {
    case CLOSE.UNAUTHORIZED:
      return new GatewayError('GW_ERR_AUTH_INVALID', { reason: why, close_code: code });
    case CLOSE.FORBIDDEN:
      return new GatewayError('GW_ERR_AUTH_FORBIDDEN_ROLE', { reason: why, close_code: code }, why);
    case CLOSE.BAD_VERSION:
      return new GatewayError('GW_ERR_PROTOCOL_VERSION', { reason: why, close_code: code }, why);
    default:
      return unreachable(url, why, { close_code: code });
  }
}

/**
 * An upgrade the gateway answered with HTTP instead of 101 (e.g. 401 for a bad header token, 503 while
 * draining). The body is read as a REST error `{"error": {...}}` when it is one.
 */
export function httpRefusalError(
  url: string,
  status: number,
  body: string,
  retryAfter?: string,
): GatewayError {
  try {
    const parsed = ErrorBodySchema.safeParse((JSON.parse(body) as { error?: unknown }).error);
    if (parsed.success) return fromErrorBody(parsed.data);
  } catch {
    // not JSON: fall back to the status
  }
  const reason = `upgrade refused with HTTP ${status}`;
  if (status === 401) return new GatewayError('GW_ERR_AUTH_INVALID', { reason, status });
  if (status === 403) return new GatewayError('GW_ERR_AUTH_FORBIDDEN_ROLE', { reason, status }, reason);
  if (status === 429) {
    const seconds = Number(retryAfter);
    return new GatewayError('GW_ERR_AUTH_RATE_LIMITED', {
      retry_after_s: Number.isFinite(seconds) && retryAfter ? seconds : 1,
      status,
    });
  }
  return unreachable(url, reason, { status });
}
