/** @module SQLite stores: the shared conformance suites plus durability, multi-process and backup tests. */
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { GatewayError } from '../../protocol/index.js';
import {
  makeTask,
  runMetaStoreConformance,
  runRevocationStoreConformance,
  runTaskStoreConformance,
} from '../conformance/index.js';
import { applyKey } from './cipher.js';
import { openSqliteDatabase, type SqliteDatabaseOptions } from './database.js';
import { startStoreChild, stopChild, type StoreChild } from './fixtures/child-harness.js';
import { createSqliteStores, type SqliteStores } from './sqlite-stores.js';

const KEY = 'correct horse battery staple, 32+ chars';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'openclaw-store-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function openStores(dataDir: string, extra: Partial<SqliteDatabaseOptions> = {}): SqliteStores {
  return createSqliteStores(openSqliteDatabase({ dataDir, ...extra }));
}

/** A fresh store in its own directory, removed again by cleanup. */
function fresh(encryptionKey?: string) {
  return async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'openclaw-conf-'));
    // `normal` keeps the suite fast; durability under `full` is tested separately below.
    const stores = openStores(dataDir, { encryptionKey, synchronous: 'normal' });
    return {
      tasks: stores.tasks,
      revocations: stores.revocations,
      meta: stores.meta,
      cleanup: async () => {
        await stores.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  };
}

runTaskStoreConformance('sqlite', fresh());
runTaskStoreConformance('sqlite, encrypted', fresh(KEY));
runRevocationStoreConformance('sqlite', fresh());
runMetaStoreConformance('sqlite', fresh());

function isStoreError(code: string) {
  return (err: unknown) => err instanceof GatewayError && err.code === code;
}

describe('SQLite stores', () => {
  test('keep tasks, dependencies, logs, revocations and meta across close and reopen', async () => {
    const dataDir = tempDir();
    const parent = makeTask();
    const child = makeTask({ status: 'waiting', depends_on: [parent.id] });
    {
      const s = openStores(dataDir, { encryptionKey: KEY });
      await s.tasks.insert(parent, { idempotencyKey: 'idem-1' });
      await s.tasks.insert(child);
      await s.tasks.appendLog(parent.id, { ts: new Date().toISOString(), level: 'info', message: 'hello' });
      await s.revocations.revoke('jti-x', null);
      await s.meta.set('gateway_id', 'gw-abc');
      await s.close();
    }
    const s = openStores(dataDir, { encryptionKey: KEY });
    try {
      assert.deepEqual(await s.tasks.get(child.id), child);
      assert.deepEqual(
        (await s.tasks.dependents(parent.id)).map((t) => t.id),
        [child.id],
      );
      assert.equal((await s.tasks.logs(parent.id))[0]?.message, 'hello');
      assert.equal((await s.tasks.insert(makeTask(), { idempotencyKey: 'idem-1' })).task.id, parent.id);
      assert.equal(await s.revocations.isRevoked('jti-x'), true);
      assert.equal(await s.meta.get('gateway_id'), 'gw-abc');
    } finally {
      await s.close();
    }
  });

  test('fail with GW_ERR_STORE_UNAVAILABLE after close, and close twice without error', async () => {
    const s = openStores(tempDir());
    await s.close();
    await s.close();
    await assert.rejects(s.tasks.get('x'), isStoreError('GW_ERR_STORE_UNAVAILABLE'));
    await assert.rejects(s.tasks.insert(makeTask()), isStoreError('GW_ERR_STORE_UNAVAILABLE'));
    await assert.rejects(s.meta.get('x'), isStoreError('GW_ERR_STORE_UNAVAILABLE'));
  });

  test('an onCommitted callback that throws does not fail the insert it reports', async () => {
    const s = openStores(tempDir());
    try {
      const t = makeTask();
      const res = await s.tasks.insert(t, {
        onCommitted: () => {
          throw new Error('a broken listener');
        },
      });
      assert.equal(res.created, true);
      assert.equal((await s.tasks.get(t.id))?.id, t.id);
    } finally {
      await s.close();
    }
  });

  test('probe() passes while healthy, and fails for good once a WAL fsync failed, though reads still work', async () => {
    const s = openStores(tempDir());
    try {
      await s.probe();
      const wal = `${s.database.file}-wal`;
      assert.ok(existsSync(wal), 'the migrations wrote the WAL');
      // fdatasync(2) fails with EINVAL on /dev/null: an honest fsync error for the first write (the
      // barrier opens the WAL on its first sync, so it opens the symlink).
      renameSync(wal, `${wal}.real`);
      symlinkSync('/dev/null', wal);
      try {
        await assert.rejects(s.meta.set('k', 'v'), isStoreError('GW_ERR_STORE_UNAVAILABLE'));
      } finally {
        unlinkSync(wal);
        renameSync(`${wal}.real`, wal);
      }
      // The WAL is back and readable, yet no acknowledgement can be trusted any more: not ready.
      assert.equal(await s.meta.get('k'), 'v', 'the write committed; only its fsync failed');
      await assert.rejects(s.probe(), (err: unknown) => {
        assert.ok(err instanceof GatewayError);
        assert.equal(err.code, 'GW_ERR_STORE_UNAVAILABLE');
        assert.match(String(err.details.reason), /fsync .*-wal: EINVAL/);
        return true;
      });
      await assert.rejects(s.meta.set('k2', 'v'), isStoreError('GW_ERR_STORE_UNAVAILABLE'));
    } finally {
      await s.close();
    }
    const closed = openStores(tempDir());
    await closed.close();
    await assert.rejects(closed.probe(), isStoreError('GW_ERR_STORE_UNAVAILABLE'));
  });

  test('lose no acknowledged insert when the process is killed with SIGKILL', async () => {
    const dataDir = tempDir();
    const child = startStoreChild({ mode: 'insert-loop', dataDir });
    try {
      // Kill as soon as a handful of inserts were acknowledged, while more are in flight.
      await child.waitFor(
        (l) => child.lines.filter((x) => x.startsWith('ack ')).length >= 5 && l.startsWith('ack '),
      );
      child.proc.kill('SIGKILL');
      assert.equal(await child.exited, null);
    } finally {
      await stopChild(child);
    }
    const acked = child.lines.filter((l) => l.startsWith('ack ')).map((l) => l.slice(4));
    assert.ok(acked.length >= 5);
    const s = openStores(dataDir);
    try {
      for (const id of acked)
        assert.notEqual(await s.tasks.get(id), null, `acknowledged task ${id} was lost`);
    } finally {
      await s.close();
    }
  });

  test('never hand one task to two claiming processes', async () => {
    const dataDir = tempDir();
    const total = 150;
    {
      const s = openStores(dataDir, { synchronous: 'normal' });
      for (let i = 0; i < total; i++) await s.tasks.insert(makeTask());
      await s.close();
    }
    const children: StoreChild[] = [1, 2, 3].map((n) =>
      startStoreChild({ mode: 'claim-all', dataDir, nodeId: `n${n}`, pauseMs: 1 }),
    );
    try {
      await Promise.all(children.map((c) => c.waitFor((l) => l === 'ready')));
      for (const c of children) c.proc.stdin.write('go\n');
      await Promise.all(children.map((c) => c.waitFor((l) => l === 'done', 60_000)));
    } finally {
      await Promise.all(children.map(stopChild));
    }
    const claimed = children.flatMap((c) =>
      c.lines.filter((l) => l.startsWith('claimed ')).map((l) => l.slice(8)),
    );
    assert.equal(claimed.length, total, 'every task claimed');
    assert.equal(new Set(claimed).size, total, 'no task claimed twice');
    assert.ok(
      children.filter((c) => c.lines.some((l) => l.startsWith('claimed '))).length >= 2,
      'claims interleaved',
    );
    const s = openStores(dataDir);
    try {
      assert.equal((await s.tasks.countByStatus()).running, total);
    } finally {
      await s.close();
    }
  });

  test('create one task when several processes insert with the same idempotency key at once', async () => {
    const dataDir = tempDir();
    openStores(dataDir).database.close();
    const children = [1, 2, 3, 4].map(() =>
      startStoreChild({ mode: 'insert-idem', dataDir, idempotencyKey: 'once' }),
    );
    try {
      await Promise.all(children.map((c) => c.waitFor((l) => l === 'ready')));
      for (const c of children) c.proc.stdin.write('go\n');
      await Promise.all(children.map((c) => c.waitFor((l) => l === 'done')));
    } finally {
      await Promise.all(children.map(stopChild));
    }
    const results = children.map((c) => {
      const line = c.lines.find((l) => l.startsWith('result '));
      return JSON.parse(line!.slice(7)) as { id: string; created: boolean };
    });
    assert.equal(results.filter((r) => r.created).length, 1);
    assert.equal(new Set(results.map((r) => r.id)).size, 1);
    const s = openStores(dataDir);
    try {
      assert.equal((await s.tasks.list()).tasks.length, 1);
    } finally {
      await s.close();
    }
  });
});

describe('SQLite backupTo', () => {
  const SEEDED = 1500;

  async function backupWhileWriting(encryptionKey?: string) {
    const dataDir = tempDir();
    const s = openStores(dataDir, { encryptionKey, synchronous: 'normal' });
    const marker = `BACKUP-MARKER-${Date.now()}`;
    for (let i = 0; i < SEEDED; i++) await s.tasks.insert(makeTask({ task: `${marker} ${'x'.repeat(500)}` }));
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        await s.tasks.insert(makeTask({ task: marker }));
        written++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const dest = join(tempDir(), 'copy.db');
    const before = written;
    try {
      await s.backupTo(dest);
    } finally {
      writing = false;
      await writer;
    }
    const writtenDuring = written - before;
    const total = (await s.tasks.countByStatus()).queued;
    await s.close();
    return { dest, marker, total, writtenDuring };
  }

  function countRows(file: string, key?: string): { rows: number; integrity: unknown } {
    const db = new Database(file, { readonly: true });
    try {
      if (key !== undefined) applyKey(db, key);
      const rows = (db.prepare('SELECT count(*) AS n FROM tasks').get() as { n: number }).n;
      return { rows, integrity: db.pragma('integrity_check', { simple: true }) };
    } finally {
      db.close();
    }
  }

  test('writes a consistent copy of a plaintext store while inserts continue', async () => {
    const { dest, total, writtenDuring } = await backupWhileWriting();
    assert.ok(writtenDuring > 0, 'writes happened while the backup ran');
    const { rows, integrity } = countRows(dest);
    assert.equal(integrity, 'ok');
    assert.ok(rows >= SEEDED && rows <= total, `backup has ${rows} of ${total}`);
    assert.deepEqual(
      readdirSync(join(dest, '..')).filter((f) => f.includes('.partial-')),
      [],
    );
  });

  test('keeps an encrypted store encrypted in its backup, readable only with the key', async () => {
    const { dest, marker, total, writtenDuring } = await backupWhileWriting(KEY);
    assert.ok(writtenDuring > 0, 'the event loop kept serving writes while the copy ran');
    assert.equal(readFileSync(dest).includes(marker), false, 'no plaintext in the backup');
    const { rows, integrity } = countRows(dest, KEY);
    assert.equal(integrity, 'ok');
    assert.ok(rows >= SEEDED && rows <= total, `backup has ${rows} of ${total}`);
    const copyDir = join(dest, '..');
    assert.throws(
      () => openSqliteDatabase({ dataDir: copyDir, filename: 'copy.db' }),
      isStoreError('GW_ERR_STORE_KEY_INVALID'),
    );
    const reopened = openSqliteDatabase({ dataDir: copyDir, filename: 'copy.db', encryptionKey: KEY });
    reopened.close();
  });

  test('refuses a target in a missing directory or the live file itself, leaving nothing behind', async () => {
    const dataDir = tempDir();
    const s = openStores(dataDir);
    try {
      await assert.rejects(
        s.backupTo(join(dataDir, 'nope', 'copy.db')),
        isStoreError('GW_ERR_STORE_UNAVAILABLE'),
      );
      await assert.rejects(s.backupTo(s.database.file), isStoreError('GW_ERR_STORE_UNAVAILABLE'));
      assert.equal(existsSync(join(dataDir, 'nope')), false);
    } finally {
      await s.close();
    }
  });
});
