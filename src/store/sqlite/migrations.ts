/** @module Versioned forward-only schema migrations, recorded per component in `schema_migrations`. */
import type Database from 'better-sqlite3-multiple-ciphers';
import { GatewayError } from '../../protocol/index.js';

/** One schema step. Versions of a component start at 1 and increase by one; applied steps never change. */
export interface Migration {
  version: number;
  /** Recorded beside the version; a different name for a recorded version means diverged code. */
  name: string;
  /** Runs inside the migration's transaction; throw to roll it back. */
  up(db: Database.Database): void;
}

export interface MigrationOptions {
  /**
   * Whose schema this is. Each layer that keeps tables in the shared database (store, memory, cron, ...)
   * versions its own steps independently. Default: `'store'`.
   */
  component?: string;
}

export interface MigrationResult {
  /** Versions applied by this call, in order; empty when the schema was already current. */
  applied: number[];
  /** The component's version after the call. */
  version: number;
}

function validate(component: string, migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1 || m.name.trim() === '') {
      throw new GatewayError('GW_ERR_STORE_MIGRATION_FAILED', {
        component,
        version: m.version,
        name: m.name,
        reason: `the migration list is malformed: entry ${i} must have version ${i + 1} and a name`,
      });
    }
  });
}

/**
 * Brings `component`'s schema up to the last of `migrations`. Each step runs in its own IMMEDIATE
 * transaction together with its `schema_migrations` row, so a crash or a failing step leaves the
 * database at the previous version, and two processes opening the same file never apply a step twice.
 * A database whose recorded version is newer than the list is refused with
 * `GW_ERR_STORE_SCHEMA_TOO_NEW` before anything is touched: older code must not write to a schema it
 * does not understand.
 */
export function runMigrations(
  db: Database.Database,
  migrations: readonly Migration[],
  options: MigrationOptions = {},
): MigrationResult {
  const component = options.component ?? 'store';
  validate(component, migrations);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    component  TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    applied_at TEXT    NOT NULL,
    PRIMARY KEY (component, version)
  ) STRICT`);

  const recorded = db
    .prepare('SELECT version, name FROM schema_migrations WHERE component = ? ORDER BY version')
    .all(component) as { version: number; name: string }[];
  const known = migrations.length;
  const found = recorded.at(-1)?.version ?? 0;
  if (found > known) {
    throw new GatewayError('GW_ERR_STORE_SCHEMA_TOO_NEW', { component, found, known });
  }
  for (const row of recorded) {
    const expected = migrations[row.version - 1];
    if (expected?.name !== row.name) {
      throw new GatewayError('GW_ERR_STORE_MIGRATION_FAILED', {
        component,
        version: row.version,
        name: row.name,
        reason: `the database recorded "${row.name}" as version ${row.version} but this build calls it "${expected?.name ?? '(none)'}"; it was written by a different build`,
      });
    }
  }

  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE component = ? AND version = ?');
  const record = db.prepare(
    'INSERT INTO schema_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)',
  );
  const applied: number[] = [];
  for (const m of migrations.slice(found)) {
    const step = db.transaction(() => {
      // Re-checked under the write lock: another process may have applied it since the read above.
      if (isApplied.get(component, m.version) !== undefined) return false;
      m.up(db);
      record.run(component, m.version, m.name, new Date().toISOString());
      return true;
    });
    try {
      if (step.immediate()) applied.push(m.version);
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      throw new GatewayError('GW_ERR_STORE_MIGRATION_FAILED', {
        component,
        version: m.version,
        name: m.name,
        reason: err instanceof Error ? err.message : String(err),
      });
    }
  }
  return { applied, version: known };
}

/** The component's recorded version; 0 when none of its migrations ran. */
export function schemaVersion(db: Database.Database, component = 'store'): number {
  const exists = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (exists === undefined) return 0;
  const row = db
    .prepare('SELECT MAX(version) AS v FROM schema_migrations WHERE component = ?')
    .get(component) as { v: number | null };
  return row.v ?? 0;
}
