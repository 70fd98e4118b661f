/** @module Bundles the SQLite-backed stores over one open database. */
import type { Stores } from '../types.js';
import type { SqliteDatabase } from './database.js';
import { SqliteMetaStore } from './meta-store.js';
import { SqliteRevocationStore } from './revocation-store.js';
import { SqliteTaskStore } from './task-store.js';
import { SqliteCronStore } from './cron-store.js';
import { SqliteWorkspaceStore } from './memory-store.js';

export interface SqliteStores extends Stores {
  tasks: SqliteTaskStore;
  revocations: SqliteRevocationStore;
  meta: SqliteMetaStore;
  cron: SqliteCronStore;
  workspaces: SqliteWorkspaceStore;
  /** The database underneath, for layers that keep their own tables in the same file. */
  database: SqliteDatabase;
}

/** The stores over `db` (from `openSqliteDatabase`, which has already applied the schema). */
export function createSqliteStores(db: SqliteDatabase): SqliteStores {
  // Every write is acknowledged only once the database's durability barrier has passed it.
  const durable = () => db.durable();
  const tasks = new SqliteTaskStore(db.connection, durable);
  const meta = new SqliteMetaStore(db.connection, durable);
  return {
    tasks,
    revocations: new SqliteRevocationStore(db.connection, durable),
    meta,
    cron: new SqliteCronStore(db.connection, durable),
    workspaces: new SqliteWorkspaceStore(db.connection, durable),
    database: db,
    backupTo: (path) => db.backupTo(path),
    probe: async () => {
      const failure = db.writeFailure();
      if (failure) throw failure;
      await meta.get('readiness-probe');
    },
    close: async () => {
      // Writes queued for the next group commit were promised to their callers: commit them first.
      tasks.flushWrites();
      db.close();
    },
  };
}
