/** @module GroupCommit: the writes of one event-loop turn in one SQLite transaction, on a real database. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { GatewayError } from '../../protocol/index.js';
import { GroupCommit } from './group-commit.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A writer connection with a GroupCommit, and a second connection to watch what has committed. */
function open(maxBatch?: number) {
  const dir = mkdtempSync(join(tmpdir(), 'openclaw-gc-'));
  dirs.push(dir);
  const file = join(dir, 'x.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // No checkpoint resets the WAL while a test counts its frames.
  db.pragma('wal_autocheckpoint = 0');
  db.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE child (id INTEGER PRIMARY KEY,
      parent INTEGER NOT NULL REFERENCES t (id) DEFERRABLE INITIALLY DEFERRED)`);
  const reader = new Database(file);
  const count = reader.prepare<[], { n: number }>('SELECT count(*) AS n FROM t');
  const insert = db.prepare<[number, string]>('INSERT INTO t (id, v) VALUES (?, ?)');
  const gc = maxBatch === undefined ? new GroupCommit(db) : new GroupCommit(db, maxBatch);
  return {
    db,
    reader,
    gc,
    wal: `${file}-wal`,
    /** Rows committed, as another connection sees them. */
    committed: () => count.get()!.n,
    ids: () =>
      (reader.prepare('SELECT id FROM t ORDER BY id').pluck().all() as number[]).sort((a, b) => a - b),
    insert: (id: number, v = `v${id}`) => insert.run(id, v).changes,
    close: () => {
      reader.close();
      db.close();
    },
  };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function storeError(reason: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof GatewayError, `expected a GatewayError, got ${String(err)}`);
    assert.equal(err.code, 'GW_ERR_STORE_UNAVAILABLE');
    assert.match(String(err.details.reason), reason);
    return true;
  };
}

describe('GroupCommit', () => {
  test('the writes issued in one turn commit together, in one transaction', async () => {
    const s = open();
    try {
      const seenByReader: number[] = [];
      const writes = Array.from({ length: 20 }, (_, i) =>
        s.gc.run(() => {
          const changes = s.insert(i + 1);
          // From another connection, none of the batch is visible while it runs.
          seenByReader.push(s.committed());
          return changes;
        }),
      );
      assert.equal(s.committed(), 0, 'nothing runs before the next setImmediate');
      assert.deepEqual(await Promise.all(writes), Array(20).fill(1));
      assert.deepEqual(seenByReader, Array(20).fill(0));
      assert.equal(s.committed(), 20);
    } finally {
      s.close();
    }
  });

  test('one commit writes far fewer WAL frames than one commit per write', async () => {
    const frames = (s: ReturnType<typeof open>) => {
      const page = Number(s.db.pragma('page_size', { simple: true }));
      return (statSync(s.wal).size - 32) / (page + 24);
    };
    const n = 40;
    const batched = open();
    const oneByOne = open();
    try {
      const b0 = frames(batched);
      await Promise.all(Array.from({ length: n }, (_, i) => batched.gc.run(() => batched.insert(i + 1))));
      const o0 = frames(oneByOne);
      for (let i = 0; i < n; i++) await oneByOne.gc.run(() => oneByOne.insert(i + 1));
      const batchedFrames = frames(batched) - b0;
      const oneByOneFrames = frames(oneByOne) - o0;
      assert.equal(batched.committed(), n);
      assert.equal(oneByOne.committed(), n);
      // Every commit appends at least one frame; the batch rewrote the same leaf page once.
      assert.ok(oneByOneFrames >= n, `${oneByOneFrames} frames for ${n} commits`);
      assert.ok(batchedFrames <= 3, `${batchedFrames} frames for one commit of ${n} small rows`);
    } finally {
      batched.close();
      oneByOne.close();
    }
  });

  test('a write that throws rejects alone and leaves nothing behind; the others commit', async () => {
    const s = open();
    try {
      await s.gc.run(() => s.insert(1));
      const seenByReader: number[] = [];
      const ok1 = s.gc.run(() => s.insert(10));
      const dup = s.gc.run(() => {
        s.insert(11); // rolled back with its savepoint
        return s.insert(1); // UNIQUE constraint on the primary key
      });
      const gatewayErr = s.gc.run(() => {
        s.insert(12);
        throw new GatewayError('GW_ERR_TASK_INVALID', { reason: 'refused by the op itself' });
      });
      const ok2 = s.gc.run(() => {
        seenByReader.push(s.committed());
        return s.insert(13);
      });
      assert.equal(await ok1, 1);
      await assert.rejects(dup, storeError(/SQLITE_CONSTRAINT/));
      // A catalogue error thrown by the op passes through as it is.
      await assert.rejects(
        gatewayErr,
        (err: unknown) => err instanceof GatewayError && err.code === 'GW_ERR_TASK_INVALID',
      );
      assert.equal(await ok2, 1);
      assert.deepEqual(seenByReader, [1], 'the failures did not end the transaction early');
      assert.deepEqual(s.ids(), [1, 10, 13]);
    } finally {
      s.close();
    }
  });

  test('a singleChange write that fails needs no savepoint: its statement alone is undone', async () => {
    const s = open();
    try {
      await s.gc.run(() => s.insert(1));
      const ok1 = s.gc.run(() => s.insert(20), { singleChange: true });
      // A multi-row INSERT that breaks the key halfway: SQLite backs out the rows it had written.
      const multi = s.gc.run(
        () => s.db.prepare("INSERT INTO t (id, v) VALUES (21, 'a'), (1, 'dup'), (22, 'b')").run(),
        { singleChange: true },
      );
      const ok2 = s.gc.run(() => s.insert(23), { singleChange: true });
      assert.equal(await ok1, 1);
      await assert.rejects(multi, storeError(/SQLITE_CONSTRAINT/));
      assert.equal(await ok2, 1);
      assert.deepEqual(s.ids(), [1, 20, 23]);
      // Without the option, the same op in one batch with another would keep nothing of the failed one.
      const savepointed = s.gc.run(() => {
        s.insert(30);
        return s.insert(1);
      });
      const singleLie = s.gc.run(
        () => {
          s.insert(31); // kept: the caller broke its promise of one change, and no savepoint undoes it
          return s.insert(1);
        },
        { singleChange: true },
      );
      await assert.rejects(savepointed, storeError(/SQLITE_CONSTRAINT/));
      await assert.rejects(singleLie, storeError(/SQLITE_CONSTRAINT/));
      assert.deepEqual(s.ids(), [1, 20, 23, 31], 'the savepoint undid 30; nothing undid 31');
    } finally {
      s.close();
    }
  });

  test('writes issued while a batch runs go to the next batch', async () => {
    const s = open();
    try {
      let inner: Promise<number> | undefined;
      let innerSaw = -1;
      let thenIssued: Promise<number> | undefined;
      let thenSaw = -1;
      const outer = s.gc.run(() => {
        const changes = s.insert(1);
        inner = s.gc.run(() => {
          innerSaw = s.committed();
          return s.insert(2);
        });
        return changes;
      });
      const sibling = s.gc.run(() => s.insert(3));
      const chained = outer.then(() => {
        thenIssued = s.gc.run(() => {
          thenSaw = s.committed();
          return s.insert(4);
        });
      });
      await Promise.all([outer, sibling, chained]);
      assert.equal(innerSaw, -1, 'the write issued during the batch did not run in it');
      assert.deepEqual(s.ids(), [1, 3]);
      assert.equal(await inner, 1);
      assert.equal(await thenIssued, 1);
      // Both ran after the first batch had committed.
      assert.equal(innerSaw, 2);
      assert.equal(thenSaw, 2);
      assert.deepEqual(s.ids(), [1, 2, 3, 4]);
    } finally {
      s.close();
    }
  });

  test('maxBatch splits a larger queue into several commits, in order', async () => {
    const s = open(3);
    try {
      const seen: number[] = [];
      const writes = Array.from({ length: 7 }, (_, i) =>
        s.gc.run(() => {
          seen.push(s.committed());
          return s.insert(i + 1);
        }),
      );
      await Promise.all(writes);
      // Batches [1..3], [4..6], [7]: each sees the ones before it committed, none of its own.
      assert.deepEqual(seen, [0, 0, 0, 3, 3, 3, 6]);
      assert.equal(s.committed(), 7);
    } finally {
      s.close();
    }
  });

  test('flush() commits what is queued at once, each write exactly once', async () => {
    const s = open(2);
    try {
      let runs = 0;
      const writes = Array.from({ length: 5 }, (_, i) =>
        s.gc.run(() => {
          runs++;
          return s.insert(i + 1);
        }),
      );
      s.gc.flush();
      // Synchronously after flush(), before any setImmediate, and across maxBatch.
      assert.equal(s.committed(), 5);
      assert.equal(runs, 5);
      assert.deepEqual(await Promise.all(writes), Array(5).fill(1));
      await nextTurn();
      await nextTurn();
      assert.equal(runs, 5, 'the scheduled batch found nothing left to run');
      s.gc.flush(); // nothing queued: a no-op
      assert.equal(s.committed(), 5);
    } finally {
      s.close();
    }
  });

  test('a BEGIN that fails (write lock held elsewhere) rejects the whole batch; nothing acknowledged is lost', async () => {
    const s = open();
    try {
      s.db.pragma('busy_timeout = 0');
      assert.equal(await s.gc.run(() => s.insert(1)), 1);
      s.reader.exec('BEGIN IMMEDIATE');
      let runs = 0;
      const writes = [2, 3, 4].map((id) =>
        s.gc.run(() => {
          runs++;
          return s.insert(id);
        }),
      );
      const results = await Promise.allSettled(writes);
      s.reader.exec('ROLLBACK');
      for (const r of results) {
        assert.equal(r.status, 'rejected');
        storeError(/database is busy/)((r as PromiseRejectedResult).reason);
      }
      assert.equal(runs, 0, 'no write ran without the transaction');
      assert.deepEqual(s.ids(), [1]);
      // The lock is free again: the next batch commits.
      assert.equal(await s.gc.run(() => s.insert(5)), 1);
      assert.deepEqual(s.ids(), [1, 5]);
    } finally {
      s.close();
    }
  });

  test('a COMMIT that fails rejects every write of the batch and commits none of them', async () => {
    const s = open();
    try {
      assert.equal(await s.gc.run(() => s.insert(1)), 1);
      const insertChild = s.db.prepare('INSERT INTO child (id, parent) VALUES (?, ?)');
      const writes = [
        s.gc.run(() => s.insert(2)),
        // A deferred foreign key is checked only at COMMIT, which then fails for the whole transaction.
        s.gc.run(() => insertChild.run(1, 999).changes),
        s.gc.run(() => s.insert(3)),
      ];
      const results = await Promise.allSettled(writes);
      for (const r of results) {
        assert.equal(r.status, 'rejected');
        storeError(/SQLITE_CONSTRAINT/)((r as PromiseRejectedResult).reason);
      }
      assert.equal(s.db.inTransaction, false);
      assert.deepEqual(s.ids(), [1]);
      assert.equal(s.reader.prepare('SELECT count(*) FROM child').pluck().get(), 0);
      assert.equal(await s.gc.run(() => s.insert(4)), 1);
      assert.deepEqual(s.ids(), [1, 4]);
    } finally {
      s.close();
    }
  });

  test('an error that rolls back the whole transaction (SQLITE_FULL) fails the batch, never a committed write', async () => {
    const s = open();
    try {
      assert.equal(await s.gc.run(() => s.insert(1)), 1);
      const pages = Number(s.db.pragma('page_count', { simple: true }));
      s.db.pragma(`max_page_count = ${pages + 2}`);
      let ranAfter = 0;
      const writes = [
        s.gc.run(() => s.insert(2)),
        s.gc.run(() => s.insert(3, 'x'.repeat(200_000))), // SQLITE_FULL: SQLite rolls back everything
        s.gc.run(() => {
          ranAfter++;
          return s.insert(4);
        }),
      ];
      const results = await Promise.allSettled(writes);
      const committed = s.ids();
      // A write is acknowledged if and only if it committed.
      [2, 3, 4].forEach((id, i) => {
        assert.equal(
          results[i]!.status === 'fulfilled',
          committed.includes(id),
          `write ${id}: ${results[i]!.status} but ${committed.includes(id) ? '' : 'not '}committed`,
        );
      });
      assert.deepEqual(committed, [1]);
      for (const r of results) storeError(/SQLITE_FULL/)((r as PromiseRejectedResult).reason);
      assert.equal(ranAfter, 0, 'no write ran outside the rolled-back transaction');
      s.db.pragma('max_page_count = 1073741823');
      assert.equal(await s.gc.run(() => s.insert(5)), 1);
      assert.deepEqual(s.ids(), [1, 5]);
    } finally {
      s.close();
    }
  });

  test('writes queued after the database closed reject as a closed store', async () => {
    const s = open();
    const queued = s.gc.run(() => s.insert(1));
    s.close();
    await assert.rejects(queued, storeError(/closed/));
  });
});
