/** @module Consistent online copies of the store database, encrypted exactly like the source. */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, chmodSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3-multiple-ciphers';
import { GatewayError } from '../../protocol/index.js';
import { CIPHER_PRAGMAS } from './cipher.js';
import { toStoreError } from './sqlite-errors.js';

export interface BackupSource {
  /** The database file the connection has open. */
  file: string;
  /** Set when the source is encrypted; the copy is encrypted with the same key and cipher. */
  encryptionKey?: string | undefined;
}

/*
 * Runs in a worker thread so that a large encrypted copy does not stall the event loop (pings, leases).
 * Kept as CommonJS source text so it needs no build step or TypeScript loader of its own.
 */
const VACUUM_WORKER = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
try {
  for (const p of workerData.pragmas) db.pragma(p);
  db.key(Buffer.from(workerData.key, 'utf8'));
  db.pragma('busy_timeout = 10000');
  db.prepare('VACUUM INTO ?').run(workerData.dest);
} finally {
  db.close();
}
`;

function vacuumInWorker(source: BackupSource & { encryptionKey: string }, dest: string): Promise<void> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3-multiple-ciphers');
  return new Promise((resolvePromise, reject) => {
    const worker = new Worker(VACUUM_WORKER, {
      eval: true,
      // The parent's loader flags (tsx in development) are not needed by plain CommonJS.
      execArgv: [],
      workerData: { driver, file: source.file, key: source.encryptionKey, pragmas: CIPHER_PRAGMAS, dest },
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`backup worker exited with code ${code}`));
    });
  });
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a consistent snapshot of the database to `dest` while other writes continue.
 * Plaintext stores use SQLite's online backup API (stepped, so the event loop keeps running, and
 * restarted by SQLite when another connection writes mid-copy). The online backup API cannot copy an
 * encrypted database (SQLite3MultipleCiphers refuses a destination without the same key, and the
 * driver cannot key the destination), so encrypted stores are copied with `VACUUM INTO` from a second,
 * read-only connection: one read transaction, hence one snapshot, and SQLite3MultipleCiphers encrypts
 * the output with the source's cipher and key, so a backup never holds plaintext.
 * The copy is written beside `dest`, fsynced, and renamed into place, so `dest` is never a partial file.
 */
export async function backupDatabase(
  connection: Database.Database,
  source: BackupSource,
  dest: string,
): Promise<void> {
  const target = resolve(dest);
  if (resolve(source.file) === target) {
    throw new GatewayError('GW_ERR_STORE_UNAVAILABLE', { reason: 'the backup target is the live database' });
  }
  if (!existsSync(dirname(target))) {
    throw new GatewayError('GW_ERR_STORE_UNAVAILABLE', {
      reason: `backup directory ${dirname(target)} does not exist`,
    });
  }
  const partial = `${target}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    if (source.encryptionKey !== undefined) {
      await vacuumInWorker({ ...source, encryptionKey: source.encryptionKey }, partial);
    } else {
      await connection.backup(partial);
    }
    chmodSync(partial, 0o600);
    fsyncPath(partial);
    renameSync(partial, target);
    fsyncPath(dirname(target));
  } catch (err) {
    rmSync(partial, { force: true });
    throw toStoreError(err);
  } finally {
    // The driver may leave a journal beside the partial file when it fails midway.
    rmSync(`${partial}-journal`, { force: true });
  }
}
