/**
 * @module History compaction: once a workspace's live history passes its bound, the older turns are
 * summarised into one summary entry and leave the history an agent resumes with. Cuts fall between
 * turns only, so a tool call and its result are always summarised, or kept, together.
 */
import type { MemoryCompactionConfig } from '../config/memory-schema.js';
import type { MemoryEntry, WorkspaceStore } from '../store/index.js';
import { extractiveSummarize, PREVIOUS_SUMMARY_PREFIX, type Summarize } from './extractive-summary.js';
import { cutAtOrBefore, toHistoryMessage, type HistoryMessage } from './history.js';

/** The part of a pino logger compaction uses. */
export interface MemoryLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface CompactorOptions {
  store: WorkspaceStore;
  config: MemoryCompactionConfig;
  /**
   * Summariser, looked up at every compaction (so an LLM-backed one can be installed after start).
   * Default: the extractive summary. A failing or hanging one falls back to the extractive summary.
   */
  summarizer?: () => Summarize | undefined;
  /** Longest wait for the summariser. Default: 120000 ms. */
  summarizeTimeoutMs?: number;
  logger?: MemoryLogger;
  /** Called after each stored summary (metrics). */
  onCompacted?(result: CompactionResult): void;
}

export interface CompactionResult {
  workspace: string;
  summary: MemoryEntry;
  /** Messages folded into the summary. */
  messages: number;
  /** `custom` when the injected summariser produced it, `extractive` otherwise. */
  summariser: 'custom' | 'extractive';
  duration_ms: number;
}

interface Running {
  again: boolean;
  done: Promise<CompactionResult | null>;
}

export class Compactor {
  readonly #o: CompactorOptions;
  readonly #running = new Map<string, Running>();
  readonly #abort = new AbortController();

  constructor(options: CompactorOptions) {
    this.#o = options;
  }

  /** True when compaction is switched on (`max_messages` > 0). */
  get enabled(): boolean {
    return this.#o.config.max_messages > 0;
  }

  /**
   * Compacts the workspace if its live history is over the bound. Calls for one workspace never run
   * at once: a call during a compaction makes it check again when done, so a burst of appends costs
   * one extra check, not one per append. Never rejects; failures are logged.
   */
  maybeCompact(workspace: string): Promise<CompactionResult | null> {
    const running = this.#running.get(workspace);
    if (running) {
      running.again = true;
      return running.done;
    }
    const state: Running = { again: false, done: Promise.resolve(null) };
    state.done = (async () => {
      let last: CompactionResult | null = null;
      do {
        state.again = false;
        last = (await this.#safely(workspace, false)) ?? last;
      } while (state.again && !this.#abort.signal.aborted);
      return last;
    })().finally(() => this.#running.delete(workspace));
    this.#running.set(workspace, state);
    return state.done;
  }

  /** Compacts now when there is anything before the kept tail, whatever the bound. */
  async compactNow(workspace: string): Promise<CompactionResult | null> {
    await this.#running.get(workspace)?.done;
    return this.#run(workspace, true);
  }

  /** Resolves once no compaction is running. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running.values()].map((r) => r.done));
  }

  /** Aborts a summariser in flight and waits for running compactions to settle. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.idle();
  }

  async #safely(workspace: string, force: boolean): Promise<CompactionResult | null> {
    try {
      return await this.#run(workspace, force);
    } catch (err) {
      this.#o.logger?.warn(
        { event: 'memory_compaction_failed', workspace, reason: (err as Error).message },
        'history compaction failed',
      );
      return null;
    }
  }

  async #run(workspace: string, force: boolean): Promise<CompactionResult | null> {
    const cfg = this.#o.config;
    if (!force && !this.enabled) return null;
    const t0 = Date.now();
    if (!force) {
      const live = await this.#o.store.liveHistory(workspace);
      const over = live.messages > cfg.max_messages || (cfg.max_chars > 0 && live.chars > cfg.max_chars);
      if (!over) return null;
    }
    const entries = await this.#o.store.entries(workspace, {
      kinds: ['message'],
      includeCompacted: false,
      from: 'oldest',
      limit: 10_000,
    });
    const messages = entries.map(toHistoryMessage);
    let cut = Math.max(0, messages.length - cfg.keep_messages);
    if (cfg.max_chars > 0) {
      // Very long messages: keep fewer than keep_messages so that the kept tail fits half the bound.
      let kept = entries.slice(cut).reduce((n, e) => n + size(e), 0);
      while (cut < messages.length - 1 && kept > cfg.max_chars / 2) kept -= size(entries[cut++]!);
    }
    cut = cutAtOrBefore(messages, cut);
    if (cut === 0) return null;

    const previous = await this.#o.store.latestSummary(workspace);
    const input: HistoryMessage[] = [
      ...(previous ? [{ role: 'system' as const, content: PREVIOUS_SUMMARY_PREFIX + previous.content }] : []),
      ...messages.slice(0, cut),
    ];
    const ctx = { workspace, previousSummary: previous?.content ?? null, maxChars: cfg.summary_max_chars };
    let summariser: CompactionResult['summariser'] = 'extractive';
    let text: string | null = null;
    const custom = this.#o.summarizer?.();
    if (custom) {
      // A ref'd timer, unlike AbortSignal.timeout: a hung summariser must not let the loop go idle unnoticed.
      const limit = new AbortController();
      const timer = setTimeout(
        () => limit.abort(new Error('summariser timed out')),
        this.#o.summarizeTimeoutMs ?? 120_000,
      );
      const signal = AbortSignal.any([this.#abort.signal, limit.signal]);
      try {
        const out = await raceSignal(custom(input, { ...ctx, signal }), signal);
        if (typeof out === 'string' && out.trim() !== '') {
          text = out;
          summariser = 'custom';
        }
      } catch (err) {
        this.#o.logger?.warn(
          { event: 'memory_summarize_failed', workspace, reason: (err as Error).message },
          'summariser failed; using the extractive summary',
        );
      } finally {
        clearTimeout(timer);
      }
    }
    text ??= await extractiveSummarize(input, ctx);
    const summary = await this.#o.store.compact({
      workspace,
      beforeSeq: entries[cut]?.seq ?? entries[cut - 1]!.seq + 1,
      summary: [...text].slice(0, cfg.summary_max_chars).join(''),
      metadata: {
        compacted_messages: cut,
        from_seq: entries[0]!.seq,
        to_seq: entries[cut - 1]!.seq,
        previous_summary: previous?.id ?? null,
        summariser,
      },
      deleteCompacted: !cfg.retain_compacted,
    });
    const result: CompactionResult = {
      workspace,
      summary,
      messages: cut,
      summariser,
      duration_ms: Date.now() - t0,
    };
    this.#o.logger?.info(
      { event: 'memory_compacted', workspace, messages: cut, summariser, duration_ms: result.duration_ms },
      'workspace history compacted',
    );
    this.#o.onCompacted?.(result);
    return result;
  }
}

const size = (e: MemoryEntry) => e.content.length + (e.tool_calls ? JSON.stringify(e.tool_calls).length : 0);

function raceSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () =>
      reject(signal.reason instanceof Error ? signal.reason : new Error('summariser aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
