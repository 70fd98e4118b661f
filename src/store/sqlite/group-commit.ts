/** @module Group commit: the writes issued in one event-loop turn share one SQLite transaction. */
import type Database from 'better-sqlite3-multiple-ciphers';
import { toStoreError } from './sqlite-errors.js';

interface Pending {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; err: unknown };

/**
 * Queues writes and runs everything queued during the current turn in one IMMEDIATE transaction on the
 * next `setImmediate`. Under load a task's five writes and its neighbours' touch the same pages, and one
 * commit writes each of those pages to the WAL once instead of once per write (bench/task-throughput:
 * the per-write commits were a quarter of the gateway's CPU). Each write runs in its own SAVEPOINT, so
 * one that throws rolls back and rejects alone while the rest commit. A promise settles after COMMIT
 * returned; durability is the database barrier's business (`durableWrite`), not this one's.
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
          return { ok: true, value: this.#one(op) };
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

  /** Runs `fn` (synchronous driver calls, transaction functions included) in the next batch. */
  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run: fn, resolve: resolve as (v: unknown) => void, reject });
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
