/** @module Test support: every row of every table of a store file, for comparing a restore with its source. */
import Database from 'better-sqlite3-multiple-ciphers';
import { CIPHER_PRAGMAS } from '../../store/index.js';

/** Table name -> rows as JSON, sorted (row order on disk is not content). Virtual tables are read through their shadow tables. */
export function dumpTables(file: string, key?: string): Record<string, string[]> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    if (key !== undefined) {
      for (const p of CIPHER_PRAGMAS) db.pragma(p);
      db.key(Buffer.from(key, 'utf8'));
    }
    const tables = db
      .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all() as Array<{ name: string; sql: string }>;
    const out: Record<string, string[]> = {};
    for (const t of tables) {
      if (/^CREATE VIRTUAL TABLE/i.test(t.sql)) continue;
      const rows = db.prepare(`SELECT * FROM "${t.name}"`).raw().all() as unknown[][];
      out[t.name] = rows
        .map((r) => JSON.stringify(r, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v)))
        .sort();
    }
    return out;
  } finally {
    db.close();
  }
}
