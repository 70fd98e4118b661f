/** @module The nodes connected to this gateway, their declared capacity and the tasks they hold. */
import type { NodeInfo } from '../protocol/index.js';

/** What the scheduler needs of a node connection; the gateway adapts its Connection to this. */
export interface NodeHandle {
  id: string;
  capabilities: string[];
  tags: string[];
  concurrency: number;
  connectedAt: Date;
  local: boolean;
  send(event: string, payload: unknown): void;
  close(code: number, reason: string): void;
}

/** What a task asks of the node that runs it. */
export interface RoutingNeeds {
  capabilities: readonly string[];
  tags?: readonly string[] | undefined;
}

/** Every capability and tag of the task is among the node's: the rule `TaskStore.claimNext` applies. */
function canRun(node: NodeHandle, needs: RoutingNeeds): boolean {
  return (
    needs.capabilities.every((c) => node.capabilities.includes(c)) &&
    (needs.tags ?? []).every((t) => node.tags.includes(t))
  );
}

interface Entry {
  handle: NodeHandle;
  /** Every task taking a slot, those in `stopping` included. */
  running: Set<string>;
  /**
   * Tasks the gateway ended (cancel, timeout, re-queued elsewhere) while this node still works on
   * them. Their slot stays taken until the node reports the task over, so a node never runs more than
   * its concurrency; the timer frees it anyway, should the node never answer.
   */
  stopping: Map<string, NodeJS.Timeout>;
}

export class NodePool {
  private readonly nodes = new Map<string, Entry>();

  /** Adds a node; returns the handle it replaced (same id connected again), if any. */
  add(handle: NodeHandle): NodeHandle | null {
    const old = this.nodes.get(handle.id);
    this.nodes.set(handle.id, {
      handle,
      running: old?.running ?? new Set(),
      stopping: old?.stopping ?? new Map(),
    });
    return old && old.handle !== handle ? old.handle : null;
  }

  /** Removes the node if `handle` is still the registered one (a replaced handle's close is ignored). */
  remove(handle: NodeHandle): boolean {
    const e = this.nodes.get(handle.id);
    if (!e || e.handle !== handle) return false;
    for (const timer of e.stopping.values()) clearTimeout(timer);
    this.nodes.delete(handle.id);
    return true;
  }

  get(id: string): NodeHandle | null {
    return this.nodes.get(id)?.handle ?? null;
  }

  running(id: string): Set<string> {
    return this.nodes.get(id)?.running ?? new Set();
  }

  /** Tasks held by the connected nodes, summed. */
  get heldCount(): number {
    let n = 0;
    for (const e of this.nodes.values()) n += e.running.size;
    return n;
  }

  /** The task is now assigned to the node (a stop still awaited for an earlier copy of it is over). */
  hold(nodeId: string, taskId: string): void {
    const e = this.nodes.get(nodeId);
    if (!e) return;
    clearTimeout(e.stopping.get(taskId));
    e.stopping.delete(taskId);
    e.running.add(taskId);
  }

  /** Frees the task's slot (a stopping task's too: the node reported it over). */
  release(nodeId: string | null, taskId: string): void {
    const e = nodeId ? this.nodes.get(nodeId) : undefined;
    if (!e) return;
    clearTimeout(e.stopping.get(taskId));
    e.stopping.delete(taskId);
    e.running.delete(taskId);
  }

  /**
   * Keeps the slot of a task the gateway no longer gives this node taken until the node reports it
   * over (`release`) or `ms` pass; then frees it and calls `onFree`. A node not connected holds nothing.
   */
  holdUntilStopped(nodeId: string, taskId: string, ms: number, onFree: () => void): void {
    const e = this.nodes.get(nodeId);
    if (!e) return;
    e.running.add(taskId);
    clearTimeout(e.stopping.get(taskId));
    const timer = setTimeout(() => {
      if (e.stopping.get(taskId) !== timer) return;
      e.stopping.delete(taskId);
      e.running.delete(taskId);
      onFree();
    }, ms);
    timer.unref();
    e.stopping.set(taskId, timer);
  }

  /** Whether the node holds the task as a live assignment: held, and not one being stopped. */
  assigned(nodeId: string, taskId: string): boolean {
    const e = this.nodes.get(nodeId);
    return e !== undefined && e.running.has(taskId) && !e.stopping.has(taskId);
  }

  /** Cancels every stop timer (the scheduler is stopping); slots stay as they are. */
  clearTimers(): void {
    for (const e of this.nodes.values()) {
      for (const timer of e.stopping.values()) clearTimeout(timer);
      e.stopping.clear();
    }
  }

  /** Nodes with a free slot, least loaded first, so work spreads across nodes. */
  withFreeSlots(): NodeHandle[] {
    return [...this.nodes.values()]
      .filter((e) => e.running.size < e.handle.concurrency)
      .sort((a, b) => a.running.size / a.handle.concurrency - b.running.size / b.handle.concurrency)
      .map((e) => e.handle);
  }

  /** The least loaded node with a free slot that can run a task with these needs. */
  freeNodeFor(needs: RoutingNeeds): NodeHandle | undefined {
    return this.withFreeSlots().find((n) => canRun(n, needs));
  }

  freeSlots(id: string): number {
    const e = this.nodes.get(id);
    return e ? e.handle.concurrency - e.running.size : 0;
  }

  list(): NodeInfo[] {
    return [...this.nodes.values()].map((e) => ({
      id: e.handle.id,
      capabilities: e.handle.capabilities,
      tags: e.handle.tags,
      concurrency: e.handle.concurrency,
      running: e.running.size,
      connected_at: e.handle.connectedAt.toISOString(),
      local: e.handle.local,
    }));
  }

  /** Whether any connected node could ever run a task needing these capabilities and tags. */
  anyCapable(needs: RoutingNeeds): boolean {
    return [...this.nodes.values()].some((e) => canRun(e.handle, needs));
  }

  get size(): number {
    return this.nodes.size;
  }
}
