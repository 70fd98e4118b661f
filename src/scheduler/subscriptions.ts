/** @module Which sessions want which task events (`task.subscribe`). */

export interface Subscriber {
  id: string;
  emit(event: string, payload?: unknown): void;
}

export class Subscriptions {
  private readonly all = new Map<string, Subscriber>();
  private readonly byTask = new Map<string, Map<string, Subscriber>>();

  subscribe(sub: Subscriber, taskId?: string): void {
    if (taskId === undefined) {
      this.all.set(sub.id, sub);
      return;
    }
    let m = this.byTask.get(taskId);
    if (!m) this.byTask.set(taskId, (m = new Map()));
    m.set(sub.id, sub);
  }

  /** Drops a session everywhere (its resume window ended). */
  drop(subscriberId: string): void {
    this.all.delete(subscriberId);
    for (const [taskId, m] of this.byTask) {
      m.delete(subscriberId);
      if (m.size === 0) this.byTask.delete(taskId);
    }
  }

  publish(taskId: string, event: string, payload: unknown, final = false): void {
    const targeted = this.byTask.get(taskId);
    const seen = new Set<string>();
    for (const s of this.all.values()) {
      seen.add(s.id);
      s.emit(event, payload);
    }
    if (targeted) {
      for (const s of targeted.values()) if (!seen.has(s.id)) s.emit(event, payload);
      // Per-task subscriptions end with the task (PROTOCOL: "until it ends").
      if (final) this.byTask.delete(taskId);
    }
  }
}
