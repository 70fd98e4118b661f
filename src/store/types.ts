/** @module Storage interfaces. Nothing above this folder may depend on how a backend stores data. */
import type { Task, TaskStatus, CronJob, CronRun, CronRunStatus } from '../protocol/index.js';

/** Revoked token ids; a revoked token fails verification until it would have expired anyway. */
export interface RevocationStore {
  /** Marks a token id revoked. `expiresAt` (epoch ms, or null for never) lets backends prune old rows. */
  revoke(jti: string, expiresAt: number | null, reason?: string): Promise<void>;
  isRevoked(jti: string): Promise<boolean>;
}

/** Small string values by key (gateway id, cron cursors, feature flags). Not for bulk data. */
export interface MetaStore {
  /** The value, or null when the key was never set or was deleted. */
  get(key: string): Promise<string | null>;
  /** Creates or replaces the value. */
  set(key: string, value: string): Promise<void>;
  /** Removes the key; true when it existed. */
  delete(key: string): Promise<boolean>;
}

/** Options of {@link TaskStore.insert}. */
export interface InsertTaskOptions {
  /**
   * Resubmissions with the same key return the task stored first instead of creating a new one
   * (R5.4). Falls back to `task.idempotency_key`. Keys are global and never expire. Default: none.
   */
  idempotencyKey?: string;
  /**
   * For a task inserted as `running` (handed straight to a node with a free slot): when its lease ends,
   * epoch ms, as `claimNext` would have set it. Default: no lease until `renewLease`.
   */
  leaseExpiresMs?: number;
  /**
   * Called once with the result as soon as the write is visible to reads and claims, which may be
   * before it is durable; the returned promise still resolves only once it is durable. A new task can
   * reach a node without waiting for the fsync, as a claim does. It must not throw.
   */
  onCommitted?: (result: InsertTaskResult) => void;
}

export interface InsertTaskResult {
  /** The stored task: the new one, or the existing one when the idempotency key was seen before. */
  task: Task;
  /** False when an existing task was returned for the idempotency key. */
  created: boolean;
}

/** Filters of {@link TaskStore.list}. */
export interface ListTasksOptions {
  /** One status or several. Default: all. */
  status?: TaskStatus | readonly TaskStatus[];
  /** Only tasks of this workspace. Default: all. */
  workspace?: string;
  /** Page size, 1..1000. Default: 50. */
  limit?: number;
  /** Opaque `next_cursor` of the previous page. Default: the first page. */
  cursor?: string;
}

export interface TaskPage {
  /** Newest first (by `created_at`, ties in insertion order). */
  tasks: Task[];
  /** Pass back as `cursor` for the next page; null on the last page. Stable under concurrent inserts. */
  next_cursor: string | null;
}

/** The fields a state transition may change. Identity, content and routing are fixed at insert. */
export type TaskPatch = Partial<
  Pick<
    Task,
    | 'status'
    | 'priority'
    | 'timeout'
    | 'attempt'
    | 'node_id'
    | 'result'
    | 'error'
    | 'started_at'
    | 'finished_at'
  >
>;

export interface UpdateTaskOptions {
  /** Compare-and-set: the update happens only if the current status is one of these. Default: any. */
  expectStatus?: readonly TaskStatus[];
  /** Compare-and-set on the holder too: a late report from a node that lost the task cannot end another node's run. */
  expectNodeId?: string;
}

/** What a node offers when it asks for work. */
export interface ClaimOptions {
  /** The node's capabilities; a task qualifies when all of its `capabilities` are in this list. */
  capabilities: readonly string[];
  /** The node's tags; a task qualifies when all of its `tags` are in this list. */
  tags: readonly string[];
  nodeId: string;
  /** Lease length in ms from `now`; the task counts as lost when it is not renewed by then. */
  leaseMs: number;
  /** Current time, epoch ms. Passed in so that schedulers and tests control the clock. */
  now: number;
  /**
   * Priority aging: a queued task's effective priority improves one level per `agingMs` it has waited,
   * up to `critical`, so a stream of high-priority work cannot starve low-priority tasks forever.
   * 0 disables aging. Default: `DEFAULT_PRIORITY_AGING_MS` (10 minutes).
   */
  agingMs?: number;
}

export type TaskLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface TaskLogEntry {
  /** ISO-8601. */
  ts: string;
  level: TaskLogLevel;
  message: string;
}

/**
 * The durable task queue (R5.1): a task is acknowledged only after `insert` resolves, and from then on it
 * survives a crash of the process. Every method is atomic on its own; callers make state transitions
 * race-free with `update(..., { expectStatus })` rather than read-modify-write.
 */
export interface TaskStore {
  /**
   * Stores a new task with its `depends_on` list, atomically with the idempotency check: concurrent
   * inserts with one key (from any process) create exactly one task. A duplicate `id` without a
   * matching key is rejected with `GW_ERR_TASK_INVALID`. Duplicate entries in `depends_on` are dropped.
   */
  insert(task: Task, options?: InsertTaskOptions): Promise<InsertTaskResult>;
  get(id: string): Promise<Task | null>;
  /** Throws `GW_ERR_PROTOCOL_INVALID_PARAMS` for a bad limit or a cursor this store did not issue. */
  list(options?: ListTasksOptions): Promise<TaskPage>;
  /**
   * Applies `patch`; resolves to the updated task, or null when the task does not exist or its status is
   * not in `expectStatus`. Moving a task out of `running` drops its lease; a task moved into `running`
   * here (rather than by `claimNext`, e.g. re-attached after a reconnect) has no lease until
   * `renewLease`. Moving it from `waiting` to `queued` starts its queue age then (see `claimNext`).
   */
  update(id: string, patch: TaskPatch, options?: UpdateTaskOptions): Promise<Task | null>;
  /**
   * Atomically takes the best `queued` task this node can run and marks it `running` with `node_id`,
   * `attempt + 1`, `started_at = now` and a lease until `now + leaseMs`. No two callers, in any process,
   * ever get the same task. Order: effective priority (with aging), then queue age, oldest first. Queue
   * age counts from when the task became runnable: its `created_at` when inserted as `queued`, or the
   * moment it moved from `waiting` to `queued`, so a task released by its dependencies does not jump
   * ahead of work that has been waiting. A task re-queued after a lost lease keeps its place.
   * Unlike the other writes it may resolve before it is durable: a claim lost to power loss leaves its
   * task queued, to run again, as after an expired lease.
   */
  claimNext(options: ClaimOptions): Promise<Task | null>;
  /** Extends the lease of a task `running` on `nodeId`; false when the task is not held by that node. */
  renewLease(id: string, nodeId: string, leaseMs: number, now: number): Promise<boolean>;
  /** `running` tasks whose lease ended at or before `now`, oldest lease first. */
  expiredLeases(now: number): Promise<Task[]>;
  /** Every status, zero included. */
  countByStatus(): Promise<Record<TaskStatus, number>>;
  /** Appends one line to the task's log; `GW_ERR_TASK_NOT_FOUND` when the task does not exist. */
  appendLog(id: string, entry: TaskLogEntry): Promise<void>;
  /** The task's log in append order; empty for an unknown task. */
  logs(id: string): Promise<TaskLogEntry[]>;
  /** Tasks that list `id` in their `depends_on`, in insertion order. */
  dependents(id: string): Promise<Task[]>;
}

/** What a backend hands to the gateway. */
export interface Stores {
  tasks: TaskStore;
  revocations: RevocationStore;
  meta: MetaStore;
  cron: CronStore;
  workspaces: WorkspaceStore;
  /**
   * Writes a consistent copy of the whole store to `path` while writes continue. The copy appears at
   * `path` only once complete, and is encrypted with the same key when the store is.
   */
  backupTo(path: string): Promise<void>;
  /**
   * Resolves when the backend answers reads and can still acknowledge writes; rejects with
   * `GW_ERR_STORE_UNAVAILABLE` otherwise. `/ready` asks it.
   */
  probe(): Promise<void>;
  /** Closes the backend; later calls fail with `GW_ERR_STORE_UNAVAILABLE`. Idempotent. */
  close(): Promise<void>;
}

/** A new run row: the claim of one slot of one job. */
export interface CronRunClaim {
  job_id: string;
  /** ISO-8601 slot time; with job_id the unique key that makes a slot fire at most once. */
  slot: string;
  status: CronRunStatus;
  late_ms: number | null;
}

export type CronRunPatch = Partial<
  Pick<CronRun, 'status' | 'task_id' | 'fired_at' | 'finished_at' | 'duration_ms' | 'error'>
>;

/** Cron jobs and the durable record of every slot (fired, skipped, missed). */
export interface CronStore {
  /** Inserts or replaces a job by id (names are unique too). */
  upsertJob(job: CronJob): Promise<CronJob>;
  /** By id or by name. */
  getJob(idOrName: string): Promise<CronJob | null>;
  listJobs(): Promise<CronJob[]>;
  /** Removes the job and its runs; false when it did not exist. */
  removeJob(id: string): Promise<boolean>;
  setLastSlot(id: string, slot: string): Promise<void>;
  /** Inserts the run unless (job_id, slot) exists: true only for the one caller that claimed the slot. */
  claimRun(claim: CronRunClaim): Promise<boolean>;
  getRun(jobId: string, slot: string): Promise<CronRun | null>;
  updateRun(jobId: string, slot: string, patch: CronRunPatch): Promise<CronRun | null>;
  /** Runs in these states, oldest slot first; of one job when given. */
  runsByStatus(statuses: readonly CronRunStatus[], jobId?: string): Promise<CronRun[]>;
  /** Runs of the job that have not ended: claimed, pending or enqueued. */
  activeRuns(jobId: string): Promise<CronRun[]>;
  runByTask(taskId: string): Promise<CronRun | null>;
  /** Newest first. */
  listRuns(jobId: string, limit: number): Promise<CronRun[]>;
  /** Keeps the newest `keep` ended runs of the job. */
  pruneRuns(jobId: string, keep: number): Promise<void>;
}

/** What a workspace entry is: memory (notes, facts), history (messages, tool calls) or a history summary. */
export type MemoryKind = 'note' | 'fact' | 'message' | 'tool_call' | 'summary';
export type MessageRole = 'system' | 'user' | 'assistant' | 'tool' | 'developer';

/** One tool call as the agent ran it. */
export interface ToolCallRecord {
  name: string;
  args: unknown;
  /** Null when the call failed (then `error` is set). */
  result: unknown;
  error: { code: string; message: string; retryable: boolean } | null;
  duration_ms: number | null;
}

/** A stored entry. Entries are immutable apart from being folded into a summary (`compacted`). */
export interface MemoryEntry {
  /** Unique within its workspace; kept by export/import so a second import of one file adds nothing. */
  id: string;
  /** Store-wide append order. */
  seq: number;
  workspace: string;
  kind: MemoryKind;
  /** For messages. */
  role: MessageRole | null;
  content: string;
  task_id: string | null;
  /** Who wrote it, when a node did. */
  node_id: string | null;
  metadata: Record<string, unknown> | null;
  /** Tool calls an assistant message asked for (OpenAI shape: id, type, function {name, arguments}). */
  tool_calls: unknown[] | null;
  /** The call a `tool` message or a `tool_call` record answers. */
  tool_call_id: string | null;
  /** Set for `tool_call` entries. */
  tool: ToolCallRecord | null;
  /** True once a summary covers it: still searchable and exported, no longer part of the live history. */
  compacted: boolean;
  /** ISO-8601. */
  created_at: string;
}

/** The fields an append supplies; the store fills in `seq`, and `id`/`created_at` when absent. */
export interface NewMemoryEntry {
  workspace: string;
  kind: MemoryKind;
  content: string;
  id?: string;
  role?: MessageRole | null;
  task_id?: string | null;
  node_id?: string | null;
  metadata?: Record<string, unknown> | null;
  tool_calls?: unknown[] | null;
  tool_call_id?: string | null;
  tool?: ToolCallRecord | null;
  compacted?: boolean;
  created_at?: string;
}

export interface WorkspaceInfo {
  id: string;
  created_at: string;
  /** Time of the newest entry. */
  updated_at: string;
  counts: Record<MemoryKind, number>;
  /** All entries, compacted ones included. */
  entries: number;
}

/** Filters of {@link WorkspaceStore.entries}. */
export interface ListEntriesOptions {
  /** Default: every kind. */
  kinds?: readonly MemoryKind[];
  /** Include entries folded into a summary. Default: true. */
  includeCompacted?: boolean;
  /** Only entries with a smaller `seq` (paging backwards). Default: none. */
  beforeSeq?: number;
  /** Only entries with a larger `seq`. Default: none. */
  afterSeq?: number;
  /** At most this many, 1..10000. Default 100. */
  limit?: number;
  /**
   * Which end `limit` counts from: `newest` (the latest entries, e.g. recent history) or `oldest`
   * (forward paging with `afterSeq`, e.g. an export). Results are always oldest first. Default: `newest`.
   */
  from?: 'newest' | 'oldest';
}

export interface MemorySearchOptions {
  /** 1..1000, default 20. */
  limit?: number;
  /** Default: every kind. System messages (repeated prompts) never match. */
  kinds?: readonly MemoryKind[];
}

export interface MemorySearchHit {
  entry: MemoryEntry;
  /** Higher is better; comparable only within one result list. */
  score: number;
  /** The matching passage with hits between « and ». */
  snippet: string;
}

export interface MemorySearchResult {
  hits: MemorySearchHit[];
  /**
   * `all`: entries containing every term (bm25 over the trigram index, LIKE for terms under 3
   * characters). `any`: no entry had all terms, so entries with any of them. `none`: no usable term.
   */
  match: 'all' | 'any' | 'none';
}

/** One compaction: what it covers and the summary that replaces it in the live history. */
export interface CompactionCommit {
  workspace: string;
  /** Live messages and tool calls with `seq` below this are folded into the summary. */
  beforeSeq: number;
  summary: string;
  /** Stored in the summary entry's metadata. */
  metadata?: Record<string, unknown>;
  /** Delete the folded entries instead of flagging them. Default: false. */
  deleteCompacted?: boolean;
}

/** A nearest-neighbour hit of {@link WorkspaceStore.nearest}. */
export interface VectorHit {
  entry: MemoryEntry;
  /** Cosine similarity, -1..1. */
  similarity: number;
}

/**
 * Workspace memory (R6): notes, facts, conversation history and tool-call records, with full-text
 * search that works for Chinese and English alike, history compaction, and optional vectors.
 * A workspace exists from its first entry on.
 */
export interface WorkspaceStore {
  /**
   * Stores one entry, creating the workspace when needed; `GW_ERR_WORKSPACE_INVALID` for a bad id.
   * An `id` the workspace has already returns the stored entry with `created: false`, so a retried
   * append is stored once.
   */
  append(entry: NewMemoryEntry): Promise<{ entry: MemoryEntry; created: boolean }>;
  /**
   * Stores many entries of one workspace in one transaction, skipping ids the workspace has already
   * (so importing one export twice adds nothing). Kept in the given order.
   */
  appendMany(entries: readonly NewMemoryEntry[]): Promise<{ inserted: number; skipped: number }>;
  get(workspace: string): Promise<WorkspaceInfo | null>;
  /** Most recently updated first. `limit` 1..10000, default 100. */
  list(options?: { limit?: number }): Promise<WorkspaceInfo[]>;
  entries(workspace: string, options?: ListEntriesOptions): Promise<MemoryEntry[]>;
  /** The newest live summary of the workspace, or null. */
  latestSummary(workspace: string): Promise<MemoryEntry | null>;
  /** Size of the live (not compacted) history: messages and their characters. */
  liveHistory(workspace: string): Promise<{ messages: number; chars: number }>;
  /**
   * Adds the summary and folds every live message, tool call and older summary below `beforeSeq` into
   * it, in one transaction: readers see either the old history or the summarised one, never a mix.
   */
  compact(commit: CompactionCommit): Promise<MemoryEntry>;
  /** Ranked full-text search within one workspace. */
  search(workspace: string, query: string, options?: MemorySearchOptions): Promise<MemorySearchResult>;
  /** Removes the workspace and all of its entries; false when it did not exist. */
  delete(workspace: string): Promise<boolean>;
  /** Totals over every workspace (for metrics at start). */
  totals(): Promise<{ workspaces: number; entries: number }>;
  /** Stores (or replaces) the vector of an entry under `model`. */
  setVector(seq: number, model: string, vector: Float32Array): Promise<void>;
  /**
   * Entries with no vector for `model` yet (or one of another model), oldest first, system messages
   * excluded; only those with `seq` above `afterSeq` (default 0), so an indexer can keep a cursor.
   */
  unembedded(model: string, limit: number, afterSeq?: number): Promise<MemoryEntry[]>;
  /** The entries of `workspace` closest to `vector` by cosine similarity, best first. */
  nearest(
    workspace: string,
    model: string,
    vector: Float32Array,
    options?: MemorySearchOptions,
  ): Promise<VectorHit[]>;
}
