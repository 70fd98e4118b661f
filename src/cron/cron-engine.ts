/**
 * @module Fires cron slots exactly once. Each slot is claimed durably, keyed by (job, slot time), before
 * its task is enqueued with the idempotency key `cron:<job>:<slot>`; a claim found on restart is finished
 * with the same key. So no crash point can fire a slot twice (the claim and the key are unique) or lose
 * it silently (a claim is always either finished or recorded as skipped/missed).
 */
import type { Logger } from 'pino';
import {
  isTerminal,
  type CronJob,
  type CronRun,
  type Task,
  type TaskSubmitParams,
} from '../protocol/index.js';
import type { CronStore } from '../store/index.js';
import { CronSchedule } from './cron-expression.js';

export interface CronTaskSink {
  submit(params: TaskSubmitParams, source: 'cron'): Promise<{ task: Task }>;
  get(id: string): Promise<Task | null>;
}

export interface CronEngineOptions {
  store: CronStore;
  tasks: CronTaskSink;
  logger: Logger;
  /** A slot fired later than this after its time counts as missed and follows the job's catch-up policy. */
  misfireGraceMs?: number;
  /** Runs kept per job. */
  keepRuns?: number;
  /** Missed slots recorded one by one per job and tick; beyond this only counted in the log. */
  maxMissedRecords?: number;
  now?: () => number;
  onFire?(job: CronJob, lateMs: number): void;
  onMiss?(job: CronJob, count: number): void;
}

export class CronEngine {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private ticking: Promise<void> | null = null;
  private readonly schedules = new Map<string, CronSchedule>();
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly grace: number;

  constructor(private readonly o: CronEngineOptions) {
    this.log = o.logger;
    this.now = o.now ?? Date.now;
    this.grace = o.misfireGraceMs ?? 10_000;
  }

  schedule(job: CronJob): CronSchedule {
    const key = `${job.id}|${job.schedule}|${job.timezone}`;
    let s = this.schedules.get(key);
    if (!s) {
      s = new CronSchedule(job.schedule, job.timezone);
      this.schedules.set(key, s);
    }
    return s;
  }

  async start(): Promise<void> {
    this.running = true;
    await this.recover();
    await this.tick();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
  }

  /** Re-arms the timer after jobs change. */
  poke(): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), 0);
  }

  /** Finishes claims interrupted by a crash and settles runs whose tasks ended while we were down. */
  private async recover(): Promise<void> {
    for (const run of await this.o.store.runsByStatus(['claimed'])) {
      const job = await this.o.store.getJob(run.job_id);
      if (!job) continue;
      this.log.info(
        { event: 'cron_claim_recovered', job: job.name, slot: run.slot },
        'finishing an interrupted claim',
      );
      await this.enqueue(job, run);
    }
    for (const run of await this.o.store.runsByStatus(['enqueued'])) {
      const t = run.task_id ? await this.o.tasks.get(run.task_id) : null;
      if (t && isTerminal(t.status)) await this.taskEnded(t);
    }
  }

  private tick(): Promise<void> {
    const run = async () => {
      if (!this.running) return;
      const now = this.now();
      let nextAt = Infinity;
      for (const job of await this.o.store.listJobs()) {
        if (!job.enabled) continue;
        try {
          await this.processJob(job, now);
          const n = this.schedule(job).next(now);
          if (n !== null) nextAt = Math.min(nextAt, n);
        } catch (err) {
          this.log.error({ event: 'cron_job_failed', job: job.name, err }, 'cron job processing failed');
        }
      }
      if (!this.running) return;
      const delay = nextAt === Infinity ? 60_000 : Math.max(0, nextAt - this.now());
      this.timer = setTimeout(() => void this.tick(), Math.min(delay, 60_000));
      this.timer.unref();
    };
    this.ticking = (this.ticking ?? Promise.resolve())
      .then(run)
      .catch((err) => this.log.error({ event: 'cron_tick_failed', err }, 'cron tick failed'));
    return this.ticking;
  }

  private async processJob(job: CronJob, now: number): Promise<void> {
    const sched = this.schedule(job);
    const since = job.last_slot ? Date.parse(job.last_slot) : Date.parse(job.created_at) - 1;
    const cap = 10_000;
    const due = sched.between(since, now, cap);
    if (due.length === 0) return;
    const onTime = due.filter((s) => now - s <= this.grace);
    const late = due.filter((s) => now - s > this.grace);
    let fire: number[] = onTime;
    let missed: number[] = [];
    if (late.length > 0) {
      if (job.catchup === 'all') {
        fire = [...late.slice(-job.catchup_max), ...onTime];
        missed = late.slice(0, Math.max(0, late.length - job.catchup_max));
      } else if (job.catchup === 'latest') {
        fire = onTime.length > 0 ? onTime : late.slice(-1);
        missed = onTime.length > 0 ? late : late.slice(0, -1);
      } else missed = late;
    }
    if (missed.length > 0) {
      const recorded = missed.slice(-(this.o.maxMissedRecords ?? 1000));
      for (const slot of recorded) {
        await this.o.store.claimRun({
          job_id: job.id,
          slot: new Date(slot).toISOString(),
          status: 'missed',
          late_ms: now - slot,
        });
      }
      this.o.onMiss?.(job, missed.length);
      this.log.warn(
        {
          event: 'cron_missed',
          job: job.name,
          count: missed.length,
          first: new Date(missed[0]!).toISOString(),
          policy: job.catchup,
        },
        `missed ${missed.length} slot(s) of ${job.name} while down; catch-up policy ${job.catchup}`,
      );
    }
    for (const slot of fire.sort((a, b) => a - b)) await this.fire(job, slot, this.now() - slot);
    const last = due[due.length - 1]!;
    await this.o.store.setLastSlot(job.id, new Date(last).toISOString());
    job.last_slot = new Date(last).toISOString();
  }

  /** Claims the slot and enqueues its task; a slot already claimed (by us before a crash, or by another gateway) is left alone. */
  async fire(job: CronJob, slot: number, lateMs: number, manual = false): Promise<CronRun | null> {
    const slotIso = new Date(slot).toISOString();
    const active = manual ? [] : await this.o.store.activeRuns(job.id);
    let status: CronRun['status'] = 'claimed';
    if (active.length > 0 && job.overlap === 'skip') status = 'skipped';
    if (active.length > 0 && job.overlap === 'queue') status = 'pending';
    const claimed = await this.o.store.claimRun({ job_id: job.id, slot: slotIso, status, late_ms: lateMs });
    if (!claimed) return null;
    if (status === 'skipped') {
      this.log.info(
        { event: 'cron_skipped', job: job.name, slot: slotIso, reason: 'previous run still going' },
        'slot skipped (overlap: skip)',
      );
      return this.o.store.getRun(job.id, slotIso);
    }
    if (status === 'pending') {
      this.log.info(
        { event: 'cron_queued', job: job.name, slot: slotIso },
        'slot waits for the previous run (overlap: queue)',
      );
      return this.o.store.getRun(job.id, slotIso);
    }
    return this.enqueue(job, (await this.o.store.getRun(job.id, slotIso))!);
  }

  private async enqueue(job: CronJob, run: CronRun): Promise<CronRun> {
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
      const updated = await this.o.store.updateRun(job.id, run.slot, {
        status: isTerminal(task.status) ? (task.status as CronRun['status']) : 'enqueued',
        task_id: task.id,
        fired_at: new Date(this.now()).toISOString(),
      });
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
      return updated ?? run;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.error(
        { event: 'cron_enqueue_failed', job: job.name, slot: run.slot, err: message },
        'could not enqueue the cron task',
      );
      return (
        (await this.o.store.updateRun(job.id, run.slot, {
          status: 'failed',
          error: message,
          finished_at: new Date(this.now()).toISOString(),
        })) ?? run
      );
    }
  }

  /** Records a cron task's outcome, then starts a run that waited for it (overlap: queue). */
  async taskEnded(task: Task): Promise<void> {
    if (task.source !== 'cron') return;
    const run = await this.o.store.runByTask(task.id);
    if (!run) return;
    await this.o.store.updateRun(run.job_id, run.slot, {
      status: task.status as CronRun['status'],
      finished_at: task.finished_at,
      duration_ms:
        task.started_at && task.finished_at
          ? Date.parse(task.finished_at) - Date.parse(task.started_at)
          : null,
      error: task.error?.message ?? null,
    });
    await this.o.store.pruneRuns(run.job_id, this.o.keepRuns ?? 1000);
    const pending = await this.o.store.runsByStatus(['pending'], run.job_id);
    const job = await this.o.store.getJob(run.job_id);
    if (job && pending.length > 0) {
      const nextRun = pending.sort((a, b) => a.slot.localeCompare(b.slot))[0]!;
      await this.o.store.updateRun(job.id, nextRun.slot, { status: 'claimed' });
      await this.enqueue(job, { ...nextRun, status: 'claimed' });
    }
  }
}
