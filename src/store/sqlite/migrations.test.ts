/** @module Migrations: applied once, in order, atomically; a too-new schema is refused. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { GatewayError } from '../../protocol/index.js';
import { openSqliteDatabase } from './database.js';
import { startStoreChild, stopChild } from './fixtures/child-harness.js';
import { runMigrations, schemaVersion, type Migration } from './migrations.js';
import { STORE_MIGRATIONS } from './schema.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'openclaw-mig-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function memory(): Database.Database {
  return new Database(':memory:');
}

function tables(db: Database.Database): string[] {
  return (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[]
  ).map((r) => r.name);
}

const counted = (calls: number[]): Migration[] => [
  { version: 1, name: 'one', up: (db) => (calls.push(1), db.exec('CREATE TABLE a (x)')) },
  { version: 2, name: 'two', up: (db) => (calls.push(2), db.exec('CREATE TABLE b (x)')) },
];

function code(expected: string) {
  return (err: unknown) => {
    assert.ok(err instanceof GatewayError, `expected a GatewayError, got ${String(err)}`);
    assert.equal(err.code, expected);
    return true;
  };
}

describe('runMigrations', () => {
  test('applies every step once, in order, and records each', () => {
    const db = memory();
    const calls: number[] = [];
    assert.deepEqual(runMigrations(db, counted(calls)), { applied: [1, 2], version: 2 });
    assert.deepEqual(runMigrations(db, counted(calls)), { applied: [], version: 2 });
    assert.deepEqual(calls, [1, 2]);
    const rows = db.prepare('SELECT component, version, name FROM schema_migrations ORDER BY version').all();
    assert.deepEqual(rows, [
      { component: 'store', version: 1, name: 'one' },
      { component: 'store', version: 2, name: 'two' },
    ]);
    assert.equal(schemaVersion(db), 2);
  });

  test('applies only the new steps when the list grows', () => {
    const db = memory();
    const calls: number[] = [];
    runMigrations(db, counted(calls).slice(0, 1));
    assert.deepEqual(runMigrations(db, counted(calls)).applied, [2]);
    assert.deepEqual(calls, [1, 2]);
  });

  test('refuses a schema newer than the code knows, before touching anything', () => {
    const db = memory();
    runMigrations(db, counted([]));
    assert.throws(
      () => runMigrations(db, counted([]).slice(0, 1)),
      (err: unknown) => {
        code('GW_ERR_STORE_SCHEMA_TOO_NEW')(err);
        assert.match((err as Error).message, /version 2, newer than this build knows \(1\)/);
        return true;
      },
    );
    assert.equal(schemaVersion(db), 2);
  });

  test('rolls a failing step back completely and keeps the previous version', () => {
    const db = memory();
    const failing: Migration[] = [
      counted([])[0]!,
      {
        version: 2,
        name: 'half done',
        up: (d) => {
          d.exec('CREATE TABLE half (x)');
          throw new Error('disk on fire');
        },
      },
    ];
    assert.throws(
      () => runMigrations(db, failing),
      (err: unknown) => {
        code('GW_ERR_STORE_MIGRATION_FAILED')(err);
        assert.match((err as Error).message, /disk on fire/);
        return true;
      },
    );
    assert.equal(schemaVersion(db), 1);
    assert.ok(!tables(db).includes('half'));
    assert.deepEqual(runMigrations(db, counted([])).applied, [2]);
  });

  test('refuses a database whose recorded step has another name', () => {
    const db = memory();
    runMigrations(db, counted([]));
    const renamed = counted([]);
    renamed[1] = { ...renamed[1]!, name: 'two, but different' };
    assert.throws(() => runMigrations(db, renamed), code('GW_ERR_STORE_MIGRATION_FAILED'));
  });

  test('refuses a malformed list', () => {
    const gap: Migration[] = [{ ...counted([])[0]!, version: 2 }];
    assert.throws(() => runMigrations(memory(), gap), code('GW_ERR_STORE_MIGRATION_FAILED'));
    const unnamed: Migration[] = [{ ...counted([])[0]!, name: ' ' }];
    assert.throws(() => runMigrations(memory(), unnamed), code('GW_ERR_STORE_MIGRATION_FAILED'));
  });

  test('versions components independently', () => {
    const db = memory();
    runMigrations(db, counted([]), { component: 'memory' });
    const cron: Migration[] = [{ version: 1, name: 'cron jobs', up: (d) => d.exec('CREATE TABLE jobs (x)') }];
    assert.deepEqual(runMigrations(db, cron, { component: 'cron' }).applied, [1]);
    assert.equal(schemaVersion(db, 'memory'), 2);
    assert.equal(schemaVersion(db, 'cron'), 1);
    assert.equal(schemaVersion(db, 'store'), 0);
  });
});

describe('store schema on open', () => {
  test('is applied by openSqliteDatabase and not again on reopen', () => {
    const dataDir = tempDir();
    openSqliteDatabase({ dataDir }).close();
    const db = openSqliteDatabase({ dataDir });
    try {
      const rows = db.connection
        .prepare("SELECT version FROM schema_migrations WHERE component = 'store'")
        .all();
      assert.equal(rows.length, STORE_MIGRATIONS.length);
      assert.ok(tables(db.connection).includes('tasks'));
    } finally {
      db.close();
    }
  });

  test('refuses to open a store written by a newer build', () => {
    const dataDir = tempDir();
    const db = openSqliteDatabase({ dataDir });
    db.connection
      .prepare("INSERT INTO schema_migrations VALUES ('store', ?, 'from the future', ?)")
      .run(STORE_MIGRATIONS.length + 1, new Date().toISOString());
    db.close();
    assert.throws(() => openSqliteDatabase({ dataDir }), code('GW_ERR_STORE_SCHEMA_TOO_NEW'));
  });

  test('is applied exactly once when several processes open a new store together', async () => {
    const dataDir = tempDir();
    const children = [1, 2, 3, 4].map(() => startStoreChild({ mode: 'open', dataDir }));
    try {
      await Promise.all(children.map((c) => c.waitFor((l) => l === 'done')));
    } finally {
      await Promise.all(children.map(stopChild));
    }
    const db = openSqliteDatabase({ dataDir });
    try {
      const n = db.connection
        .prepare("SELECT count(*) AS n FROM schema_migrations WHERE component = 'store'")
        .get();
      assert.deepEqual(n, { n: STORE_MIGRATIONS.length });
    } finally {
      db.close();
    }
  });
});
