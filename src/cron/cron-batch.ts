/**
 * @module The few multi-row store operations the engine needs each tick. A backend that offers them
 * natively (SQLite: one transaction each) makes them atomic and cheap; any other CronStore gets the
 * row-by-row fallback below, which keeps the exactly-once guarantee (the (job, slot) key and the
 * task idempotency key) but not the atomicity of the overlap decision.
 */
import type { CronRun, CronRunStatus } from '../protocol/index.js';
import type { CronStore } from '../store/index.js';

export type OverlapPolicy = 'skip' | 'queue' | 'allow';

/** One slot to claim. */
export interface SlotClaim {
  job_id: string;
  slot: string;
  late_ms: number | null;
  /** Decides the status when the job still has a run going: skip -> skipped, queue -> pending, allow -> claimed. */
  overlap: OverlapPolicy;
  /** Records the slot as missed instead (catch-up policy). */
  missed?: boolean;
}

export interface EnqueuedMark {
  job_id: string;
  slot: string;
  task_id: string;
  fired_at: string;
}

export interface RunEnd {
  job_id: string;
  slot: string;
  status: Extract<CronRunStatus, 'succeeded' | 'failed' | 'cancelled' | 'timed_out'>;
  task_id: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  error: string | null;
}

export interface CronBatchOps {
  /**
   * Inserts each claim unless its (job, slot) row exists, deciding claimed/skipped/pending from the
   * job's runs still going at that moment (claims earlier in the list count), and advances each job's
   * last_slot. Returns the rows this call inserted.
   */
  claimSlots(
    claims: readonly SlotClaim[],
    lastSlots: ReadonlyArray<{ job_id: string; slot: string }>,
  ): Promise<CronRun[]>;
  /** Records the task of each claimed run; a run that already ended keeps its status. */
  markEnqueued(marks: readonly EnqueuedMark[]): Promise<void>;
  /**
   * Ends runs that are still claimed or enqueued (a second report of the same end changes nothing),
   * then moves the oldest pending run of each job that ended one to claimed. Returns both sets.
   */
  recordEnds(ends: readonly RunEnd[]): Promise<{ ended: CronRun[]; promoted: CronRun[] }>;
  /** Keeps the newest `keep` ended runs of every job. */
  pruneAll(keep: number): Promise<void>;
}

function rowByRow(store: CronStore): CronBatchOps {
  return {
    async claimSlots(claims, lastSlots) {
      const out: CronRun[] = [];
      for (const c of claims) {
        let status: CronRunStatus = 'missed';
        if (!c.missed) {
          const busy = c.overlap !== 'allow' && (await store.activeRuns(c.job_id)).length > 0;
          status = !busy ? 'claimed' : c.overlap === 'skip' ? 'skipped' : 'pending';
        }
        if (await store.claimRun({ job_id: c.job_id, slot: c.slot, status, late_ms: c.late_ms })) {
          const run = await store.getRun(c.job_id, c.slot);
          if (run) out.push(run);
        }
      }
      for (const l of lastSlots) await store.setLastSlot(l.job_id, l.slot);
      return out;
    },
    async markEnqueued(marks) {
      for (const m of marks) {
        const run = await store.getRun(m.job_id, m.slot);
        if (!run) continue;
        await store.updateRun(m.job_id, m.slot, {
          ...(run.status === 'claimed' ? { status: 'enqueued' as const } : {}),
          task_id: m.task_id,
          ...(run.fired_at === null ? { fired_at: m.fired_at } : {}),
        });
      }
    },
    async recordEnds(ends) {
      const ended: CronRun[] = [];
      const promoted: CronRun[] = [];
      for (const e of ends) {
        const run = await store.getRun(e.job_id, e.slot);
        if (!run || (run.status !== 'claimed' && run.status !== 'enqueued')) continue;
        const { job_id, slot, ...patch } = e;
        const updated = await store.updateRun(job_id, slot, {
          ...patch,
          ...(patch.task_id === null ? { task_id: run.task_id } : {}),
        });
        if (updated) ended.push(updated);
        const active = await store.activeRuns(job_id);
        if (active.some((r) => r.status === 'claimed' || r.status === 'enqueued')) continue;
        const next = active.find((r) => r.status === 'pending');
        if (next) {
          const p = await store.updateRun(job_id, next.slot, { status: 'claimed' });
          if (p) promoted.push(p);
        }
      }
      return { ended, promoted };
    },
    async pruneAll(keep) {
      for (const job of await store.listJobs()) await store.pruneRuns(job.id, keep);
    },
  };
}

/** The store's own batch operations when it has them, else the row-by-row fallback. */
export function batchOps(store: CronStore): CronBatchOps {
  const s = store as CronStore & Partial<CronBatchOps>;
  if (s.claimSlots && s.markEnqueued && s.recordEnds && s.pruneAll) {
    return {
      claimSlots: s.claimSlots.bind(s),
      markEnqueued: s.markEnqueued.bind(s),
      recordEnds: s.recordEnds.bind(s),
      pruneAll: s.pruneAll.bind(s),
    };
  }
  return rowByRow(store);
}
