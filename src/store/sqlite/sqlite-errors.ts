/** @module Maps SQLite driver failures onto the gateway error catalogue at the store boundary. */
import { GatewayError } from '../../protocol/index.js';

/** The `code` a better-sqlite3 SqliteError carries (`SQLITE_BUSY`, `SQLITE_CONSTRAINT_UNIQUE`, ...). */
export function sqliteCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/**
 * Normalises anything a store operation threw. GatewayErrors pass through; lock contention, I/O
 * trouble and a closed handle become the retryable `GW_ERR_STORE_UNAVAILABLE`, so callers can answer
 * 503 instead of leaking driver messages.
 */
export function toStoreError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const code = sqliteCode(err);
  if (code !== undefined) {
    const reason =
      code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') ? 'database is busy' : code;
    return new GatewayError('GW_ERR_STORE_UNAVAILABLE', { reason });
  }
  if (err instanceof TypeError && /database connection is not open/i.test(err.message)) {
    return new GatewayError('GW_ERR_STORE_UNAVAILABLE', { reason: 'the store is closed' });
  }
  return new GatewayError('GW_ERR_STORE_UNAVAILABLE', {
    reason: err instanceof Error ? err.message : String(err),
  });
}

/** Runs a synchronous driver call and rethrows failures as catalogue errors. */
export function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toStoreError(err);
  }
}
