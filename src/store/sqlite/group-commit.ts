/** @module Group commit: the writes issued in one event-loop turn share one SQLite transaction. */
import type Database from 'better-sqlite3-multiple-ciphers';
import { toStoreError } from './sqlite-errors.js';

interface Pending {
  run: () => unknown;
  savepoint: boolean;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; err: unknown };

/**
 * Queues writes and runs everything queued during the current turn in one IMMEDIATE transaction on the
 * next `setImmediate`. Under load a task's five writes and its neighbours' touch the same pages, and one
 * commit writes each of those pages to the WAL once instead of once per write (bench/task-throughput:
 * the per-write commits were a quarter of the gateway's CPU). A write that throws rolls back and rejects
 * alone while the rest commit: it runs in its own SAVEPOINT, unless its caller says it makes at most one
 * change (one INSERT, UPDATE or DELETE, after any reads), which SQLite undoes by itself when it fails
 * (the default ABORT conflict resolution); a savepoint costs two more statements per write. A promise
 * settles after COMMIT returned; durability is the database barrier's business (`durableWrite`).
 */
export class GroupCommit {
  #queue: Pending[] = [];
  #scheduled = false;
  readonly #one: Database.Transaction<(op: Pending) => unknown>;
  readonly #batch: Database.Transaction<(ops: Pending[]) => Outcome[]>;

  /** `maxBatch` bounds how long one commit holds the event loop. */
  constructor(
    db: Database.Database,
    private readonly maxBatch = 256,
  ) {
    // A transaction function called inside another transaction runs as a SAVEPOINT.
    this.#one = db.transaction((op: Pending) => op.run());
    this.#batch = db.transaction((ops: Pending[]) =>
      ops.map((op): Outcome => {
        try {
          return { ok: true, value: op.savepoint ? this.#one(op) : op.run() };
        } catch (err) {
          // SQLITE_FULL, an I/O error or NOMEM can roll the whole transaction back, not only the
          // savepoint. Going on would run the remaining writes outside it, each committing on its own,
          // and then fail the final COMMIT: writes that committed would be rejected. Abort the batch
          // instead; nothing in it committed, so every write in it rejects.
          if (!db.inTransaction) throw err;
          return { ok: false, err };
        }
      }),
    );
  }

  /**
   * Runs `fn` (synchronous driver calls) in the next batch, atomically. `singleChange`: `fn` makes at
   * most one change, so it needs no savepoint of its own to fail alone.
   */
  run<T>(fn: () => T, options: { singleChange?: boolean } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        run: fn,
        savepoint: options.singleChange !== true,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      this.#schedule();
    });
  }

  /** Commits whatever is queued now; the owner calls it before the database closes. */
  flush(): void {
    while (this.#queue.length > 0) this.#commit(this.#queue.splice(0, this.maxBatch));
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#commit(this.#queue.splice(0, this.maxBatch));
      if (this.#queue.length > 0) this.#schedule();
    });
  }

  #commit(ops: Pending[]): void {
    if (ops.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = this.#batch.immediate(ops);
    } catch (err) {
      const e = toStoreError(err);
      for (const op of ops) op.reject(e);
      return;
    }
    outcomes.forEach((o, i) => {
      if (o.ok) ops[i]!.resolve(o.value);
      else ops[i]!.reject(toStoreError(o.err));
    });
  }
}
