/** @module WalSync: the WAL fsync barrier behind `synchronous: full`, on real files in a temp dir. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { WalSync } from './wal-sync.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'openclaw-walsync-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A WAL-mode database whose commits only write() (the mode `openSqliteDatabase` uses under `full`). */
function openWalDb(dir: string, name = 'x.db') {
  const file = join(dir, name);
  const db = new Database(file);
  assert.equal(db.pragma('journal_mode = WAL', { simple: true }), 'wal');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)');
  const insert = db.prepare<[string]>('INSERT INTO t (v) VALUES (?)');
  return { db, wal: `${file}-wal`, write: (v = 'x') => insert.run(v) };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('WalSync', () => {
  test('resolves at once when there is no WAL file, without syncing anything', async () => {
    const sync = new WalSync(join(tempDir(), 'absent.db-wal'));
    await sync.durable();
    await Promise.all([sync.durable(), sync.durable()]);
    assert.equal(sync.syncs, 0);
    await sync.close();
  });

  test('one write, then durable(): one fdatasync of the WAL', async () => {
    const { db, wal, write } = openWalDb(tempDir());
    try {
      write();
      assert.ok(existsSync(wal));
      const sync = new WalSync(wal);
      assert.equal(sync.syncs, 0);
      await sync.durable();
      assert.equal(sync.syncs, 1);
      await sync.close();
    } finally {
      db.close();
    }
  });

  test('ten calls in one tick share the syncs: all resolve, at most two fdatasyncs', async () => {
    const { db, wal, write } = openWalDb(tempDir());
    try {
      const sync = new WalSync(wal);
      const calls: Promise<void>[] = [];
      for (let i = 0; i < 10; i++) {
        write(`w${i}`);
        calls.push(sync.durable());
      }
      await Promise.all(calls);
      // The first call starts a sync; the nine made while it runs share the next one.
      assert.ok(sync.syncs <= 2, `expected at most 2 syncs, got ${sync.syncs}`);
      assert.ok(sync.syncs >= 1);
      await sync.close();
    } finally {
      db.close();
    }
  });

  test('a call made while a sync runs waits for a second sync, begun after it', async () => {
    const { db, wal, write } = openWalDb(tempDir());
    try {
      const sync = new WalSync(wal);
      write('a');
      const first = sync.durable().then(() => sync.syncs);
      // The first sync is in flight now (its open/fdatasync run on the libuv pool); it may have begun
      // before this write, so it cannot vouch for it.
      write('b');
      const second = sync.durable().then(() => sync.syncs);
      assert.equal(await first, 1);
      assert.ok((await second) >= 2, 'the second caller resolved on the sync that was already running');
      assert.equal(sync.syncs, 2);
      await sync.close();
    } finally {
      db.close();
    }
  });

  test('every call resolves after a sync that completed after it (writes and calls over many turns)', async () => {
    const { db, wal, write } = openWalDb(tempDir());
    try {
      const sync = new WalSync(wal);
      const pending = new Set<number>();
      const failures: string[] = [];
      const all: Promise<void>[] = [];
      let previousStartedSync = false;
      for (let i = 0; i < 150; i++) {
        const sameTurn = i % 3 === 0 && i > 0;
        if (!sameTurn) await nextTurn();
        write(`w${i}`);
        const atCall = sync.syncs;
        // Calls after `await nextTurn()` are made at a turn boundary, where every settled sync has run
        // its callbacks: no call pending means no sync running, so this call starts one.
        const startsSync = !sameTurn && pending.size === 0;
        // The sync the previous call started in this same turn cannot have finished its fdatasync yet,
        // and it may have begun before this write: this call needs the next one as well.
        const needed = atCall + (sameTurn && previousStartedSync ? 2 : 1);
        previousStartedSync = startsSync;
        pending.add(i);
        all.push(
          sync.durable().then(() => {
            pending.delete(i);
            if (sync.syncs < needed) failures.push(`call ${i}: syncs ${sync.syncs} < ${needed}`);
          }),
        );
      }
      await Promise.all(all);
      assert.deepEqual(failures, []);
      assert.ok(sync.syncs < 150, `the syncs were never shared (${sync.syncs} for 150 calls)`);
      await sync.close();
    } finally {
      db.close();
    }
  });

  test('a WAL file unlinked and recreated at the same path: the next call syncs the new file', async () => {
    const dir = tempDir();
    const first = openWalDb(dir);
    const sync = new WalSync(first.wal);
    first.write('old');
    await sync.durable();
    assert.equal(sync.syncs, 1);
    // The last connection closing checkpoints and deletes the WAL; a new connection starts a new file.
    first.db.close();
    assert.equal(existsSync(first.wal), false);
    const second = openWalDb(dir);
    try {
      second.write('new');
      assert.ok(existsSync(second.wal));
      await sync.durable();
      // The descriptor it held was the unlinked file: that sync did not count, so it synced again.
      assert.equal(sync.syncs, 3);
      second.write('newer');
      await sync.durable();
      // One sync this time: the descriptor it holds now is the live file's (nlink > 0).
      assert.equal(sync.syncs, 4);
      await sync.close();
    } finally {
      second.db.close();
    }
  });

  test('a WAL file unlinked and not recreated: resolves after syncing the old descriptor once', async () => {
    const wal = join(tempDir(), 'plain.db-wal');
    writeFileSync(wal, 'frames');
    const sync = new WalSync(wal);
    await sync.durable();
    assert.equal(sync.syncs, 1);
    unlinkSync(wal);
    await sync.durable();
    assert.equal(sync.syncs, 2, 'the old descriptor was synced, the reopen found no file');
    await sync.durable();
    assert.equal(sync.syncs, 2, 'no file, nothing to sync');
    writeFileSync(wal, 'a new file');
    await sync.durable();
    assert.equal(sync.syncs, 3, 'the new file is found and synced');
    await sync.close();
  });

  test('close() waits for a running sync; durable() after close resolves at once', async () => {
    const { db, wal, write } = openWalDb(tempDir());
    try {
      const sync = new WalSync(wal);
      write();
      const settled: string[] = [];
      const running = sync.durable().then(() => settled.push('running'));
      const queued = sync.durable().then(() => settled.push('queued'));
      await sync.close();
      // Both had resolved (not rejected) by the time close() resolved.
      assert.deepEqual(settled, ['running', 'queued']);
      await Promise.all([running, queued]);
      const syncs = sync.syncs;
      write();
      await sync.durable();
      assert.equal(sync.syncs, syncs, 'no sync after close');
      await sync.close(); // idempotent
    } finally {
      db.close();
    }
  });

  test('an fdatasync failure rejects with the errno, so does the call queued behind it, and every later one', async () => {
    // fdatasync(2) on a character device fails with EINVAL on Linux: an honest fsync error.
    const sync = new WalSync('/dev/null');
    const running = sync.durable();
    const queued = sync.durable();
    await assert.rejects(running, (err: NodeJS.ErrnoException) => err.code === 'EINVAL');
    await assert.rejects(queued, (err: NodeJS.ErrnoException) => err.code === 'EINVAL');
    assert.equal(sync.syncs, 0, 'a failed sync is not counted');
    // Sticky: after a failed fsync no later one can vouch for the data it covered, so every later call
    // rejects with the same error (the same object: nothing was tried again).
    let first: unknown;
    await running.catch((err: unknown) => (first = err));
    await assert.rejects(sync.durable(), (err: unknown) => err === first);
    await sync.close();
  });

  test('an open failure other than ENOENT rejects instead of passing for "no WAL"', async () => {
    const notADir = join(tempDir(), 'file');
    writeFileSync(notADir, '');
    const sync = new WalSync(join(notADir, 'x.db-wal'));
    await assert.rejects(sync.durable(), (err: NodeJS.ErrnoException) => err.code === 'ENOTDIR');
    assert.equal(sync.syncs, 0);
    await sync.close();
  });
});
