/** @module The at-rest cipher of the SQLite store, how a key is applied, and how a file's state is told. */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type Database from 'better-sqlite3-multiple-ciphers';
import { GatewayError } from '../../protocol/index.js';

/**
 * SQLCipher 4 format (SQLite3MultipleCiphers `cipher=sqlcipher`, `legacy=4`): AES-256-CBC per page with
 * an HMAC-SHA512 on every page and PBKDF2-HMAC-SHA512 (256,000 rounds) from the passphrase.
 * Chosen deliberately over the library's default (chacha20/sqleet, equally authenticated) because
 * SQLCipher 4 is the format other tools read: an operator can open a store or a backup with the stock
 * `sqlcipher` shell (`PRAGMA key = '...'`) to inspect or recover it without this code. The per-page HMAC
 * is what turns a wrong key or a tampered page into an error instead of garbage rows (R6.3).
 * These statements run before the key and before any other statement on the connection.
 */
export const CIPHER_PRAGMAS: readonly string[] = ["cipher = 'sqlcipher'", 'legacy = 4'];

/** The environment variable operators set the key with; named in every key error. */
export const KEY_ENV = 'OPENCLAW_WORKSPACE_ENCRYPTION_KEY';

/** Configures the cipher and sets the key; must be the first thing done on a fresh connection. */
export function applyKey(db: Database.Database, key: string): void {
  for (const p of CIPHER_PRAGMAS) db.pragma(p);
  db.key(Buffer.from(key, 'utf8'));
}

/**
 * What is on disk before we open it: `absent`/`empty` (a new store), `plaintext` (an unencrypted SQLite
 * file, recognisable by its magic header), or `opaque` (encrypted, or not SQLite at all). SQLite reports
 * all wrong-key cases as "file is not a database"; reading the header is what lets us tell the operator
 * which of them it is.
 */
export type FileState = 'absent' | 'empty' | 'plaintext' | 'opaque';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export function fileState(file: string): FileState {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return 'absent';
  }
  if (size === 0) return 'empty';
  const header = Buffer.alloc(SQLITE_MAGIC.length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  return header.equals(SQLITE_MAGIC) ? 'plaintext' : 'opaque';
}

export type KeyProblem = 'wrong_key' | 'key_missing' | 'not_encrypted' | 'empty_key';

/** A `GW_ERR_STORE_KEY_INVALID` whose message tells the operator what to change. */
export function keyError(problem: KeyProblem, file: string): GatewayError {
  const reasons: Record<KeyProblem, string> = {
    wrong_key:
      `${file} is encrypted with a different key (or a different cipher). Set ${KEY_ENV} to the key ` +
      'the store was created with, or restore a backup that was made with the current key',
    key_missing:
      `${file} is encrypted (or is not an SQLite database) and no key is set. Set ${KEY_ENV} to the ` +
      'key the store was created with',
    not_encrypted:
      `${file} is an unencrypted database but ${KEY_ENV} is set. Unset ${KEY_ENV} to keep using it ` +
      'unencrypted; or, with the gateway stopped, encrypt it once in place (store rekey) or move the ' +
      'file away to start a new encrypted store',
    empty_key: `${KEY_ENV} is set but empty. Set it to a passphrase (at least 32 characters are advised) or unset it`,
  };
  const reason = reasons[problem];
  return new GatewayError(
    'GW_ERR_STORE_KEY_INVALID',
    { reason, problem, file },
    `the database cannot be opened: ${reason}`,
  );
}
