/**
 * @module In-memory indices of waiting, queued and running tasks, rebuilt from the store at start (the store
 * stays the source of truth). They let the sweeps find due timeouts without scanning the store.
 */
import type { Task, TaskStatus } from '../protocol/index.js';
import type { TaskStore } from '../store/index.js';

/** Every task with this status, page by page. */
export async function* allTasksWith(tasks: TaskStore, status: TaskStatus): AsyncGenerator<Task> {
  let cursor: string | undefined;
  do {
    const page = await tasks.list({ status, limit: 1000, ...(cursor ? { cursor } : {}) });
    yield* page.tasks;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
}

interface RunningEntry {
  startedAt: number;
  timeout: number | null;
  warned: boolean;
}

export class TaskIndex {
  private readonly queued = new Map<string, { at: number; task: Task }>();
  private readonly running = new Map<string, RunningEntry>();
  private readonly waiting = new Set<string>();

  /**
   * `queuedAt` is when the task became runnable. The queue timeout counts from there, not from
   * creation: time spent waiting on dependencies, or running an attempt whose node was lost, is not
   * time in the queue (otherwise such a task would fail at once on becoming runnable).
   */
  update(t: Task, queuedAt: number): void {
    if (t.status === 'waiting') this.waiting.add(t.id);
    else this.waiting.delete(t.id);
    if (t.status === 'queued') {
      const prev = this.queued.get(t.id);
      this.queued.set(t.id, { at: prev?.at ?? queuedAt, task: t });
    } else this.queued.delete(t.id);
    if (t.status === 'running') {
      if (!this.running.has(t.id)) {
        this.running.set(t.id, {
          startedAt: Date.parse(t.started_at ?? t.created_at),
          timeout: t.timeout,
          warned: false,
        });
      }
    } else this.running.delete(t.id);
  }

  /** Drops a task the store never held (its insert failed). */
  forget(id: string): void {
    this.waiting.delete(id);
    this.queued.delete(id);
    this.running.delete(id);
  }

  get queuedCount(): number {
    return this.queued.size;
  }

  /** When the running task `id` was claimed (epoch ms), or undefined when it is not running. */
  runningSince(id: string): number | undefined {
    return this.running.get(id)?.startedAt;
  }

  get waitingCount(): number {
    return this.waiting.size;
  }

  get runningCount(): number {
    return this.running.size;
  }

  queuedByPriority(): Record<string, number> {
    const out: Record<string, number> = { critical: 0, high: 0, normal: 0, low: 0 };
    for (const { task } of this.queued.values()) out[task.priority] = (out[task.priority] ?? 0) + 1;
    return out;
  }

  /** Running tasks past their own timeout. */
  overdue(now: number): Array<{ id: string; timeout: number }> {
    const out: Array<{ id: string; timeout: number }> = [];
    for (const [id, r] of this.running) {
      if (r.timeout !== null && r.timeout > 0 && (now - r.startedAt) / 1000 >= r.timeout)
        out.push({ id, timeout: r.timeout });
    }
    return out;
  }

  /** Running tasks that just passed `thresholdS`; each is reported once. */
  newlyLong(now: number, thresholdS: number): Array<{ id: string; elapsedS: number }> {
    if (thresholdS <= 0) return [];
    const out: Array<{ id: string; elapsedS: number }> = [];
    for (const [id, r] of this.running) {
      const elapsed = (now - r.startedAt) / 1000;
      if (!r.warned && elapsed >= thresholdS) {
        r.warned = true;
        out.push({ id, elapsedS: Math.round(elapsed) });
      }
    }
    return out;
  }

  /** Queued tasks runnable for longer than `timeoutS`. */
  queueExpired(now: number, timeoutS: number): Task[] {
    if (timeoutS <= 0) return [];
    return [...this.queued.values()].filter((q) => (now - q.at) / 1000 >= timeoutS).map((q) => q.task);
  }
}
