/**
 * @module Background embedding of entries for hybrid search. Appends never wait for it: an entry is
 * searchable by full text at once and by vector once indexed; entries missed while the provider was
 * down are caught up on the next run (the store, not this process, remembers what is indexed).
 */
import type { WorkspaceStore, MemoryEntry } from '../../store/index.js';
import type { MemoryLogger } from '../compactor.js';
import type { EmbeddingProvider } from './embedding-provider.js';

export interface EmbeddingIndexerOptions {
  store: WorkspaceStore;
  provider: EmbeddingProvider;
  /** Entries per request. Default: 32. */
  batchSize?: number;
  /** Wait after a failed request before trying again. Default: 30000 ms. */
  retryMs?: number;
  logger?: MemoryLogger;
}

/** The text an entry is embedded as; long entries are cut, as embedding models take ~8k tokens. */
export function embeddingText(e: MemoryEntry): string {
  const text =
    e.content.trim() === '' && e.tool ? `${e.tool.name} ${JSON.stringify(e.tool.args)}` : e.content;
  return text.slice(0, 8000) || ' ';
}

export class EmbeddingIndexer {
  readonly #o: EmbeddingIndexerOptions;
  #cursor = 0;
  #run: Promise<void> | null = null;
  #again = false;
  #retry: NodeJS.Timeout | null = null;
  #stopped = false;
  readonly #abort = new AbortController();

  constructor(options: EmbeddingIndexerOptions) {
    this.#o = options;
  }

  /** Starts a run unless one is going; a run in progress takes another pass when done. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#run) {
      this.#again = true;
      return;
    }
    this.#run = this.#loop().finally(() => {
      this.#run = null;
      if (this.#again && !this.#stopped) {
        this.#again = false;
        this.kick();
      }
    });
  }

  /** Resolves when no run is in progress (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#run) await this.#run;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    if (this.#retry) clearTimeout(this.#retry);
    await this.idle();
  }

  async #loop(): Promise<void> {
    const { store, provider } = this.#o;
    const batchSize = this.#o.batchSize ?? 32;
    for (;;) {
      if (this.#stopped) return;
      const batch = await store.unembedded(provider.model, batchSize, this.#cursor);
      if (batch.length === 0) return;
      let vectors: Float32Array[];
      try {
        vectors = await provider.embed(batch.map(embeddingText), this.#abort.signal);
      } catch (err) {
        if (this.#stopped) return;
        this.#o.logger?.warn(
          { event: 'memory_embedding_failed', model: provider.model, reason: (err as Error).message },
          'embedding failed; retrying later',
        );
        this.#retry ??= setTimeout(() => {
          this.#retry = null;
          this.kick();
        }, this.#o.retryMs ?? 30_000).unref();
        return;
      }
      for (const [i, e] of batch.entries()) await store.setVector(e.seq, provider.model, vectors[i]!);
      this.#cursor = batch[batch.length - 1]!.seq;
    }
  }
}
