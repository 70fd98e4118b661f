/**
 * @module Read-only access to a store file from another process (the CLI next to a running gateway):
 * consistent snapshots, contents counts and integrity, and whether a gateway has the file open.
 */
import { chmodSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3-multiple-ciphers';
import { GatewayError } from '../../protocol/index.js';
import { CIPHER_PRAGMAS, KEY_ENV } from '../../store/index.js';

function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function keyProblem(file: string, key: string | undefined): GatewayError {
  const reason =
    key === undefined
      ? `${file} is encrypted (or is not an SQLite database) and no key is set; set ${KEY_ENV} to the key it was made with`
      : `${file} is not encrypted with this key (or is not an SQLite database); set ${KEY_ENV} to the key it was made with`;
  return new GatewayError(
    'GW_ERR_STORE_KEY_INVALID',
    { reason, file },
    `the database cannot be opened: ${reason}`,
  );
}

/** Opens `file` read-only with `key`, proving the key by reading page 1. The caller closes it. */
export function openReadOnly(
  file: string,
  key: string | undefined,
  busyTimeoutMs = 10_000,
): Database.Database {
  if (!existsSync(file))
    throw new GatewayError('GW_ERR_STORE_UNAVAILABLE', { reason: `there is no store at ${file}` });
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    if (key !== undefined) {
      for (const p of CIPHER_PRAGMAS) db.pragma(p);
      db.key(Buffer.from(key, 'utf8'));
    }
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    try {
      db.prepare('SELECT count(*) FROM sqlite_master').get();
    } catch (err) {
      if (sqliteCode(err) === 'SQLITE_NOTADB') throw keyProblem(file, key);
      throw err;
    }
    return db;
  } catch (err) {
    db.close();
    if (err instanceof GatewayError) throw err;
    throw new GatewayError('GW_ERR_STORE_UNAVAILABLE', { reason: `${file}: ${(err as Error).message}` });
  }
}

/**
 * Writes a consistent copy of `file` to `dest` with `VACUUM INTO`: one read transaction, so one
 * snapshot even while a gateway in another process keeps writing (WAL lets readers and the writer
 * proceed together), and encrypted with the source's cipher and key when the source is encrypted.
 * The online backup API is not used here: from another process, every write by the gateway would
 * restart it.
 */
export function snapshotStore(file: string, key: string | undefined, dest: string): void {
  const db = openReadOnly(file, key);
  try {
    db.prepare('VACUUM INTO ?').run(dest);
  } catch (err) {
    throw new GatewayError('GW_ERR_STORE_UNAVAILABLE', {
      reason: `snapshot of ${file} failed: ${(err as Error).message}`,
    });
  } finally {
    db.close();
  }
  chmodSync(dest, 0o600);
}

/** Row counts of the main tables (absent tables are left out), for manifests and restore checks. */
export type StoreCounts = Partial<Record<'tasks' | 'workspaces' | 'memory_entries' | 'cron_jobs', number>>;

export interface StoreInspection {
  counts: StoreCounts;
  /** `ok`, or SQLite's first complaint from `PRAGMA quick_check`. */
  integrity: string;
}

export function inspectStore(file: string, key: string | undefined): StoreInspection {
  const db = openReadOnly(file, key);
  try {
    const tables = new Set(
      (
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>
      ).map((r) => r.name),
    );
    const counts: StoreCounts = {};
    for (const t of ['tasks', 'workspaces', 'memory_entries', 'cron_jobs'] as const) {
      if (tables.has(t)) counts[t] = (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    }
    const check = db.pragma('quick_check', { simple: true });
    return { counts, integrity: String(check) };
  } finally {
    db.close();
  }
}

/**
 * Whether another process has the store open. Leaving WAL mode needs the only connection to the
 * file, so a refused switch means a gateway (or another CLI) holds it; a successful one is switched
 * straight back. `unknown` when the file cannot be opened with this key at all.
 */
export function storeInUse(file: string, key: string | undefined): boolean | 'unknown' {
  if (!existsSync(file)) return false;
  let db: Database.Database;
  try {
    db = new Database(file, { fileMustExist: true });
  } catch {
    return 'unknown';
  }
  try {
    if (key !== undefined) {
      for (const p of CIPHER_PRAGMAS) db.pragma(p);
      db.key(Buffer.from(key, 'utf8'));
    }
    db.pragma('busy_timeout = 200');
    try {
      db.prepare('SELECT count(*) FROM sqlite_master').get();
    } catch {
      return 'unknown';
    }
    let mode: unknown;
    try {
      mode = db.pragma('journal_mode = DELETE', { simple: true });
    } catch (err) {
      if (sqliteCode(err)?.startsWith('SQLITE_BUSY') || sqliteCode(err)?.startsWith('SQLITE_LOCKED'))
        return true;
      return 'unknown';
    }
    if (mode !== 'delete') return true;
    db.pragma('journal_mode = WAL');
    return false;
  } finally {
    db.close();
  }
}
