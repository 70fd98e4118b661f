/** @module The store's own tables, as its ordered migration list. Append steps; never edit shipped ones. */
import type { Migration } from './migrations.js';

export const STORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'tasks, task dependencies, task logs, revocations, meta',
    up(db) {
      db.exec(`
        -- seq gives a total insertion order: list cursors and tie-breaks rely on it never being reused.
        CREATE TABLE tasks (
          seq              INTEGER PRIMARY KEY AUTOINCREMENT,
          id               TEXT    NOT NULL UNIQUE,
          status           TEXT    NOT NULL,
          instruction      TEXT,
          skill            TEXT,
          args_json        TEXT,
          workspace        TEXT    NOT NULL,
          priority         TEXT    NOT NULL,
          priority_rank    INTEGER NOT NULL,
          capabilities     TEXT    NOT NULL,
          tags             TEXT,
          timeout          REAL,
          attempt          INTEGER NOT NULL,
          node_id          TEXT,
          result_json      TEXT,
          error_json       TEXT,
          created_at       TEXT    NOT NULL,
          started_at       TEXT,
          finished_at      TEXT,
          source           TEXT    NOT NULL,
          idempotency_key  TEXT    UNIQUE,
          created_ms       INTEGER NOT NULL,
          ready_ms         INTEGER NOT NULL,
          lease_expires_ms INTEGER
        ) STRICT;
        CREATE INDEX tasks_by_created ON tasks (created_ms DESC, seq DESC);
        CREATE INDEX tasks_by_status ON tasks (status, created_ms DESC, seq DESC);
        CREATE INDEX tasks_by_workspace ON tasks (workspace, created_ms DESC, seq DESC);
        CREATE INDEX tasks_queue ON tasks (priority_rank, ready_ms, seq) WHERE status = 'queued';
        CREATE INDEX tasks_leases ON tasks (lease_expires_ms) WHERE status = 'running';

        -- A join table rather than JSON so that dependents() is an index lookup.
        CREATE TABLE task_deps (
          task_id    TEXT    NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
          depends_on TEXT    NOT NULL,
          position   INTEGER NOT NULL,
          PRIMARY KEY (task_id, depends_on)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX task_deps_by_dependency ON task_deps (depends_on);

        CREATE TABLE task_logs (
          seq     INTEGER PRIMARY KEY AUTOINCREMENT,
          task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
          ts      TEXT NOT NULL,
          level   TEXT NOT NULL,
          message TEXT NOT NULL
        ) STRICT;
        CREATE INDEX task_logs_by_task ON task_logs (task_id, seq);

        CREATE TABLE revocations (
          jti        TEXT PRIMARY KEY,
          expires_ms INTEGER,
          reason     TEXT,
          revoked_at TEXT NOT NULL
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX revocations_by_expiry ON revocations (expires_ms) WHERE expires_ms IS NOT NULL;

        CREATE TABLE meta (
          key        TEXT PRIMARY KEY,
          value      TEXT NOT NULL,
          updated_at TEXT NOT NULL
        ) STRICT, WITHOUT ROWID;
      `);
    },
  },
];
