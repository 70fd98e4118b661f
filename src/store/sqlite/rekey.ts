/** @module Offline change of the store's encryption: encrypt a plaintext store, rotate the key, or decrypt. */
import { GatewayError } from '../../protocol/index.js';
import { CIPHER_PRAGMAS, keyError } from './cipher.js';
import { openSqliteDatabase } from './database.js';
import { sqliteCode, toStoreError } from './sqlite-errors.js';

export interface RekeyOptions {
  dataDir: string;
  /** Default: `'openclaw.db'`. */
  filename?: string;
  /** The key the file is encrypted with now; omit for a plaintext file. */
  currentKey?: string;
  /** The key to encrypt with from now on; omit to store the file in plaintext. */
  newKey?: string;
}

/**
 * Re-encrypts the store file in place. The gateway must be stopped: SQLite3MultipleCiphers cannot rekey
 * in WAL mode, and switching a file out of WAL is refused while another connection has it open, which
 * is what makes this safe to call by mistake on a live store (it throws instead of racing).
 * Take a backup first: the file is rewritten in place.
 */
export function rekeySqliteDatabase(options: RekeyOptions): void {
  if (options.newKey === '') throw keyError('empty_key', options.filename ?? 'openclaw.db');
  const db = openSqliteDatabase({
    dataDir: options.dataDir,
    filename: options.filename,
    encryptionKey: options.currentKey,
    busyTimeoutMs: 1000,
  });
  const conn = db.connection;
  const inUse = () =>
    new GatewayError('GW_ERR_STORE_UNAVAILABLE', {
      reason: `${db.file} is in use by another process; stop the gateway before changing the key`,
    });
  try {
    let mode: unknown;
    try {
      mode = conn.pragma('journal_mode = DELETE', { simple: true });
    } catch (err) {
      if (sqliteCode(err)?.startsWith('SQLITE_BUSY')) throw inUse();
      throw err;
    }
    if (mode !== 'delete') throw inUse();
    if (options.newKey !== undefined) {
      for (const p of CIPHER_PRAGMAS) conn.pragma(p);
      conn.rekey(Buffer.from(options.newKey, 'utf8'));
    } else {
      conn.rekey(Buffer.alloc(0));
    }
    conn.pragma('journal_mode = WAL');
  } catch (err) {
    throw toStoreError(err);
  } finally {
    db.close();
  }
  // Proves the result opens with the new key before the caller is told it worked.
  openSqliteDatabase({
    dataDir: options.dataDir,
    filename: options.filename,
    encryptionKey: options.newKey,
  }).close();
}
