/**
 * @module Log lines written in one event-loop turn leave as one chunk. At a line per finished task,
 * one write per line was about a tenth of the gateway's CPU under load (bench/task-throughput): a
 * FileHandle.write per line in rotating-file-stream, a write syscall per line on stdout.
 */

/** The most one chunk holds (characters; a line is mostly ASCII). */
export const MAX_CHUNK_CHARS = 16 * 1024;

/** Batches with lines not yet handed on; flushed when the process exits, so no line is lost there. */
const unflushed = new Set<TurnBatch>();
let exitHook = false;

/** Set once the process exits: no later turn will come, so lines are handed on as they are written. */
let exiting = false;

function flushAllAtExit(): void {
  exiting = true;
  for (const b of [...unflushed]) b.flush();
}

export class TurnBatch {
  #pending: string[] = [];
  #chars = 0;

  constructor(
    private readonly out: (chunk: string) => void,
    private readonly maxChars = MAX_CHUNK_CHARS,
  ) {}

  /** Queues a line; it is handed on at the end of this turn, or at once when the chunk is full. */
  write(line: string): void {
    if (exiting) {
      // Logged by an exit listener that ran after ours.
      this.out(line);
      return;
    }
    if (this.#pending.length === 0) {
      setImmediate(this.flush);
      unflushed.add(this);
      if (!exitHook) {
        exitHook = true;
        process.on('exit', flushAllAtExit);
      }
    }
    this.#pending.push(line);
    this.#chars += line.length;
    if (this.#chars >= this.maxChars) this.flush();
  }

  /** Hands on what is queued, as one chunk. */
  readonly flush = (): void => {
    if (this.#pending.length === 0) return;
    const chunk = this.#pending.length === 1 ? this.#pending[0]! : this.#pending.join('');
    this.#pending = [];
    this.#chars = 0;
    unflushed.delete(this);
    this.out(chunk);
  };
}
