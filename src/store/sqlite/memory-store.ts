/** @module SQLite WorkspaceStore: entries, per-workspace counters, a trigram FTS5 index and entry vectors. */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3-multiple-ciphers';
import { GatewayError, WorkspaceIdSchema } from '../../protocol/index.js';
import type {
  CompactionCommit,
  ListEntriesOptions,
  MemoryEntry,
  MemoryKind,
  MemorySearchHit,
  MemorySearchOptions,
  MemorySearchResult,
  MessageRole,
  NewMemoryEntry,
  VectorHit,
  WorkspaceInfo,
  WorkspaceStore,
} from '../types.js';
import { runMigrations } from './migrations.js';
import { MEMORY_MIGRATIONS } from './memory-schema.js';
import { durableWrite, NO_BARRIER, type Durable } from './durable-write.js';
import { guard } from './sqlite-errors.js';

const KINDS: readonly MemoryKind[] = ['note', 'fact', 'message', 'tool_call', 'summary'];

interface EntryRow {
  seq: number;
  workspace: string;
  id: string;
  kind: string;
  role: string | null;
  content: string;
  task_id: string | null;
  node_id: string | null;
  metadata_json: string | null;
  tool_calls_json: string | null;
  tool_call_id: string | null;
  tool_name: string | null;
  tool_args_json: string | null;
  tool_result_json: string | null;
  tool_error_json: string | null;
  tool_duration_ms: number | null;
  compacted: number;
  created_at: string;
}

interface WorkspaceRow {
  id: string;
  created_at: string;
  updated_at: string;
  n_note: number;
  n_fact: number;
  n_message: number;
  n_tool_call: number;
  n_summary: number;
}

const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));
const parse = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));

function toEntry(r: EntryRow): MemoryEntry {
  return {
    id: r.id,
    seq: r.seq,
    workspace: r.workspace,
    kind: r.kind as MemoryKind,
    role: r.role as MessageRole | null,
    content: r.content,
    task_id: r.task_id,
    node_id: r.node_id,
    metadata: parse(r.metadata_json),
    tool_calls: parse(r.tool_calls_json),
    tool_call_id: r.tool_call_id,
    tool:
      r.tool_name === null
        ? null
        : {
            name: r.tool_name,
            args: parse(r.tool_args_json),
            result: parse(r.tool_result_json),
            error: parse(r.tool_error_json),
            duration_ms: r.tool_duration_ms,
          },
    compacted: r.compacted === 1,
    created_at: r.created_at,
  };
}

function toInfo(r: WorkspaceRow): WorkspaceInfo {
  const counts = {
    note: r.n_note,
    fact: r.n_fact,
    message: r.n_message,
    tool_call: r.n_tool_call,
    summary: r.n_summary,
  };
  const entries = Object.values(counts).reduce((a, b) => a + b, 0);
  return { id: r.id, created_at: r.created_at, updated_at: r.updated_at, counts, entries };
}

function checkWorkspace(id: string): void {
  if (!WorkspaceIdSchema.safeParse(id).success) throw new GatewayError('GW_ERR_WORKSPACE_INVALID', { id });
}

function checkLimit(limit: number | undefined, fallback: number, max: number): number {
  const n = limit ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new GatewayError('GW_ERR_PROTOCOL_INVALID_PARAMS', { reason: `limit must be 1..${max}` });
  return n;
}

/** Query terms: whitespace-separated, deduplicated, case-folded for comparisons. */
function queryTerms(query: string): string[] {
  const seen = new Set<string>();
  for (const t of query.split(/\s+/u)) if (t) seen.add(t.slice(0, 200));
  return [...seen].slice(0, 16);
}

const likePattern = (t: string) => `%${t.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
const ftsPhrase = (t: string) => `"${t.replace(/"/g, '""')}"`;
/** The trigram tokenizer cannot match a term shorter than three characters; those use LIKE. */
const isLong = (t: string) => [...t].length >= 3;

function countMatched(content: string, terms: readonly string[]): number {
  const hay = content.toLowerCase();
  return terms.filter((t) => hay.includes(t.toLowerCase())).length;
}

/** A short passage around the first hit, hits marked « », for results found without the FTS index. */
function likeSnippet(content: string, terms: readonly string[]): string {
  const lower = content.toLowerCase();
  const first = Math.min(...terms.map((t) => lower.indexOf(t.toLowerCase())).filter((i) => i >= 0));
  const start = Number.isFinite(first) ? Math.max(0, first - 40) : 0;
  let text = content.slice(start, start + 160);
  for (const t of [...terms].sort((a, b) => b.length - a.length)) {
    const re = new RegExp(t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'giu');
    text = text.replace(re, (m) => `«${m}»`);
  }
  return `${start > 0 ? '…' : ''}${text}${start + 160 < content.length ? '…' : ''}`;
}

function toBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
function fromBlob(b: Buffer): Float32Array {
  // Copied: a Buffer's offset into its pool need not be 4-byte aligned.
  const copy = new Uint8Array(b);
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}
function norm(v: Float32Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

export class SqliteWorkspaceStore implements WorkspaceStore {
  readonly #db: Database.Database;

  readonly #durable: Durable;

  /** `durable` is `SqliteDatabase.durable`: every write resolves only after it (default: at once). */
  constructor(db: Database.Database, durable: Durable = NO_BARRIER) {
    this.#db = db;
    this.#durable = durable;
    // Sorts and FTS merges may spill to temp files, which the cipher does not cover: keep them in memory
    // so that no workspace content ever reaches the disk unencrypted (R6.3).
    db.pragma('temp_store = MEMORY');
    runMigrations(db, MEMORY_MIGRATIONS, { component: 'memory' });
  }

  /** Runs one write and resolves once it is durable. */
  #write<T>(fn: () => T): Promise<T> {
    return durableWrite(this.#durable, fn);
  }

  #insert(e: NewMemoryEntry): number | null {
    checkWorkspace(e.workspace);
    if (!KINDS.includes(e.kind))
      throw new GatewayError('GW_ERR_PROTOCOL_INVALID_PARAMS', { reason: `kind ${e.kind}` });
    const createdAt = e.created_at ?? new Date().toISOString();
    this.#db
      .prepare(
        'INSERT INTO workspaces (id, created_at, updated_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING',
      )
      .run(e.workspace, createdAt, createdAt);
    const res = this.#db
      .prepare(
        `INSERT INTO memory_entries (workspace, id, kind, role, content, task_id, node_id, metadata_json,
           tool_calls_json, tool_call_id, tool_name, tool_args_json, tool_result_json, tool_error_json,
           tool_duration_ms, compacted, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (workspace, id) DO NOTHING`,
      )
      .run(
        e.workspace,
        e.id ?? randomBytes(9).toString('base64url'),
        e.kind,
        e.role ?? null,
        e.content,
        e.task_id ?? null,
        e.node_id ?? null,
        json(e.metadata),
        json(e.tool_calls),
        e.tool_call_id ?? null,
        e.tool?.name ?? null,
        e.tool ? json(e.tool.args) : null,
        e.tool ? json(e.tool.result) : null,
        e.tool ? json(e.tool.error) : null,
        e.tool?.duration_ms ?? null,
        e.compacted ? 1 : 0,
        createdAt,
      );
    return res.changes === 1 ? Number(res.lastInsertRowid) : null;
  }

  #bySeq(seq: number): MemoryEntry {
    return toEntry(this.#db.prepare('SELECT * FROM memory_entries WHERE seq = ?').get(seq) as EntryRow);
  }

  async append(entry: NewMemoryEntry): Promise<{ entry: MemoryEntry; created: boolean }> {
    return this.#write(() =>
      this.#db
        .transaction(() => {
          const seq = this.#insert(entry);
          if (seq !== null) return { entry: this.#bySeq(seq), created: true };
          const row = this.#db
            .prepare('SELECT * FROM memory_entries WHERE workspace = ? AND id = ?')
            .get(entry.workspace, entry.id) as EntryRow;
          return { entry: toEntry(row), created: false };
        })
        .immediate(),
    );
  }

  async appendMany(entries: readonly NewMemoryEntry[]): Promise<{ inserted: number; skipped: number }> {
    return this.#write(() =>
      this.#db
        .transaction(() => {
          let inserted = 0;
          for (const e of entries) if (this.#insert(e) !== null) inserted++;
          return { inserted, skipped: entries.length - inserted };
        })
        .immediate(),
    );
  }

  async get(workspace: string): Promise<WorkspaceInfo | null> {
    const r = guard(() => this.#db.prepare('SELECT * FROM workspaces WHERE id = ?').get(workspace)) as
      WorkspaceRow | undefined;
    return r ? toInfo(r) : null;
  }

  async list(options: { limit?: number } = {}): Promise<WorkspaceInfo[]> {
    const limit = checkLimit(options.limit, 100, 10_000);
    const rows = guard(() =>
      this.#db.prepare('SELECT * FROM workspaces ORDER BY updated_at DESC, id LIMIT ?').all(limit),
    ) as WorkspaceRow[];
    return rows.map(toInfo);
  }

  async entries(workspace: string, o: ListEntriesOptions = {}): Promise<MemoryEntry[]> {
    const limit = checkLimit(o.limit, 100, 10_000);
    const where = ['workspace = ?'];
    const args: unknown[] = [workspace];
    if (o.kinds) {
      where.push(`kind IN (${o.kinds.map(() => '?').join(',') || 'NULL'})`);
      args.push(...o.kinds);
    }
    if (o.includeCompacted === false) where.push('compacted = 0');
    if (o.beforeSeq !== undefined) {
      where.push('seq < ?');
      args.push(o.beforeSeq);
    }
    if (o.afterSeq !== undefined) {
      where.push('seq > ?');
      args.push(o.afterSeq);
    }
    const dir = o.from === 'oldest' ? 'ASC' : 'DESC';
    const rows = guard(() =>
      this.#db
        .prepare(`SELECT * FROM memory_entries WHERE ${where.join(' AND ')} ORDER BY seq ${dir} LIMIT ?`)
        .all(...args, limit),
    ) as EntryRow[];
    if (dir === 'DESC') rows.reverse();
    return rows.map(toEntry);
  }

  async latestSummary(workspace: string): Promise<MemoryEntry | null> {
    const r = guard(() =>
      this.#db
        .prepare(
          `SELECT * FROM memory_entries WHERE workspace = ? AND kind = 'summary' AND compacted = 0
           ORDER BY seq DESC LIMIT 1`,
        )
        .get(workspace),
    ) as EntryRow | undefined;
    return r ? toEntry(r) : null;
  }

  async liveHistory(workspace: string): Promise<{ messages: number; chars: number }> {
    const r = guard(() =>
      this.#db
        .prepare(
          `SELECT count(*) AS messages,
                  coalesce(sum(length(content) + coalesce(length(tool_calls_json), 0)), 0) AS chars
           FROM memory_entries WHERE workspace = ? AND kind = 'message' AND compacted = 0`,
        )
        .get(workspace),
    ) as { messages: number; chars: number };
    return { messages: r.messages, chars: r.chars };
  }

  async compact(c: CompactionCommit): Promise<MemoryEntry> {
    return this.#write(() =>
      this.#db
        .transaction(() => {
          const seq = this.#insert({
            workspace: c.workspace,
            kind: 'summary',
            content: c.summary,
            metadata: c.metadata ?? null,
          })!;
          const folded = `workspace = ? AND compacted = 0 AND
          ((kind IN ('message', 'tool_call') AND seq < ?) OR (kind = 'summary' AND seq < ?))`;
          this.#db
            .prepare(
              c.deleteCompacted
                ? `DELETE FROM memory_entries WHERE ${folded}`
                : `UPDATE memory_entries SET compacted = 1 WHERE ${folded}`,
            )
            .run(c.workspace, c.beforeSeq, seq);
          return this.#bySeq(seq);
        })
        .immediate(),
    );
  }

  async search(workspace: string, query: string, o: MemorySearchOptions = {}): Promise<MemorySearchResult> {
    const limit = checkLimit(o.limit, 20, 1000);
    const terms = queryTerms(query);
    if (terms.length === 0) return { hits: [], match: 'none' };
    const all = this.#searchTerms(workspace, terms, 'all', limit, o.kinds);
    if (all.length > 0 || terms.length === 1) return { hits: all, match: 'all' };
    return { hits: this.#searchTerms(workspace, terms, 'any', limit, o.kinds), match: 'any' };
  }

  #searchTerms(
    workspace: string,
    terms: readonly string[],
    mode: 'all' | 'any',
    limit: number,
    kinds: readonly MemoryKind[] | undefined,
  ): MemorySearchHit[] {
    const long = terms.filter(isLong);
    const short = terms.filter((t) => !isLong(t));
    const base = ['e.workspace = ?', "(e.role IS NULL OR e.role != 'system')"];
    const baseArgs: unknown[] = [workspace];
    if (kinds) {
      base.push(`e.kind IN (${kinds.map(() => '?').join(',') || 'NULL'})`);
      baseArgs.push(...kinds);
    }
    const fts = (match: string, likes: readonly string[], n: number) =>
      guard(() =>
        this.#db
          .prepare(
            `SELECT e.*, bm25(memory_fts) AS rank, snippet(memory_fts, 0, '«', '»', '…', 16) AS snip
             FROM memory_fts JOIN memory_entries e ON e.seq = memory_fts.rowid
             WHERE memory_fts MATCH ? AND ${[...base, ...likes.map(() => "e.content LIKE ? ESCAPE '\\'")].join(' AND ')}
             ORDER BY rank LIMIT ?`,
          )
          .all(match, ...baseArgs, ...likes.map(likePattern), n),
      ) as Array<EntryRow & { rank: number; snip: string }>;
    const like = (likes: readonly string[], joiner: 'AND' | 'OR', n: number) =>
      guard(() =>
        this.#db
          .prepare(
            `SELECT e.* FROM memory_entries e WHERE ${base.join(' AND ')} AND
             (${likes.map(() => "e.content LIKE ? ESCAPE '\\'").join(` ${joiner} `)})
             ORDER BY e.seq DESC LIMIT ?`,
          )
          .all(...baseArgs, ...likes.map(likePattern), n),
      ) as EntryRow[];

    if (mode === 'all' && long.length > 0) {
      return fts(long.map(ftsPhrase).join(' AND '), short, limit).map((r) => ({
        entry: toEntry(r),
        score: -r.rank,
        snippet: r.snip,
      }));
    }
    // Without the index's ranking: more distinct terms first, then fewer characters (denser), then newer.
    const pool = limit * 5;
    const candidates = new Map<number, { row: EntryRow; rank: number; snip?: string }>();
    if (long.length > 0 && mode === 'any')
      for (const r of fts(long.map(ftsPhrase).join(' OR '), [], pool))
        candidates.set(r.seq, { row: r, rank: r.rank, snip: r.snip });
    if (short.length > 0 || long.length === 0)
      for (const r of like(mode === 'all' ? terms : short, mode === 'all' ? 'AND' : 'OR', pool))
        if (!candidates.has(r.seq)) candidates.set(r.seq, { row: r, rank: 0 });
    return [...candidates.values()]
      .map((c) => ({ ...c, matched: countMatched(c.row.content, terms) }))
      .sort((a, b) => b.matched - a.matched || a.rank - b.rank || b.row.seq - a.row.seq)
      .slice(0, limit)
      .map((c) => ({
        entry: toEntry(c.row),
        score: c.matched - c.rank / 1000,
        snippet: c.snip ?? likeSnippet(c.row.content, terms),
      }));
  }

  async delete(workspace: string): Promise<boolean> {
    return this.#write(() =>
      this.#db
        .transaction(() => {
          // Entries first, one by one through the triggers, so the FTS index loses them too.
          this.#db.prepare('DELETE FROM memory_entries WHERE workspace = ?').run(workspace);
          return this.#db.prepare('DELETE FROM workspaces WHERE id = ?').run(workspace).changes > 0;
        })
        .immediate(),
    );
  }

  async totals(): Promise<{ workspaces: number; entries: number }> {
    const r = guard(() =>
      this.#db
        .prepare(
          `SELECT count(*) AS workspaces,
                  coalesce(sum(n_note + n_fact + n_message + n_tool_call + n_summary), 0) AS entries
           FROM workspaces`,
        )
        .get(),
    ) as { workspaces: number; entries: number };
    return r;
  }

  async setVector(seq: number, model: string, vector: Float32Array): Promise<void> {
    await this.#write(() =>
      this.#db
        .prepare(
          `INSERT INTO memory_vectors (seq, workspace, model, dim, vector)
           SELECT seq, workspace, ?, ?, ? FROM memory_entries WHERE seq = ?
           ON CONFLICT (seq) DO UPDATE SET model = excluded.model, dim = excluded.dim, vector = excluded.vector`,
        )
        .run(model, vector.length, toBlob(vector), seq),
    );
  }

  async unembedded(model: string, limit: number, afterSeq = 0): Promise<MemoryEntry[]> {
    const rows = guard(() =>
      this.#db
        .prepare(
          `SELECT e.* FROM memory_entries e LEFT JOIN memory_vectors v ON v.seq = e.seq
           WHERE e.seq > ? AND (v.seq IS NULL OR v.model != ?) AND (e.role IS NULL OR e.role != 'system')
           ORDER BY e.seq LIMIT ?`,
        )
        .all(afterSeq, model, limit),
    ) as EntryRow[];
    return rows.map(toEntry);
  }

  async nearest(
    workspace: string,
    model: string,
    vector: Float32Array,
    o: MemorySearchOptions = {},
  ): Promise<VectorHit[]> {
    const limit = checkLimit(o.limit, 20, 1000);
    const qn = norm(vector);
    if (qn === 0) return [];
    const kindFilter = o.kinds ? `AND e.kind IN (${o.kinds.map(() => '?').join(',') || 'NULL'})` : '';
    const rows = guard(() =>
      this.#db
        .prepare(
          `SELECT v.seq, v.vector FROM memory_vectors v JOIN memory_entries e ON e.seq = v.seq
           WHERE v.workspace = ? AND v.model = ? AND v.dim = ? ${kindFilter}`,
        )
        .all(workspace, model, vector.length, ...(o.kinds ?? [])),
    ) as Array<{ seq: number; vector: Buffer }>;
    // Brute force: exact, and fast enough for the tens of thousands of entries a workspace holds.
    const scored = rows.map((r) => {
      const v = fromBlob(r.vector);
      let dot = 0;
      for (let i = 0; i < v.length; i++) dot += v[i]! * vector[i]!;
      const n = norm(v);
      return { seq: r.seq, similarity: n === 0 ? 0 : dot / (n * qn) };
    });
    scored.sort((a, b) => b.similarity - a.similarity);
    return scored.slice(0, limit).map((s) => ({ entry: this.#bySeq(s.seq), similarity: s.similarity }));
  }
}
