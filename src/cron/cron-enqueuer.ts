/**
 * @module The second half of firing: turns claimed runs into tasks (idempotency key
 * `cron:<job>:<slot>`), and records the ends of those tasks, which may start a run waiting for them
 * (overlap: queue). Everything it writes is derived from the claim and the task store, so a crash
 * anywhere here is repaired by enqueueing the still-claimed runs again with the same keys.
 */
import type { Logger } from 'pino';
import {
  GatewayError,
  isTerminal,
  type CronJob,
  type CronRun,
  type Task,
  type TaskSubmitParams,
} from '../protocol/index.js';
import type { CronStore } from '../store/index.js';
import type { CronBatchOps, EnqueuedMark, RunEnd } from './cron-batch.js';

export interface CronTaskSink {
  submit(params: TaskSubmitParams, source: 'cron'): Promise<{ task: Task }>;
  get(id: string): Promise<Task | null>;
}

export interface CronEnqueuerOptions {
  store: CronStore;
  batch: CronBatchOps;
  tasks: CronTaskSink;
  logger: Logger;
  now: () => number;
  /** The job a run belongs to, from the engine's cache (the store is asked when it has none). */
  jobOf(id: string): CronJob | undefined;
  /** Longest stretch (ms) of submits before yielding to the event loop. Default 8. */
  sliceMs?: number;
  /** Task ends are written in batches, at most this long (ms) after the end; 0 = only on flush(). Default 20. */
  endFlushMs?: number;
  /** Runs after each enqueue pass (housekeeping such as pruning). */
  afterPass?(): Promise<void>;
  onFire?(job: CronJob, lateMs: number): void;
}

const runKey = (r: Pick<CronRun, 'job_id' | 'slot'>) => `${r.job_id}\u0000${r.slot}`;
const iso = (ms: number) => new Date(ms).toISOString();

/** The (job, slot) an idempotency key `cron:<job>:<slot>` names; job ids never contain a colon. */
export function parseCronKey(key: string | undefined): { job_id: string; slot: string } | null {
  const m = key ? /^cron:([^:]+):(.+)$/.exec(key) : null;
  return m ? { job_id: m[1]!, slot: m[2]! } : null;
}

export class CronEnqueuer {
  private readonly inFlight = new Set<string>();
  private passing: Promise<void> = Promise.resolve();
  private passActive = false;
  private passAgain = false;
  private ends: RunEnd[] = [];
  private endTimer: NodeJS.Timeout | null = null;
  private readonly log: Logger;

  constructor(private readonly o: CronEnqueuerOptions) {
    this.log = o.logger;
  }

  /**
   * Enqueues every claimed run not already being enqueued: new claims, retries and crash leftovers
   * alike. One pass at a time; a call while one runs makes it look again when done, so when enqueues
   * are slower than claims (a slow disk) the backlog waits in the store instead of being re-read by
   * every tick.
   */
  startPass(keepGoing: () => boolean): void {
    if (this.passActive) {
      this.passAgain = true;
      return;
    }
    this.passActive = true;
    this.passing = (async () => {
      try {
        do {
          this.passAgain = false;
          const claimed = await this.o.store.runsByStatus(['claimed']);
          await this.enqueue(claimed.filter((r) => !this.inFlight.has(runKey(r))));
          await this.o.afterPass?.();
        } while (this.passAgain && keepGoing());
      } catch (err) {
        this.log.error({ event: 'cron_enqueue_failed', err }, 'cron enqueue pass failed');
      } finally {
        this.passActive = false;
      }
    })();
  }

  /** Resolves when the running pass and every buffered end are done. */
  async settled(): Promise<void> {
    await this.passing;
    await this.flush();
  }

  /**
   * Submits for at most `sliceMs` at a time, recording each slice's tasks in one transaction, and
   * yields to the event loop between slices: 1,000 submits in one go would hold the loop for hundreds
   * of ms and make the next second's claims late.
   */
  async enqueue(runs: readonly CronRun[]): Promise<void> {
    const budget = this.o.sliceMs ?? 8;
    // All of them are ours from now on, so a pass running meanwhile leaves them alone.
    for (const r of runs) this.inFlight.add(runKey(r));
    let i = 0;
    try {
      while (i < runs.length) {
        if (i > 0) await new Promise<void>((r) => setImmediate(r));
        const t0 = performance.now();
        const start = i;
        const marks: EnqueuedMark[] = [];
        const submits: Promise<void>[] = [];
        const one = async (run: CronRun): Promise<void> => {
          const job = this.o.jobOf(run.job_id) ?? (await this.o.store.getJob(run.job_id));
          const task = job ? await this.submit(job, run) : null;
          if (task)
            marks.push({ job_id: run.job_id, slot: run.slot, task_id: task.id, fired_at: iso(this.o.now()) });
        };
        try {
          // The slice's submits run together: the store commits them in one transaction and one
          // fsync, where one after another each would wait for its own.
          while (i < runs.length && (i === start || performance.now() - t0 < budget)) {
            submits.push(one(runs[i++]!));
          }
          await Promise.all(submits);
        } finally {
          await Promise.allSettled(submits);
          await this.o.batch.markEnqueued(marks).finally(() => {
            for (let k = start; k < i; k++) this.inFlight.delete(runKey(runs[k]!));
          });
        }
      }
    } finally {
      for (let k = i; k < runs.length; k++) this.inFlight.delete(runKey(runs[k]!));
    }
  }

  /** Submits the run's task; null when it could not be (retryable: left claimed for the next pass). */
  private async submit(job: CronJob, run: CronRun): Promise<Task | null> {
    const t = job.template;
    const params = {
      ...(t.task !== undefined ? { task: t.task } : {}),
      ...(t.skill !== undefined ? { skill: t.skill, args: t.args ?? {} } : {}),
      ...(t.workspace ? { workspace: t.workspace } : {}),
      ...(t.timeout !== undefined ? { timeout: t.timeout } : {}),
      ...(t.priority ? { priority: t.priority } : {}),
      ...(t.capabilities ? { capabilities: t.capabilities } : {}),
      idempotency_key: `cron:${job.id}:${run.slot}`,
    } as TaskSubmitParams;
    try {
      const { task } = await this.o.tasks.submit(params, 'cron');
      this.o.onFire?.(job, run.late_ms ?? 0);
      this.log.info(
        {
          event: 'cron_fired',
          job: job.name,
          slot: run.slot,
          task_id: task.id,
          late_ms: run.late_ms,
          workspace: task.workspace,
        },
        `fired ${job.name}`,
      );
      // The key may return a task that already ended (it ran before a crash): record its end too.
      if (isTerminal(task.status)) this.taskEnded(task, run);
      return task;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof GatewayError && err.retryable) {
        this.log.warn(
          { event: 'cron_enqueue_retry', job: job.name, slot: run.slot, err: message },
          'could not enqueue the cron task; retrying at the next tick',
        );
        return null;
      }
      this.log.error(
        { event: 'cron_enqueue_failed', job: job.name, slot: run.slot, err: message },
        'could not enqueue the cron task',
      );
      const end: RunEnd = {
        job_id: run.job_id,
        slot: run.slot,
        status: 'failed',
        task_id: null,
        finished_at: iso(this.o.now()),
        duration_ms: null,
        error: message,
      };
      await this.record([end]);
      return null;
    }
  }

  /** Records a cron task's outcome (batched); a run waiting for it (overlap: queue) then starts. */
  taskEnded(task: Task, known?: Pick<CronRun, 'job_id' | 'slot'>): void {
    if (task.source !== 'cron' || !isTerminal(task.status)) return;
    const at = known ?? parseCronKey(task.idempotency_key);
    if (!at) return;
    this.ends.push({
      job_id: at.job_id,
      slot: at.slot,
      status: task.status as RunEnd['status'],
      task_id: task.id,
      finished_at: task.finished_at,
      duration_ms:
        task.started_at && task.finished_at
          ? Date.parse(task.finished_at) - Date.parse(task.started_at)
          : null,
      error: task.error?.message ?? null,
    });
    const delay = this.o.endFlushMs ?? 20;
    if (!this.endTimer && delay > 0) this.endTimer = setTimeout(() => void this.flush(), delay);
  }

  /** Writes the buffered ends now. */
  async flush(): Promise<void> {
    if (this.endTimer) clearTimeout(this.endTimer);
    this.endTimer = null;
    await this.record(this.ends.splice(0));
  }

  private async record(ends: RunEnd[]): Promise<void> {
    if (ends.length === 0) return;
    try {
      const { promoted } = await this.o.batch.recordEnds(ends);
      if (promoted.length > 0) await this.enqueue(promoted);
    } catch (err) {
      this.log.error({ event: 'cron_run_update_failed', err }, 'could not record cron run ends');
    }
  }
}
