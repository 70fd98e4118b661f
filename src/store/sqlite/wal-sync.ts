/**
 * @module Durability barrier: fsyncs the WAL off the event loop, one fsync for every commit made while
 * the previous one ran (group commit).
 */
import { close, fdatasync, fstatSync, open } from 'node:fs';

function call<T>(fn: (cb: (err: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

/**
 * With `synchronous = FULL` SQLite fsyncs the WAL inside every COMMIT, on the thread that also serves
 * every socket: under load the gateway spent most of its time waiting in fsync (bench/task-throughput).
 * Instead the connection runs at `NORMAL` (a commit only write()s its WAL frames) and a write is
 * acknowledged once `durable()` resolves, which is after an fdatasync of the WAL that began after the
 * commit. WAL frames are appended in order and recovery replays the longest valid prefix, so that fsync
 * makes the commit and every earlier one survive power loss: the guarantee of FULL, paid once per batch
 * and on the libuv pool. Checkpoints still fsync the WAL before copying it into the database file.
 */
export class WalSync {
  #fd: number | null = null;
  /** The fsync running now; it may have begun before the caller's commit, so it cannot vouch for it. */
  #running: Promise<void> | null = null;
  /** The fsync that starts when the running one ends; every caller since it began waits for this one. */
  #next: Promise<void> | null = null;
  #closed = false;
  #syncs = 0;
  /**
   * The first fsync error, kept for good: after a failed fsync Linux may drop the dirty pages and
   * report success next time, so no later sync can vouch for what the failed one covered.
   */
  #failed: unknown = null;

  constructor(private readonly walPath: string) {}

  /** The fsync error that ended durability for good, or null while every sync has succeeded. */
  get failure(): unknown {
    return this.#failed;
  }

  /** fdatasync calls so far: how well commits are sharing them. */
  get syncs(): number {
    return this.#syncs;
  }

  /** Resolves once everything committed before this call is on stable storage. */
  durable(): Promise<void> {
    if (this.#failed !== null) return Promise.reject(this.#failed);
    if (this.#closed) return Promise.resolve();
    if (this.#running === null) return this.#start();
    this.#next ??= this.#running.then(
      () => this.#start(),
      () => this.#start(),
    );
    return this.#next;
  }

  /** Closes the descriptor once pending syncs are done. Later calls to `durable` resolve at once. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([this.#running, this.#next]);
    if (this.#fd !== null) {
      const fd = this.#fd;
      this.#fd = null;
      await call<void>((cb) => close(fd, (err) => cb(err, undefined)));
    }
  }

  #start(): Promise<void> {
    this.#next = null;
    const run = this.#sync();
    this.#running = run;
    const clear = () => {
      if (this.#running === run) this.#running = null;
    };
    run.then(clear, clear);
    return run;
  }

  async #sync(): Promise<void> {
    if (this.#failed !== null) throw this.#failed;
    try {
      await this.#syncOnce();
    } catch (err) {
      this.#failed = err;
      throw err;
    }
  }

  async #syncOnce(): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const fd = await this.#descriptor();
      if (fd === null) return; // no WAL file: nothing committed since the last checkpoint removed it
      await call<void>((cb) => fdatasync(fd, (err) => cb(err, undefined)));
      this.#syncs++;
      // An unlinked WAL (every connection closed and a new one started a fresh file) means the sync
      // reached the wrong file: reopen and sync the current one. An fstat answers from the inode in
      // memory; made synchronously it costs a few microseconds, through the thread pool ten times that.
      if (fstatSync(fd).nlink > 0) return;
      this.#fd = null;
      close(fd, () => {});
    }
  }

  async #descriptor(): Promise<number | null> {
    if (this.#fd !== null) return this.#fd;
    if (this.#closed) return null;
    try {
      this.#fd = await call<number>((cb) => open(this.walPath, 'r', cb));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    return this.#fd;
  }
}
