/** @module Opens the gateway's SQLite file: data dir, optional whole-file encryption, pragmas, migrations. */
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { GatewayError } from '../../protocol/index.js';
import { backupDatabase } from './backup.js';
import { applyKey, fileState, keyError } from './cipher.js';
import { runMigrations } from './migrations.js';
import { STORE_MIGRATIONS } from './schema.js';
import { sqliteCode, toStoreError } from './sqlite-errors.js';
import { WalSync } from './wal-sync.js';

export const SYNCHRONOUS_MODES = ['off', 'normal', 'full', 'extra'] as const;
export type SynchronousMode = (typeof SYNCHRONOUS_MODES)[number];

export interface SqliteDatabaseOptions {
  /** Directory of the database file; created with mode 0700 when missing. */
  dataDir: string;
  /** File name inside `dataDir`. Default: `'openclaw.db'`. */
  filename?: string;
  /**
   * Passphrase for whole-file encryption (SQLCipher 4 format, see `CIPHER_PRAGMAS`). The gateway passes
   * `OPENCLAW_WORKSPACE_ENCRYPTION_KEY`. Default: none, the file is plaintext.
   */
  encryptionKey?: string;
  /**
   * Durability of acknowledged writes. `full`: a write is acknowledged (`durable()` resolves) only once
   * the WAL holding it is fsynced, so it survives power loss, not only a process crash (which `normal`
   * already survives). `full` is implemented by `WalSync` (one fsync per batch, off the event loop), not
   * by SQLite's own per-commit fsync; `extra` and `off` are passed to SQLite as they are. Default: `'full'`.
   */
  synchronous?: SynchronousMode;
  /** How long a statement waits for another process's write lock before failing. Default: 5000 ms. */
  busyTimeoutMs?: number;
}

/** An open store database. Other layers may keep their tables in it (see `runMigrations`). */
export interface SqliteDatabase {
  /** The driver handle, for layers that add their own tables and statements. */
  readonly connection: Database.Database;
  /** Absolute or dataDir-relative path of the file. */
  readonly file: string;
  readonly encrypted: boolean;
  /**
   * Resolves once every commit made before the call is durable as `synchronous` promises; a store awaits
   * it before it acknowledges a write.
   */
  durable(): Promise<void>;
  /**
   * Why writes can no longer be acknowledged (the WAL fsync failed, which is for good), or null. Reads
   * still work then, so a read alone does not tell a readiness probe that the store is lost.
   */
  writeFailure(): GatewayError | null;
  /** Consistent copy to `path` while writes continue (see `backupDatabase`). */
  backupTo(path: string): Promise<void>;
  /** Idempotent. */
  close(): void;
}

/**
 * Opens (creating when needed) the store database and brings its schema up to date.
 * Key mistakes are told apart before SQLite gets a chance to say only "file is not a database": a key
 * for a plaintext file, no key for an encrypted one, and a wrong key each throw
 * `GW_ERR_STORE_KEY_INVALID` with what to do. Every read after a successful open is authenticated, so a
 * wrong key can never produce garbage rows.
 */
export function openSqliteDatabase(options: SqliteDatabaseOptions): SqliteDatabase {
  const filename = options.filename ?? 'openclaw.db';
  const synchronous = options.synchronous ?? 'full';
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const key = options.encryptionKey;
  if (!SYNCHRONOUS_MODES.includes(synchronous)) {
    throw new GatewayError('GW_ERR_CONFIG_INVALID', {
      reason: `synchronous must be one of ${SYNCHRONOUS_MODES.join(', ')}; got ${String(synchronous)}`,
    });
  }
  try {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new GatewayError('GW_ERR_STORE_UNAVAILABLE', {
      reason: `cannot create the data directory ${options.dataDir}: ${(err as Error).message}`,
    });
  }
  const file = join(options.dataDir, filename);
  if (key === '') throw keyError('empty_key', file);
  const state = fileState(file);
  if (key !== undefined && state === 'plaintext') throw keyError('not_encrypted', file);
  if (key === undefined && state === 'opaque') throw keyError('key_missing', file);

  let connection: Database.Database;
  try {
    connection = new Database(file);
  } catch (err) {
    throw toStoreError(err);
  }
  try {
    if (key !== undefined) applyKey(connection, key);
    // Set before the first read: another process may be creating or migrating the same file right now.
    connection.pragma(`busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
    try {
      // The first read decrypts page 1; this is where a wrong key shows up.
      connection.prepare('SELECT count(*) FROM sqlite_master').get();
    } catch (err) {
      if (sqliteCode(err) === 'SQLITE_NOTADB')
        throw keyError(key === undefined ? 'key_missing' : 'wrong_key', file);
      throw err;
    }
    const mode = connection.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`journal_mode WAL was refused (got ${String(mode)})`);
    connection.pragma('foreign_keys = ON');
    // FULL is kept by WalSync below: a commit only writes, and the fsync runs off the event loop.
    connection.pragma(`synchronous = ${synchronous === 'full' ? 'NORMAL' : synchronous.toUpperCase()}`);
    runMigrations(connection, STORE_MIGRATIONS, { component: 'store' });
    if (state === 'absent' || state === 'empty') chmodSync(file, 0o600);
  } catch (err) {
    connection.close();
    throw toStoreError(err);
  }

  const encrypted = key !== undefined;
  const wal = synchronous === 'full' ? new WalSync(`${file}-wal`) : null;
  const done = Promise.resolve();
  const fsyncFailed = (err: unknown) =>
    new GatewayError('GW_ERR_STORE_UNAVAILABLE', {
      reason: `cannot fsync ${file}-wal: ${(err as Error).message}`,
    });
  return {
    connection,
    file,
    encrypted,
    durable: wal
      ? () =>
          wal.durable().catch((err: unknown) => {
            throw fsyncFailed(err);
          })
      : () => done,
    writeFailure: () => (wal?.failure ? fsyncFailed(wal.failure) : null),
    backupTo: (path) => backupDatabase(connection, { file, encryptionKey: key }, path),
    close: () => {
      // Syncs already running finish on their own descriptor; closing the connection checkpoints the
      // WAL into the database file with SQLite's own fsyncs.
      void wal?.close().catch(() => {});
      if (connection.open) connection.close();
    },
  };
}
