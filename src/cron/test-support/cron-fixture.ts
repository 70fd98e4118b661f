/**
 * @module Test support for the cron engine: a temp SQLite store, a fake task sink with idempotency keys
 * that can hang (a crash) or fail on demand, a settable clock and job builders.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GatewayError,
  type CronJob,
  type Task,
  type TaskStatus,
  type TaskSubmitParams,
} from '../../protocol/index.js';
import { createMemoryLogger, type MemoryLogger } from '../../observability/index.js';
import {
  createSqliteStores,
  openSqliteDatabase,
  type CronStore,
  type SqliteStores,
} from '../../store/index.js';
import { CronEngine, type CronEngineOptions, type CronTaskSink } from '../cron-engine.js';

/** The durable side of the fake sink: survives "crashes" of the engines that use it, like the task table. */
export class FakeTaskTable {
  readonly tasks = new Map<string, Task>();
  readonly byKey = new Map<string, string>();
  submits = 0;
  private seq = 0;

  insert(p: TaskSubmitParams, now: number): Task {
    const key = p.idempotency_key;
    const known = key ? this.byKey.get(key) : undefined;
    if (known) return this.tasks.get(known)!;
    const task = {
      id: `task-${++this.seq}`,
      status: 'queued',
      ...(p.task !== undefined ? { task: p.task } : {}),
      ...(p.skill !== undefined ? { skill: p.skill, args: p.args ?? {} } : {}),
      workspace: p.workspace ?? 'default',
      priority: p.priority ?? 'normal',
      capabilities: p.capabilities ?? [],
      depends_on: [],
      timeout: p.timeout ?? null,
      attempt: 0,
      node_id: null,
      result: null,
      error: null,
      created_at: new Date(now).toISOString(),
      started_at: null,
      finished_at: null,
      source: 'cron',
      ...(key ? { idempotency_key: key } : {}),
    } as Task;
    this.tasks.set(task.id, task);
    if (key) this.byKey.set(key, task.id);
    return task;
  }

  /** Cron tasks that have not ended. */
  active(): Task[] {
    return [...this.tasks.values()].filter((t) => t.status === 'queued' || t.status === 'running');
  }

  /** Ends a task as a node would, returning it for `engine.taskEnded`. */
  end(id: string, status: TaskStatus, now: number, error?: string): Task {
    const t = this.tasks.get(id)!;
    const iso = new Date(now).toISOString();
    const ended: Task = {
      ...t,
      status,
      started_at: t.started_at ?? iso,
      finished_at: iso,
      error: error ? { code: 'GW_ERR_TASK_FAILED', message: error, retryable: false } : null,
    };
    this.tasks.set(id, ended);
    return ended;
  }
}

export type SinkMode =
  | 'ok'
  /** The process dies before the task is stored. */
  | 'hang-before-insert'
  /** The process dies after the task is stored, before the engine hears back. */
  | 'hang-after-insert'
  | 'fail-retryable'
  | 'fail-permanent';

/** One engine's view of the task table; `mode` decides how submit behaves. */
export class FakeSink implements CronTaskSink {
  mode: SinkMode = 'ok';
  constructor(
    readonly table: FakeTaskTable,
    private readonly now: () => number,
  ) {}

  async submit(params: TaskSubmitParams): Promise<{ task: Task }> {
    this.table.submits++;
    if (this.mode === 'hang-before-insert') return new Promise(() => undefined);
    if (this.mode === 'fail-retryable')
      throw new GatewayError('GW_ERR_STORE_UNAVAILABLE', { reason: 'database is busy' });
    if (this.mode === 'fail-permanent')
      throw new GatewayError('GW_ERR_TASK_INVALID', { reason: 'skill nope is not installed' });
    const task = this.table.insert(params, this.now());
    if (this.mode === 'hang-after-insert') return new Promise(() => undefined);
    return { task };
  }

  async get(id: string): Promise<Task | null> {
    return this.table.tasks.get(id) ?? null;
  }
}

/** A clock the test moves by hand. */
export class Clock {
  constructor(public ms: number) {}
  readonly now = (): number => this.ms;
  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface Fixture {
  stores: SqliteStores;
  clock: Clock;
  table: FakeTaskTable;
  log: MemoryLogger;
  /** A new engine (manual ticks) over the same store and task table, as after a restart. */
  engine(opts?: Partial<CronEngineOptions> & { mode?: SinkMode; store?: CronStore }): {
    engine: CronEngine;
    sink: FakeSink;
  };
  job(over: Partial<CronJob> & { name: string }): Promise<CronJob>;
  runs(jobId: string): ReturnType<CronStore['listRuns']>;
  close(): Promise<void>;
}

export function cronFixture(startIso: string): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'openclaw-cron-unit-'));
  const stores = createSqliteStores(openSqliteDatabase({ dataDir: dir, synchronous: 'normal' }));
  const clock = new Clock(Date.parse(startIso));
  const table = new FakeTaskTable();
  const log = createMemoryLogger();
  const engines: CronEngine[] = [];
  return {
    stores,
    clock,
    table,
    log,
    engine(opts = {}) {
      const sink = new FakeSink(table, clock.now);
      if (opts.mode) sink.mode = opts.mode;
      const engine = new CronEngine({
        store: opts.store ?? stores.cron,
        tasks: sink,
        logger: log.logger,
        now: clock.now,
        manualTicks: true,
        ...opts,
      });
      engines.push(engine);
      return { engine, sink };
    },
    async job(over) {
      return stores.cron.upsertJob({
        id: `cron-${over.name}`,
        schedule: '* * * * * *',
        timezone: 'UTC',
        template: { skill: 'echo', args: { message: over.name } },
        overlap: 'allow',
        catchup: 'latest',
        catchup_max: 100,
        enabled: true,
        source: 'api',
        created_at: new Date(clock.ms).toISOString(),
        last_slot: null,
        ...over,
      });
    },
    runs: (jobId) => stores.cron.listRuns(jobId, 1000),
    async close() {
      await stores.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A store that offers only the CronStore interface, so the engine takes its row-by-row fallback. */
export function interfaceOnly(store: CronStore): CronStore {
  return {
    upsertJob: (j) => store.upsertJob(j),
    getJob: (id) => store.getJob(id),
    listJobs: () => store.listJobs(),
    removeJob: (id) => store.removeJob(id),
    setLastSlot: (id, s) => store.setLastSlot(id, s),
    claimRun: (c) => store.claimRun(c),
    getRun: (j, s) => store.getRun(j, s),
    updateRun: (j, s, p) => store.updateRun(j, s, p),
    runsByStatus: (st, j) => store.runsByStatus(st, j),
    activeRuns: (j) => store.activeRuns(j),
    runByTask: (t) => store.runByTask(t),
    listRuns: (j, l) => store.listRuns(j, l),
    pruneRuns: (j, k) => store.pruneRuns(j, k),
  };
}
