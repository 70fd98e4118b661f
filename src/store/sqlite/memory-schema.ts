/** @module Memory's own tables (entries, FTS5 trigram index, vectors), as its ordered migration list. Append steps; never edit shipped ones. */
import type { Migration } from './migrations.js';

export const MEMORY_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'workspaces, memory entries, trigram fts, vectors',
    up(db) {
      db.exec(`
        CREATE TABLE workspaces (
          id          TEXT PRIMARY KEY,
          created_at  TEXT NOT NULL,
          updated_at  TEXT NOT NULL,
          n_note      INTEGER NOT NULL DEFAULT 0,
          n_fact      INTEGER NOT NULL DEFAULT 0,
          n_message   INTEGER NOT NULL DEFAULT 0,
          n_tool_call INTEGER NOT NULL DEFAULT 0,
          n_summary   INTEGER NOT NULL DEFAULT 0
        ) STRICT;
        CREATE INDEX workspaces_by_updated ON workspaces (updated_at DESC, id);

        -- seq is the append order that history, paging, compaction cut points and the FTS rowid rely on.
        CREATE TABLE memory_entries (
          seq              INTEGER PRIMARY KEY AUTOINCREMENT,
          workspace        TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
          id               TEXT NOT NULL,
          kind             TEXT NOT NULL CHECK (kind IN ('note','fact','message','tool_call','summary')),
          role             TEXT,
          content          TEXT NOT NULL,
          task_id          TEXT,
          node_id          TEXT,
          metadata_json    TEXT,
          tool_calls_json  TEXT,
          tool_call_id     TEXT,
          tool_name        TEXT,
          tool_args_json   TEXT,
          tool_result_json TEXT,
          tool_error_json  TEXT,
          tool_duration_ms REAL,
          compacted        INTEGER NOT NULL DEFAULT 0,
          created_at       TEXT NOT NULL,
          UNIQUE (workspace, id)
        ) STRICT;
        CREATE INDEX memory_by_workspace ON memory_entries (workspace, seq);
        CREATE INDEX memory_live ON memory_entries (workspace, kind, seq) WHERE compacted = 0;
        CREATE INDEX memory_by_task ON memory_entries (task_id) WHERE task_id IS NOT NULL;

        -- trigram: substring matching that needs no word segmentation, so Chinese works as well as English.
        CREATE VIRTUAL TABLE memory_fts USING fts5 (
          content, content = 'memory_entries', content_rowid = 'seq', tokenize = 'trigram'
        );
        -- Triggers keep the index and the counters exact whichever path writes (append, import, compaction).
        CREATE TRIGGER memory_entries_ai AFTER INSERT ON memory_entries BEGIN
          INSERT INTO memory_fts (rowid, content) VALUES (new.seq, new.content);
          UPDATE workspaces SET
            updated_at  = max(updated_at, new.created_at),
            n_note      = n_note + (new.kind = 'note'),
            n_fact      = n_fact + (new.kind = 'fact'),
            n_message   = n_message + (new.kind = 'message'),
            n_tool_call = n_tool_call + (new.kind = 'tool_call'),
            n_summary   = n_summary + (new.kind = 'summary')
          WHERE id = new.workspace;
        END;
        CREATE TRIGGER memory_entries_ad AFTER DELETE ON memory_entries BEGIN
          INSERT INTO memory_fts (memory_fts, rowid, content) VALUES ('delete', old.seq, old.content);
          UPDATE workspaces SET
            n_note      = n_note - (old.kind = 'note'),
            n_fact      = n_fact - (old.kind = 'fact'),
            n_message   = n_message - (old.kind = 'message'),
            n_tool_call = n_tool_call - (old.kind = 'tool_call'),
            n_summary   = n_summary - (old.kind = 'summary')
          WHERE id = old.workspace;
        END;
        CREATE TRIGGER memory_entries_au AFTER UPDATE OF content ON memory_entries BEGIN
          INSERT INTO memory_fts (memory_fts, rowid, content) VALUES ('delete', old.seq, old.content);
          INSERT INTO memory_fts (rowid, content) VALUES (new.seq, new.content);
        END;

        CREATE TABLE memory_vectors (
          seq       INTEGER PRIMARY KEY REFERENCES memory_entries (seq) ON DELETE CASCADE,
          workspace TEXT NOT NULL,
          model     TEXT NOT NULL,
          dim       INTEGER NOT NULL,
          vector    BLOB NOT NULL
        ) STRICT;
        CREATE INDEX memory_vectors_by_workspace ON memory_vectors (workspace, model);
      `);
    },
  },
];
