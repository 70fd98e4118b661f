/**
 * @module The durable task queue on SQLite: every mutation is atomic inside a group commit (one IMMEDIATE
 * transaction per event-loop turn), and acknowledged once the database says it is durable.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import { z } from 'zod';
import { GatewayError, TASK_STATUSES, TaskSchema, type Task, type TaskStatus } from '../../protocol/index.js';
import { DEFAULT_PRIORITY_AGING_MS, PRIORITY_RANK } from '../priority.js';
import type {
  ClaimOptions,
  InsertTaskOptions,
  InsertTaskResult,
  ListTasksOptions,
  TaskLogEntry,
  TaskPage,
  TaskPatch,
  TaskStore,
  UpdateTaskOptions,
} from '../types.js';
import { prepareClaim, type ClaimParams } from './claim.js';
import { NO_BARRIER, type Durable } from './durable-write.js';
import { GroupCommit } from './group-commit.js';
import { guard, sqliteCode, toStoreError } from './sqlite-errors.js';
import {
  TASK_COLUMNS,
  TASK_RETURNING,
  decodeCursor,
  encodeCursor,
  rowToTask,
  timestampMs,
  toJson,
  type TaskRow,
} from './task-rows.js';

const PatchSchema = z.strictObject(
  TaskSchema.pick({
    status: true,
    priority: true,
    timeout: true,
    attempt: true,
    node_id: true,
    result: true,
    error: true,
    started_at: true,
    finished_at: true,
  }).partial().shape,
);

const LogEntrySchema = z.object({
  ts: z.string().min(1),
  level: z.enum(['debug', 'info', 'warn', 'error']),
  message: z.string(),
});

function invalid(error: z.ZodError): GatewayError {
  const issue = error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return new GatewayError('GW_ERR_TASK_INVALID', { reason: `${where}${issue?.message ?? 'invalid'}` });
}

function finiteInt(name: string, value: number, min: number): number {
  if (!Number.isFinite(value) || value < min) {
    throw new GatewayError('GW_ERR_PROTOCOL_INVALID_PARAMS', {
      reason: `${name} must be a number >= ${min}`,
    });
  }
  return Math.trunc(value);
}

/** Column values of a patch; JSON-typed fields are serialised, unknown keys were rejected by the schema. */
const PATCH_COLUMNS: Record<keyof TaskPatch, (v: unknown) => [string, unknown][]> = {
  status: (v) => [['status', v]],
  priority: (v) => [
    ['priority', v],
    ['priority_rank', PRIORITY_RANK[v as Task['priority']]],
  ],
  timeout: (v) => [['timeout', v]],
  attempt: (v) => [['attempt', v]],
  node_id: (v) => [['node_id', v]],
  result: (v) => [['result_json', toJson(v)]],
  error: (v) => [['error_json', toJson(v)]],
  started_at: (v) => [['started_at', v]],
  finished_at: (v) => [['finished_at', v]],
};

export class SqliteTaskStore implements TaskStore {
  readonly #db: Database.Database;
  readonly #byId: Database.Statement<[string], TaskRow>;
  readonly #byKey: Database.Statement<[string], TaskRow>;
  // The write operations; each runs inside a group commit, which makes it atomic.
  readonly #insertOp: (task: Task, key: string | undefined, lease: number | null) => InsertTaskResult;
  readonly #updateOp: (
    id: string,
    patch: TaskPatch,
    expect: readonly TaskStatus[] | undefined,
    expectNode: string | undefined,
  ) => Task | null;
  readonly #claimOp: (o: ClaimParams) => Task | null;
  readonly #updates = new Map<string, Database.Statement<unknown[], TaskRow>>();
  readonly #renew: Database.Statement<[number, string, string]>;
  readonly #expired: Database.Statement<[number], TaskRow>;
  readonly #counts: Database.Statement<[], { status: TaskStatus; n: number }>;
  readonly #addLog: Database.Statement<[string, string, string, string]>;
  readonly #logs: Database.Statement<[string], TaskLogEntry>;
  readonly #dependents: Database.Statement<[string], TaskRow>;
  readonly #durable: Durable;
  /** Every write goes through here: one transaction per event-loop turn, not one per write. */
  readonly #commits: GroupCommit;

  /** `durable` is `SqliteDatabase.durable`: every write resolves only after it (default: at once). */
  constructor(db: Database.Database, durable: Durable = NO_BARRIER) {
    this.#db = db;
    this.#durable = durable;
    this.#commits = new GroupCommit(db);
    this.#byId = db.prepare(`SELECT ${TASK_COLUMNS} FROM tasks t WHERE t.id = ?`);
    this.#byKey = db.prepare(`SELECT ${TASK_COLUMNS} FROM tasks t WHERE t.idempotency_key = ?`);
    const insertRow = db.prepare<
      [Record<string, unknown>],
      TaskRow
    >(`INSERT INTO tasks (id, status, instruction, skill, args_json, workspace,
        priority, priority_rank, capabilities, tags, timeout, attempt, node_id, result_json, error_json,
        created_at, started_at, finished_at, source, idempotency_key, created_ms, ready_ms,
        lease_expires_ms)
      VALUES (@id, @status, @instruction, @skill, @args_json, @workspace, @priority, @priority_rank,
        @capabilities, @tags, @timeout, @attempt, @node_id, @result_json, @error_json, @created_at,
        @started_at, @finished_at, @source, @idempotency_key, @created_ms, @created_ms, @lease)
      RETURNING ${TASK_RETURNING}`);
    const insertDep = db.prepare(
      'INSERT OR IGNORE INTO task_deps (task_id, depends_on, position) VALUES (?, ?, ?)',
    );

    this.#insertOp = (task: Task, key: string | undefined, lease: number | null): InsertTaskResult => {
      if (key !== undefined) {
        const existing = this.#byKey.get(key);
        if (existing !== undefined) return { task: rowToTask(existing), created: false };
      }
      let row: TaskRow;
      try {
        row = insertRow.get({
          id: task.id,
          status: task.status,
          instruction: task.task ?? null,
          skill: task.skill ?? null,
          args_json: toJson(task.args),
          workspace: task.workspace,
          priority: task.priority,
          priority_rank: PRIORITY_RANK[task.priority],
          capabilities: JSON.stringify(task.capabilities),
          tags: toJson(task.tags),
          timeout: task.timeout,
          attempt: task.attempt,
          node_id: task.node_id,
          result_json: toJson(task.result),
          error_json: toJson(task.error),
          created_at: task.created_at,
          started_at: task.started_at,
          finished_at: task.finished_at,
          source: task.source,
          idempotency_key: key ?? null,
          created_ms: timestampMs(task.created_at),
          lease: task.status === 'running' ? lease : null,
        })!;
      } catch (err) {
        // The idempotency key was looked up above, inside this write transaction: a clash is the id.
        if (sqliteCode(err) === 'SQLITE_CONSTRAINT_UNIQUE')
          throw new GatewayError('GW_ERR_TASK_INVALID', {
            reason: `a task with id ${task.id} already exists`,
          });
        throw err;
      }
      if (task.depends_on.length === 0) return { task: rowToTask(row), created: true };
      // RETURNING saw the row before its dependencies were written.
      task.depends_on.forEach((dep, i) => insertDep.run(task.id, dep, i));
      return { task: rowToTask(this.#byId.get(task.id)!), created: true };
    };

    const current = db.prepare<[string], { status: string; created_ms: number; node_id: string | null }>(
      'SELECT status, created_ms, node_id FROM tasks WHERE id = ?',
    );
    this.#updateOp = (
      id: string,
      patch: TaskPatch,
      expect: readonly TaskStatus[] | undefined,
      expectNode: string | undefined,
    ) => {
      const row = current.get(id);
      if (row === undefined) return null;
      if (expect !== undefined && !expect.includes(row.status as TaskStatus)) return null;
      if (expectNode !== undefined && row.node_id !== expectNode) return null;
      const sets: [string, unknown][] = [];
      for (const [k, v] of Object.entries(patch)) {
        if (v !== undefined) sets.push(...PATCH_COLUMNS[k as keyof TaskPatch](v));
      }
      if (patch.status !== undefined && patch.status !== 'running') sets.push(['lease_expires_ms', null]);
      if (patch.status === 'queued' && row.status === 'waiting') {
        // Queue age starts when dependencies release the task, not when it was submitted.
        sets.push(['ready_ms', Math.max(row.created_ms, Date.now())]);
      }
      if (sets.length === 0) return rowToTask(this.#byId.get(id)!);
      return rowToTask(this.#updateStatement(sets.map(([c]) => c)).get(...sets.map(([, v]) => v), id)!);
    };

    const claimOne = prepareClaim(db);
    this.#claimOp = (o: ClaimParams) => {
      const row = claimOne(o);
      return row === null ? null : rowToTask(row);
    };

    this.#renew = db.prepare(
      `UPDATE tasks SET lease_expires_ms = ? WHERE id = ? AND status = 'running' AND node_id = ?`,
    );
    this.#expired = db.prepare(
      `SELECT ${TASK_COLUMNS} FROM tasks t WHERE t.status = 'running' AND t.lease_expires_ms <= ?
       ORDER BY t.lease_expires_ms, t.seq`,
    );
    this.#counts = db.prepare('SELECT status, count(*) AS n FROM tasks GROUP BY status');
    this.#addLog = db.prepare('INSERT INTO task_logs (task_id, ts, level, message) VALUES (?, ?, ?, ?)');
    this.#logs = db.prepare('SELECT ts, level, message FROM task_logs WHERE task_id = ? ORDER BY seq');
    this.#dependents = db.prepare(
      `SELECT ${TASK_COLUMNS} FROM task_deps d JOIN tasks t ON t.id = d.task_id
       WHERE d.depends_on = ? ORDER BY t.seq`,
    );
  }

  /** Runs one write in the next group commit and resolves once it is durable. */
  async #write<T>(fn: () => T, singleChange = false, onCommitted?: (value: T) => void): Promise<T> {
    const value = await this.#commits.run(fn, { singleChange });
    try {
      onCommitted?.(value);
    } catch {
      // The callback must not throw (see InsertTaskOptions); if it does, the write still stands and
      // its caller still learns of it only once durable.
    }
    await this.#durable();
    return value;
  }

  /** Commits the writes queued for the next group commit now; called before the database closes. */
  flushWrites(): void {
    this.#commits.flush();
  }

  /** One cached statement per combination of patched columns (there are few). */
  #updateStatement(columns: string[]): Database.Statement<unknown[], TaskRow> {
    const sig = columns.join(',');
    let stmt = this.#updates.get(sig);
    if (stmt === undefined) {
      stmt = this.#db.prepare<unknown[], TaskRow>(
        `UPDATE tasks SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE id = ? RETURNING ${TASK_RETURNING}`,
      );
      this.#updates.set(sig, stmt);
    }
    return stmt;
  }

  async insert(task: Task, options: InsertTaskOptions = {}): Promise<InsertTaskResult> {
    const parsed = TaskSchema.safeParse(task);
    if (!parsed.success) throw invalid(parsed.error);
    const valid = parsed.data;
    const key = options.idempotencyKey ?? valid.idempotency_key;
    // The batch is IMMEDIATE: the write lock is held before the idempotency lookup, so two processes
    // cannot both miss it. Without dependencies the row is the one change.
    const lease = options.leaseExpiresMs ?? null;
    return this.#write(
      () => this.#insertOp(valid, key, lease),
      valid.depends_on.length === 0,
      options.onCommitted,
    );
  }

  async get(id: string): Promise<Task | null> {
    const row = guard(() => this.#byId.get(id));
    return row === undefined ? null : rowToTask(row);
  }

  async list(options: ListTasksOptions = {}): Promise<TaskPage> {
    const limit = options.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new GatewayError('GW_ERR_PROTOCOL_INVALID_PARAMS', {
        reason: 'limit must be 1..1000',
        path: ['limit'],
      });
    }
    const where: string[] = [];
    const params: unknown[] = [];
    if (options.status !== undefined) {
      const statuses = typeof options.status === 'string' ? [options.status] : [...options.status];
      if (statuses.length === 0) return { tasks: [], next_cursor: null };
      where.push(`t.status IN (${statuses.map(() => '?').join(', ')})`);
      params.push(...statuses);
    }
    if (options.workspace !== undefined) {
      where.push('t.workspace = ?');
      params.push(options.workspace);
    }
    if (options.cursor !== undefined) {
      const c = decodeCursor(options.cursor);
      where.push('(t.created_ms < ? OR (t.created_ms = ? AND t.seq < ?))');
      params.push(c.createdMs, c.createdMs, c.seq);
    }
    const sql = `SELECT ${TASK_COLUMNS} FROM tasks t ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY t.created_ms DESC, t.seq DESC LIMIT ?`;
    const rows = guard(() => this.#db.prepare<unknown[], TaskRow>(sql).all(...params, limit + 1));
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      tasks: page.map(rowToTask),
      next_cursor:
        rows.length > limit && last ? encodeCursor({ createdMs: last.created_ms, seq: last.seq }) : null,
    };
  }

  async update(id: string, patch: TaskPatch, options: UpdateTaskOptions = {}): Promise<Task | null> {
    const parsed = PatchSchema.safeParse(patch);
    if (!parsed.success) throw invalid(parsed.error);
    return this.#write(
      () => this.#updateOp(id, parsed.data, options.expectStatus, options.expectNodeId),
      true,
    );
  }

  async claimNext(options: ClaimOptions): Promise<Task | null> {
    const now = finiteInt('now', options.now, 0);
    const lease = finiteInt('leaseMs', options.leaseMs, 1);
    const aging = finiteInt('agingMs', options.agingMs ?? DEFAULT_PRIORITY_AGING_MS, 0);
    // The one write that does not wait for the barrier: a claim lost to power loss leaves its task
    // queued, so it runs again (at least once, as after an expired lease), and the durable write of
    // its completion would carry the claim with it (the WAL is replayed in order).
    return this.#commits.run(
      () =>
        this.#claimOp({
          caps: JSON.stringify(options.capabilities),
          tags: JSON.stringify(options.tags),
          node: options.nodeId,
          now,
          lease,
          aging,
        }),
      { singleChange: true },
    );
  }

  async renewLease(id: string, nodeId: string, leaseMs: number, now: number): Promise<boolean> {
    const expires = finiteInt('now', now, 0) + finiteInt('leaseMs', leaseMs, 1);
    return (await this.#write(() => this.#renew.run(expires, id, nodeId), true)).changes === 1;
  }

  async expiredLeases(now: number): Promise<Task[]> {
    const at = finiteInt('now', now, 0);
    return guard(() => this.#expired.all(at)).map(rowToTask);
  }

  async countByStatus(): Promise<Record<TaskStatus, number>> {
    const rows = guard(() => this.#counts.all());
    const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
    for (const r of rows) counts[r.status] = r.n;
    return counts;
  }

  async appendLog(id: string, entry: TaskLogEntry): Promise<void> {
    const parsed = LogEntrySchema.safeParse(entry);
    if (!parsed.success) throw invalid(parsed.error);
    const { ts, level, message } = parsed.data;
    await this.#write(() => {
      try {
        this.#addLog.run(id, ts, level, message);
      } catch (err) {
        // The foreign key is the existence check, so it cannot race with the insert.
        if (sqliteCode(err) === 'SQLITE_CONSTRAINT_FOREIGNKEY')
          throw new GatewayError('GW_ERR_TASK_NOT_FOUND', { id });
        throw toStoreError(err);
      }
    }, true);
  }

  async logs(id: string): Promise<TaskLogEntry[]> {
    return guard(() => this.#logs.all(id));
  }

  async dependents(id: string): Promise<Task[]> {
    return guard(() => this.#dependents.all(id)).map(rowToTask);
  }
}
