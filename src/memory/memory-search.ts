/**
 * @module memory.search: full-text ranking, fused with vector similarity when an embedding provider is
 * set. Fusion is by reciprocal rank, which needs no calibration between bm25 scores and cosines.
 */
import type { MemoryEntry, MemoryKind, WorkspaceStore } from '../store/index.js';
import type { MemoryLogger } from './compactor.js';
import type { EmbeddingProvider } from './embeddings/embedding-provider.js';

/** The usual RRF constant: damps the head of each list so neither list alone decides. */
const RRF_K = 60;

export interface SearchOptions {
  limit: number;
  kinds?: readonly MemoryKind[];
  embeddings?: EmbeddingProvider | null;
  /** Longest wait for the query's embedding before answering from full text alone. Default: 5000 ms. */
  embedTimeoutMs?: number;
  logger?: MemoryLogger;
}

export interface SearchResultItem {
  id: string;
  seq: number;
  kind: MemoryKind;
  role: MemoryEntry['role'];
  content: string;
  /** The matching passage, hits between « and » (for vector-only hits: the start of the entry). */
  snippet: string;
  score: number;
  /** Which index found it. */
  matched_by: 'text' | 'vector' | 'both';
  task_id: string | null;
  metadata: Record<string, unknown> | null;
  tool: MemoryEntry['tool'];
  compacted: boolean;
  created_at: string;
}

export interface SearchResponse {
  workspace: string;
  query: string;
  /** `hybrid` when vectors took part; `fulltext` otherwise (no provider, or it failed for this query). */
  mode: 'fulltext' | 'hybrid';
  /** How the text terms matched: every term (`all`), or, when nothing had all, any term (`any`). */
  match: 'all' | 'any' | 'none';
  results: SearchResultItem[];
}

function item(
  e: MemoryEntry,
  snippet: string,
  score: number,
  by: SearchResultItem['matched_by'],
): SearchResultItem {
  return {
    id: e.id,
    seq: e.seq,
    kind: e.kind,
    role: e.role,
    content: e.content,
    snippet,
    score,
    matched_by: by,
    task_id: e.task_id,
    metadata: e.metadata,
    tool: e.tool,
    compacted: e.compacted,
    created_at: e.created_at,
  };
}

async function queryVector(
  provider: EmbeddingProvider,
  query: string,
  timeoutMs: number,
): Promise<Float32Array> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`no query embedding within ${timeoutMs} ms`)), timeoutMs);
  try {
    const [v] = await provider.embed([query], ac.signal);
    if (!v) throw new Error('no vector for the query');
    return v;
  } finally {
    clearTimeout(timer);
  }
}

export async function searchMemory(
  store: WorkspaceStore,
  workspace: string,
  query: string,
  o: SearchOptions,
): Promise<SearchResponse> {
  const pool = Math.min(1000, o.limit * 3);
  const kinds = o.kinds ? { kinds: o.kinds } : {};
  const provider = o.embeddings ?? null;
  const [text, vector] = await Promise.all([
    store.search(workspace, query, { limit: provider ? pool : o.limit, ...kinds }),
    provider
      ? queryVector(provider, query, o.embedTimeoutMs ?? 5000)
          .then((v) => store.nearest(workspace, provider.model, v, { limit: pool, ...kinds }))
          .catch((err: unknown) => {
            o.logger?.warn(
              { event: 'memory_query_embedding_failed', workspace, reason: (err as Error).message },
              'query embedding failed; answering from full text',
            );
            return null;
          })
      : Promise.resolve(null),
  ]);
  if (!vector) {
    return {
      workspace,
      query,
      mode: 'fulltext',
      match: text.match,
      results: text.hits.map((h) => item(h.entry, h.snippet, h.score, 'text')),
    };
  }
  const fused = new Map<
    number,
    { entry: MemoryEntry; snippet: string; score: number; text: boolean; vec: boolean }
  >();
  text.hits.forEach((h, rank) =>
    fused.set(h.entry.seq, {
      entry: h.entry,
      snippet: h.snippet,
      score: 1 / (RRF_K + rank + 1),
      text: true,
      vec: false,
    }),
  );
  vector
    .filter((h) => h.similarity > 0)
    .forEach((h, rank) => {
      const s = 1 / (RRF_K + rank + 1);
      const hit = fused.get(h.entry.seq);
      if (hit) {
        hit.score += s;
        hit.vec = true;
      } else {
        const snippet = h.entry.content.slice(0, 160) + (h.entry.content.length > 160 ? '…' : '');
        fused.set(h.entry.seq, { entry: h.entry, snippet, score: s, text: false, vec: true });
      }
    });
  const results = [...fused.values()]
    .sort((a, b) => b.score - a.score || b.entry.seq - a.entry.seq)
    .slice(0, o.limit)
    .map((f) => item(f.entry, f.snippet, f.score, f.text && f.vec ? 'both' : f.text ? 'text' : 'vector'));
  return { workspace, query, mode: 'hybrid', match: text.match, results };
}
