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

interface Entry {
  handle: NodeHandle;
  running: Set<string>;
}

export class NodePool {
  private readonly nodes = new Map<string, Entry>();

  /** Adds a node; returns the handle it replaced (same id connected again), if any. */
  add(handle: NodeHandle): NodeHandle | null {
    const old = this.nodes.get(handle.id);
    this.nodes.set(handle.id, { handle, running: old?.running ?? new Set() });
    return old && old.handle !== handle ? old.handle : null;
  }

  /** Removes the node if `handle` is still the registered one (a replaced handle's close is ignored). */
  remove(handle: NodeHandle): boolean {
    const e = this.nodes.get(handle.id);
    if (!e || e.handle !== handle) return false;
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

  hold(nodeId: string, taskId: string): void {
    this.nodes.get(nodeId)?.running.add(taskId);
  }

  release(nodeId: string | null, taskId: string): void {
    if (nodeId) this.nodes.get(nodeId)?.running.delete(taskId);
  }

  /** Nodes with a free slot, least loaded first, so work spreads across nodes. */
  withFreeSlots(): NodeHandle[] {
    return [...this.nodes.values()]
      .filter((e) => e.running.size < e.handle.concurrency)
      .sort((a, b) => a.running.size / a.handle.concurrency - b.running.size / b.handle.concurrency)
      .map((e) => e.handle);
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
  anyCapable(capabilities: string[], tags: string[]): boolean {
    return [...this.nodes.values()].some(
      (e) =>
        capabilities.every((c) => e.handle.capabilities.includes(c)) &&
        tags.every((t) => e.handle.tags.includes(t)),
    );
  }

  get size(): number {
    return this.nodes.size;
  }
}
