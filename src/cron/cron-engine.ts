/**
 * @module Fires cron slots exactly once. Each tick claims every due slot of every job durably, keyed by
 * (job, slot time), in one store transaction that also advances the jobs' last_slot; only then are
 * the tasks enqueued, each with the idempotency key `cron:<job>:<slot>`. Any run still `claimed` (a
 * crash, or a retryable enqueue failure) is enqueued again with the same key. So no crash point can
 * fire a slot twice (the claim and the key are unique) or lose it silently (a claim is always either
 * enqueued, or recorded as skipped, missed or failed).
 */
import type { Logger } from 'pino';
import { isTerminal, type CronJob, type CronRun, type Task } from '../protocol/index.js';
import type { CronStore } from '../store/index.js';
import { batchOps, type CronBatchOps, type SlotClaim } from './cron-batch.js';
import { CronEnqueuer, type CronTaskSink } from './cron-enqueuer.js';
import { CronSchedule } from './cron-expression.js';
import { planCatchup } from './catchup-plan.js';

export { parseCronKey, type CronTaskSink } from './cron-enqueuer.js';

export interface CronEngineOptions {
  store: CronStore;
  tasks: CronTaskSink;
  logger: Logger;
  /** A slot fired later than this (ms) after its time counts as missed and follows the job's catch-up policy. Default 10000. */
  misfireGraceMs?: number;
  /** Ended runs kept per job. Default 1000. */
  keepRuns?: number;
  /** How often ended runs beyond `keepRuns` are deleted (ms). Default 60000. */
  pruneIntervalMs?: number;
  /** Slots looked at per job and tick; a longer downtime is worked off over several ticks, all but the last batch missed. Default 3600. */
  maxSlotsPerTick?: number;
  /** Missed slots recorded one by one per job and tick; beyond this only counted in the log. Default 1000. */
  maxMissedRecords?: number;
  /** Task ends are written in batches, at most this long (ms) after the end. Default 20. */
  endFlushMs?: number;
  /** Longest stretch (ms) of submits before yielding to the event loop, so the next tick is not held up. Default 8. */
  enqueueSliceMs?: number;
  /** How often the job list is re-read from the store without a poke (ms). Default 10000. */
  jobRefreshMs?: number;
  /** No timers: the caller drives the engine with `tick()` (tests with an injected clock). Default false. */
  manualTicks?: boolean;
  /** Clock (epoch ms). Default Date.now. */
  now?: () => number;
  onFire?(job: CronJob, lateMs: number): void;
  onMiss?(job: CronJob, count: number): void;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class CronEngine {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private ticking: Promise<void> = Promise.resolve();
  private schedules = new Map<string, CronSchedule>();
  private jobs = new Map<string, CronJob>();
  private jobsLoadedAt = -Infinity;
  private jobsStale = true;
  /** Each job's next slot, as computed when the timer was armed; a job not yet due is skipped cheaply. */
  private readonly nextDue = new Map<string, number | null>();
  private lastPrune = 0;
  private readonly batch: CronBatchOps;
  private readonly q: CronEnqueuer;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly grace: number;

  constructor(private readonly o: CronEngineOptions) {
    this.log = o.logger;
    this.now = o.now ?? Date.now;
    this.grace = o.misfireGraceMs ?? 10_000;
    this.batch = batchOps(o.store);
    this.q = new CronEnqueuer({
      store: o.store,
      batch: this.batch,
      tasks: o.tasks,
      logger: o.logger,
      now: this.now,
      jobOf: (id) => this.jobs.get(id),
      ...(o.enqueueSliceMs !== undefined ? { sliceMs: o.enqueueSliceMs } : {}),
      endFlushMs: o.manualTicks ? 0 : (o.endFlushMs ?? 20),
      afterPass: () => this.prune(),
      ...(o.onFire ? { onFire: o.onFire } : {}),
    });
  }

  /** The job's schedule; jobs with the same expression and zone share one, and so its memo. */
  schedule(job: Pick<CronJob, 'schedule' | 'timezone'>): CronSchedule {
    const key = `${job.schedule}\u0000${job.timezone}`;
    let s = this.schedules.get(key);
    if (!s) {
      s = new CronSchedule(job.schedule, job.timezone);
      this.schedules.set(key, s);
    }
    return s;
  }

  async start(): Promise<void> {
    this.running = true;
    this.lastPrune = this.now();
    await this.recover();
    await this.tick();
  }

  /** Stops firing; claims already made are enqueued and task ends written before this resolves. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
    await this.q.settled();
  }

  /** Re-reads the jobs and re-arms the timer; call after jobs change. */
  poke(): void {
    this.jobsStale = true;
    if (!this.running || this.o.manualTicks) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), 0);
  }

  /** Claims every due slot now, then starts enqueueing; resolves once the claims are durable. */
  tick(): Promise<void> {
    this.ticking = this.ticking
      .then(() => this.claimDue())
      .catch((err) => this.log.error({ event: 'cron_tick_failed', err }, 'cron tick failed'));
    return this.ticking;
  }

  /** Resolves when every enqueue started so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    await this.ticking;
    await this.q.settled();
  }

  /** Settles runs whose tasks ended while we were down, and pending runs left without a predecessor. */
  private async recover(): Promise<void> {
    const store = this.o.store;
    for (const run of await store.runsByStatus(['enqueued'])) {
      const t = run.task_id ? await this.o.tasks.get(run.task_id) : null;
      if (t && isTerminal(t.status)) this.q.taskEnded(t, run);
    }
    await this.q.flush();
    const pending = await store.runsByStatus(['pending']);
    for (const jobId of new Set(pending.map((r) => r.job_id))) {
      const active = await store.activeRuns(jobId);
      if (active.some((r) => r.status !== 'pending')) continue;
      const first = active.find((r) => r.status === 'pending');
      if (first) await store.updateRun(jobId, first.slot, { status: 'claimed' });
    }
  }

  private async claimDue(): Promise<void> {
    if (!this.running) return;
    const failed = new Set<string>();
    try {
      await this.claimDueSlots(failed);
    } finally {
      // Even after a store failure the engine must keep ticking; the next tick retries the same slots.
      this.arm(failed);
      this.q.startPass(() => this.running);
    }
  }

  private async claimDueSlots(failed: Set<string>): Promise<void> {
    const now = this.now();
    if (this.jobsStale || now - this.jobsLoadedAt >= (this.o.jobRefreshMs ?? 10_000)) {
      this.jobsStale = false;
      this.jobsLoadedAt = now;
      this.jobs = new Map((await this.o.store.listJobs()).map((j) => [j.id, j]));
      this.nextDue.clear();
    }
    const claims: Array<Omit<SlotClaim, 'late_ms'> & { at: number }> = [];
    const lastSlots: Array<{ job_id: string; slot: string }> = [];
    const unrecorded = new Map<string, number>();
    for (const job of this.jobs.values()) {
      if (!job.enabled) continue;
      const nd = this.nextDue.get(job.id);
      if (nd !== undefined && (nd === null || nd > now)) continue;
      try {
        const cap = this.o.maxSlotsPerTick ?? 3600;
        const due = this.schedule(job).between(this.since(job), now, cap + 1);
        if (due.length === 0) continue;
        // A capped batch is only the oldest part of a long downtime: none of it is the latest slot.
        const capped = due.length > cap;
        if (capped) due.pop();
        const plan = capped ? { fire: [], missed: due } : planCatchup(job, due, now, this.grace);
        const keep = plan.missed.slice(-(this.o.maxMissedRecords ?? 1000));
        if (keep.length < plan.missed.length) unrecorded.set(job.id, plan.missed.length - keep.length);
        for (const s of keep)
          claims.push({ job_id: job.id, slot: iso(s), at: s, overlap: job.overlap, missed: true });
        for (const s of plan.fire) claims.push({ job_id: job.id, slot: iso(s), at: s, overlap: job.overlap });
        lastSlots.push({ job_id: job.id, slot: iso(due[due.length - 1]!) });
      } catch (err) {
        failed.add(job.id);
        this.log.error({ event: 'cron_job_failed', job: job.name, err }, 'cron job processing failed');
      }
    }
    if (claims.length === 0) return;
    const at = this.now();
    const inserted = await this.batch.claimSlots(
      claims.map(({ at: slot, ...c }) => ({ ...c, late_ms: at - slot })),
      lastSlots,
    );
    for (const l of lastSlots) {
      const job = this.jobs.get(l.job_id);
      if (job && (!job.last_slot || job.last_slot < l.slot)) job.last_slot = l.slot;
    }
    this.report(inserted, unrecorded);
  }

  private since(job: CronJob): number {
    return job.last_slot ? Date.parse(job.last_slot) : Date.parse(job.created_at) - 1;
  }

  /** Logs and counts what a claim batch decided: one line per skipped or queued slot, one per job for misses. */
  private report(inserted: readonly CronRun[], unrecorded: ReadonlyMap<string, number>): void {
    const missed = new Map<string, { count: number; first: string | null }>();
    for (const [id, n] of unrecorded) missed.set(id, { count: n, first: null });
    for (const r of inserted) {
      const job = this.jobs.get(r.job_id);
      if (!job) continue;
      if (r.status === 'missed') {
        const m = missed.get(r.job_id) ?? { count: 0, first: null };
        missed.set(r.job_id, { count: m.count + 1, first: m.first ?? r.slot });
      } else if (r.status === 'skipped') {
        this.o.onMiss?.(job, 1);
        this.log.info(
          { event: 'cron_skipped', job: job.name, slot: r.slot, reason: 'previous run still going' },
          'slot skipped (overlap: skip)',
        );
      } else if (r.status === 'pending') {
        this.log.info(
          { event: 'cron_queued', job: job.name, slot: r.slot },
          'slot waits for the previous run (overlap: queue)',
        );
      }
    }
    for (const [id, { count, first }] of missed) {
      const job = this.jobs.get(id)!;
      this.o.onMiss?.(job, count);
      this.log.warn(
        { event: 'cron_missed', job: job.name, count, first, policy: job.catchup },
        `missed ${count} slot(s) of ${job.name}; catch-up policy ${job.catchup}`,
      );
    }
  }

  /** Sets the timer for the earliest next slot of any enabled job (at most a minute away, so job changes elsewhere are seen). */
  private arm(failed: ReadonlySet<string>): void {
    if (!this.running) return;
    let nextAt = Infinity;
    const used = new Map<string, CronSchedule>();
    for (const job of this.jobs.values()) {
      // A job that failed this tick would be due again at once: leave it to the next regular tick.
      if (!job.enabled || failed.has(job.id)) continue;
      try {
        const s = this.schedule(job);
        used.set(`${job.schedule}\u0000${job.timezone}`, s);
        const n = s.next(this.since(job));
        this.nextDue.set(job.id, n);
        if (n !== null) nextAt = Math.min(nextAt, n);
        // Warms the memo for the following tick, so claiming it costs no croner call.
        if (n !== null) s.next(n);
      } catch {
        // reported by claimDueSlots
      }
    }
    this.schedules = used;
    if (this.o.manualTicks) return;
    if (this.timer) clearTimeout(this.timer);
    const delay = nextAt === Infinity ? 60_000 : Math.max(0, nextAt - this.now());
    this.timer = setTimeout(() => void this.tick(), Math.min(delay, 60_000));
    this.timer.unref();
  }

  private async prune(): Promise<void> {
    if (this.now() - this.lastPrune < (this.o.pruneIntervalMs ?? 60_000)) return;
    this.lastPrune = this.now();
    await this.batch.pruneAll(this.o.keepRuns ?? 1000);
  }

  /** Claims a slot at this moment outside the schedule (run-now; ignores the overlap policy) and enqueues it. */
  async fire(job: CronJob, slot: number): Promise<CronRun | null> {
    const slotIso = iso(slot);
    const [run] = await this.batch.claimSlots(
      [{ job_id: job.id, slot: slotIso, late_ms: 0, overlap: 'allow' }],
      [],
    );
    if (!run) return null;
    this.jobs.set(job.id, job);
    await this.q.enqueue([run]);
    await this.q.flush();
    return this.o.store.getRun(job.id, slotIso);
  }

  /** Records a cron task's outcome (batched); a run waiting for it (overlap: queue) then starts. */
  taskEnded(task: Task, known?: Pick<CronRun, 'job_id' | 'slot'>): void {
    this.q.taskEnded(task, known);
  }
}
