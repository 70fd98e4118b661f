/**
 * @module The scheduler: accepts tasks durably, resolves dependencies, dispatches to nodes by capability
 * and free slot, and moves every task through its states exactly once (compare-and-set in the store).
 */
import { EventEmitter } from 'node:events';
import {
  GatewayError,
  isTerminal,
  type ErrorBody,
  type Task,
  type TaskSource,
  type TaskStatus,
  type TaskSubmitParams,
} from '../protocol/index.js';
import type { TaskStore, TaskLogEntry, TaskPage, ListTasksOptions } from '../store/index.js';
import type { Logger } from 'pino';
import { buildTask } from './task-factory.js';
import { TaskIndex, allTasksWith } from './task-index.js';
import { logTaskEnd } from './task-log.js';
import { dependencyFailed, executionTimeout, nodeLost, queueTimeout } from './task-errors.js';
import { NodePool, type NodeHandle } from './node-pool.js';
import { dependencyState } from './dependency-state.js';
import { Subscriptions, type Subscriber } from './subscriptions.js';

export interface SchedulerOptions {
  tasks: TaskStore;
  logger: Logger;
  /** Seconds, as in config.yaml `tasks:`. */
  defaultTimeout: number;
  queueTimeout: number;
  longTaskWarning: number;
  lease: number;
  maxAttempts: number;
  /** Called on state changes, for metrics. */
  hooks?: SchedulerHooks;
  now?: () => number;
  /** How often timeouts and leases are checked (ms). Default 1000. */
  sweepIntervalMs?: number;
}

export interface SchedulerHooks {
  onTransition?(task: Task, from: TaskStatus | null): void;
  onLongRunning?(task: Task): void;
}

export class Scheduler extends EventEmitter {
  readonly nodes = new NodePool();
  readonly subscriptions = new Subscriptions();
  private readonly tasks: TaskStore;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly idx = new TaskIndex();
  private dispatchScheduled = false;
  /**
   * Dependents being released right now: between the end that frees a slot and their move to
   * `queued`, a submit must not take that slot through the fast path ahead of them.
   */
  private promoting = 0;
  /** Fast-path tasks sent to their node before their insert committed, by id. */
  private readonly uncommitted = new Map<string, Promise<void>>();
  private dispatching: Promise<void> | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly opts: SchedulerOptions) {
    super();
    this.setMaxListeners(0);
    this.tasks = opts.tasks;
    this.log = opts.logger;
    this.now = opts.now ?? Date.now;
  }

  get leaseMs(): number {
    return this.opts.lease * 1000;
  }

  async start(): Promise<void> {
    for (const status of ['queued', 'running'] as const) {
      for await (const t of allTasksWith(this.tasks, status))
        // The store does not say when a promoted or re-queued task became runnable; its clock starts
        // now, which errs on the side of waiting. A fresh task's clock started at creation.
        this.index(t, t.attempt === 0 && t.depends_on.length === 0 ? Date.parse(t.created_at) : this.now());
    }
    // A crash between a dependency's end and the promotion of its dependents would leave them waiting
    // for good; settle them now (promote, or fail naming the dependency).
    const waiting: string[] = [];
    for await (const t of allTasksWith(this.tasks, 'waiting')) {
      this.index(t);
      waiting.push(t.id);
    }
    for (const id of waiting) await this.promoteIfReady(id);
    this.sweepTimer = setInterval(
      () => void this.sweep().catch((err) => this.log.error({ event: 'sweep_failed', err }, 'sweep failed')),
      this.opts.sweepIntervalMs ?? 1000,
    );
    this.sweepTimer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.nodes.clearTimers();
    await this.dispatching;
  }

  /** Resolves when no task is running on this gateway's nodes, or at the deadline. */
  async drain(deadline: number): Promise<void> {
    this.stopped = true; // no new dispatches while draining
    // Only tasks on connected nodes can still finish: a draining gateway refuses new connections, so a
    // node that left cannot come back to report before the exit. Its tasks stay running in the store,
    // to be re-attached when it reconnects after the restart or re-queued when their leases run out.
    while (this.nodes.heldCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  }

  private index(t: Task, queuedAt = this.now()): void {
    this.idx.update(t, queuedAt);
  }

  /** Queued tasks by priority, for the queue-depth gauge. */
  queuedByPriority(): Record<string, number> {
    return this.idx.queuedByPriority();
  }

  get runningCount(): number {
    return this.idx.runningCount;
  }

  // ---- channel side ------------------------------------------------------------------------------

  async submit(params: TaskSubmitParams, source: TaskSource): Promise<{ task: Task; created: boolean }> {
    const task = buildTask(params, source, { defaultTimeout: this.opts.defaultTimeout }, this.now());
    const deps = await Promise.all(
      task.depends_on.map(async (id) => ({ id, task: await this.tasks.get(id) })),
    );
    for (const d of deps) {
      if (d.id === task.id) throw new GatewayError('GW_ERR_TASK_DEPENDENCY_CYCLE', { id: d.id });
      if (!d.task) throw new GatewayError('GW_ERR_TASK_DEPENDENCY_UNKNOWN', { id: d.id });
    }
    const state = dependencyState(deps.map((d) => d.task));
    if (state.kind === 'failed') {
      task.status = 'failed';
      task.finished_at = new Date(this.now()).toISOString();
      task.error = dependencyFailed(state.dep.id, state.dep.status);
    } else if (state.kind === 'waiting') task.status = 'waiting';

    // Nothing queued and a node free: the task is stored already running on it, which spares a claim
    // and a dispatch pass. With anything queued it queues behind it, so the fast path never overtakes
    // a task of any priority.
    const node =
      task.status === 'queued' && !this.stopped && this.idx.queuedCount === 0 && this.promoting === 0
        ? this.nodes.freeNodeFor(task)
        : undefined;
    // Without an idempotency key the insert can only fail if the store does, so the task goes to the
    // node now, before the insert commits (at the end of the turn), as a claim goes before its fsync:
    // it starts without waiting for the rest of the turn's work. With a key it may be a repeat, which
    // must not run, so it goes once committed.
    const early = node !== undefined && params.idempotency_key === undefined;
    const now = this.now();
    if (node) {
      Object.assign(task, { status: 'running', node_id: node.id, attempt: 1 });
      task.started_at = new Date(now).toISOString();
      this.nodes.hold(node.id, task.id); // the slot is taken from now, or a dispatch pass could fill it
    }
    let settled = () => {};
    if (early) {
      this.uncommitted.set(task.id, new Promise<void>((resolve) => (settled = resolve)));
      this.index(task);
      this.assign(node, task);
    }
    let committed = false;
    let res: { task: Task; created: boolean };
    try {
      res = await this.tasks.insert(task, {
        ...(params.idempotency_key ? { idempotencyKey: params.idempotency_key } : {}),
        ...(node ? { leaseExpiresMs: now + this.leaseMs } : {}),
        onCommitted: (r) => {
          committed = true;
          if (r.created) this.accepted(r.task, node, early);
          // An earlier task with the idempotency key: the slot taken for this one is not needed.
          else if (node) this.nodes.release(node.id, task.id);
        },
      });
    } catch (err) {
      if (node && !committed) {
        if (!early) this.nodes.release(node.id, task.id);
        else {
          // Never stored, never acknowledged: the node (its current connection) is told to stop it,
          // and the slot stays taken until it has; its reports then find no task.
          this.idx.forget(task.id);
          const current = this.nodes.get(node.id) ?? node;
          this.awaitStop(current.id, task.id);
          current.send('task.cancel', { id: task.id, reason: 'the gateway could not store the task' });
        }
      }
      throw err;
    } finally {
      if (early) {
        this.uncommitted.delete(task.id);
        settled();
      }
    }
    if (res.created && res.task.status === 'waiting') await this.promoteIfReady(res.task.id); // a dependency may have finished meanwhile
    return res;
  }

  /**
   * A submitted task is committed: announced, and sent to the node it was stored running on unless it
   * went there before the commit (`sent`).
   */
  private accepted(task: Task, node: NodeHandle | undefined, sent: boolean): void {
    // Per-task steps log at debug; task_completed (and every failure) stays at info, as in seed 10.3.
    this.log.debug(
      {
        event: 'task_submitted',
        task_id: task.id,
        workspace: task.workspace,
        priority: task.priority,
        status: task.status,
        source: task.source,
      },
      'task submitted',
    );
    if (!node) {
      this.transitioned(task, null);
      this.kick();
    } else if (sent) {
      // Already with the node; had it left meanwhile, its lease or its reconnect settles the task.
      this.transitioned(task, null);
    } else if (this.stopped || this.nodes.get(node.id) !== node) {
      // The node left or a drain began while the insert committed: queued instead, as a claim would be.
      void this.handBack(task, node.id)
        .then((q) => {
          this.nodes.release(node.id, task.id);
          if (q) {
            this.transitioned(q, null);
            this.kick();
          }
        })
        .catch((err: unknown) =>
          this.log.error({ event: 'dispatch_failed', task_id: task.id, err }, 'could not queue the task'),
        );
    } else {
      this.transitioned(task, null);
      this.assign(node, task);
    }
  }

  get(id: string): Promise<Task | null> {
    return this.tasks.get(id);
  }

  async mustGet(id: string): Promise<Task> {
    const t = await this.tasks.get(id);
    if (!t) throw new GatewayError('GW_ERR_TASK_NOT_FOUND', { id });
    return t;
  }

  list(opts: ListTasksOptions): Promise<TaskPage> {
    return this.tasks.list(opts);
  }

  async logs(id: string): Promise<TaskLogEntry[]> {
    await this.mustGet(id);
    return this.tasks.logs(id);
  }

  subscribe(sub: Subscriber, taskId?: string): void {
    this.subscriptions.subscribe(sub, taskId);
  }

  async cancel(id: string, reason = 'cancelled by request'): Promise<Task> {
    const t = await this.mustGet(id);
    if (isTerminal(t.status)) throw new GatewayError('GW_ERR_TASK_NOT_ACTIVE', { id, status: t.status });
    const error: ErrorBody = {
      code: 'GW_ERR_TASK_CANCELLED',
      message: `task cancelled: ${reason}`,
      retryable: false,
    };
    const onNode = t.status === 'running' && t.node_id !== null;
    const updated = await this.finish(id, [t.status], 'cancelled', { error }, undefined, onNode);
    if (!updated) return this.cancel(id, reason); // it moved on meanwhile; decide again on the new state
    if (t.status === 'running' && t.node_id) this.nodes.get(t.node_id)?.send('task.cancel', { id, reason });
    return updated;
  }

  /** Resolves with the task once it has ended, or with its current state when `signal` aborts. */
  async waitForEnd(id: string, signal?: AbortSignal): Promise<Task> {
    const t = await this.mustGet(id);
    if (isTerminal(t.status)) return t;
    return new Promise<Task>((resolve) => {
      const done = (task: Task) => {
        cleanup();
        resolve(task);
      };
      const onAbort = () => {
        cleanup();
        void this.mustGet(id).then(resolve, () => resolve(t));
      };
      const cleanup = () => {
        this.off(`end:${id}`, done);
        signal?.removeEventListener('abort', onAbort);
      };
      this.on(`end:${id}`, done);
      signal?.addEventListener('abort', onAbort, { once: true });
      // The end may have happened between the read above and the listener.
      void this.tasks.get(id).then((now) => now && isTerminal(now.status) && done(now));
    });
  }

  // ---- node side ---------------------------------------------------------------------------------

  /** A node connected (or reconnected): re-attach what it still runs, re-queue what it lost (R3.3). */
  async nodeConnected(handle: NodeHandle, stillRunning: string[]): Promise<void> {
    const replaced = this.nodes.add(handle);
    if (replaced) replaced.close(4409, 'replaced by a newer connection of the same node');
    const claimed = new Set(stillRunning);
    // A task sent before its insert committed is not in the store yet: listed too early, it would
    // look like one the node should not run.
    if (this.uncommitted.size > 0) await Promise.allSettled([...this.uncommitted.values()]);
    const page = await this.tasks.list({ status: 'running', limit: 1000 });
    for (const t of page.tasks.filter((x) => x.node_id === handle.id)) {
      if (claimed.has(t.id)) {
        await this.tasks.renewLease(t.id, handle.id, this.leaseMs, this.now());
        this.nodes.hold(handle.id, t.id);
        claimed.delete(t.id);
        this.log.info(
          { event: 'task_reattached', task_id: t.id, node_id: handle.id },
          'task re-attached after reconnect',
        );
      } else {
        await this.requeueOrFail(t, 'the node reconnected without it');
      }
    }
    // The node runs tasks the gateway no longer gives it (finished elsewhere, cancelled, re-queued): stop them.
    // Until it has, they take its slots.
    for (const id of claimed) {
      this.awaitStop(handle.id, id);
      handle.send('task.cancel', { id, reason: 'task is no longer assigned to this node' });
    }
    this.log.info(
      { event: 'node_connected', node_id: handle.id, capabilities: handle.capabilities },
      'node connected',
    );
    this.kick();
  }

  /** Leases keep running; the tasks are re-queued only if the node does not come back in time. */
  nodeDisconnected(handle: NodeHandle): void {
    if (this.nodes.remove(handle))
      this.log.info({ event: 'node_disconnected', node_id: handle.id }, 'node disconnected');
  }

  private async heldBy(nodeId: string, id: string): Promise<Task> {
    const t = await this.mustGet(id);
    if (t.node_id !== nodeId || t.status !== 'running') {
      throw new GatewayError('GW_ERR_TASK_NOT_ASSIGNED', { id });
    }
    return t;
  }

  /**
   * Whether `nodeId` holds `id` as its current assignment, answered from the node pool when it can be
   * (a task is held before it is sent, released when it stops running, and marked while the gateway
   * waits for the node to stop one it ended). The pool can only say no wrongly, for a reconnect not
   * yet re-attached, so a no is checked against the task row.
   */
  private async assigned(nodeId: string, id: string): Promise<void> {
    if (this.nodes.assigned(nodeId, id)) return;
    await this.heldBy(nodeId, id);
  }

  async started(nodeId: string, id: string): Promise<void> {
    // The node waits for this answer before it runs the skill, and nothing here has to be durable
    // first (the claim set the lease; the log line is history), so the answer does not wait for them.
    await this.assigned(nodeId, id);
    // The claim set a full lease just before the assignment was sent, and the node renews it every
    // third of a lease from now on; only a start long after the claim (an assignment replayed after a
    // reconnect) needs a fresh one. A renewal is a write that moves the row in the lease index.
    const claimedAt = this.idx.runningSince(id) ?? 0;
    const renew =
      this.now() - claimedAt > this.leaseMs / 3
        ? this.tasks.renewLease(id, nodeId, this.leaseMs, this.now())
        : null;
    void Promise.all([
      renew,
      this.tasks.appendLog(id, {
        ts: new Date(this.now()).toISOString(),
        level: 'info',
        message: `started on ${nodeId}`,
      }),
    ]).catch((err: unknown) =>
      this.log.warn({ event: 'task_start_record_failed', task_id: id, err }, 'could not record the start'),
    );
  }

  async renew(nodeId: string, id: string): Promise<boolean> {
    return this.tasks.renewLease(id, nodeId, this.leaseMs, this.now());
  }

  async progress(nodeId: string, id: string, message: string, extra: Record<string, unknown>): Promise<void> {
    await this.assigned(nodeId, id);
    await this.tasks.renewLease(id, nodeId, this.leaseMs, this.now());
    if (!extra.stream)
      await this.tasks.appendLog(id, { ts: new Date(this.now()).toISOString(), level: 'info', message });
    this.subscriptions.publish(id, 'task.progress', { ...extra, id, message });
  }

  async complete(nodeId: string, id: string, result: unknown): Promise<{ accepted: boolean }> {
    const done = await this.finish(id, ['running'], 'succeeded', { result: result ?? null }, nodeId);
    return done ? { accepted: true } : this.notFinished(nodeId, id);
  }

  async fail(nodeId: string, id: string, error: ErrorBody): Promise<{ accepted: boolean }> {
    const status: TaskStatus =
      error.code === 'GW_ERR_TASK_TIMEOUT'
        ? 'timed_out'
        : error.code === 'GW_ERR_TASK_CANCELLED'
          ? 'cancelled'
          : 'failed';
    const done = await this.finish(id, ['running'], status, { error }, nodeId);
    return done ? { accepted: true } : this.notFinished(nodeId, id);
  }

  /** A node's report on a task that is no longer its running task (the compare-and-set refused it). */
  private async notFinished(nodeId: string, id: string): Promise<{ accepted: false }> {
    if (!(await this.tasks.get(id))) {
      // A task whose insert failed after it was sent: its slot was kept until this report.
      this.nodes.release(nodeId, id);
      throw new GatewayError('GW_ERR_TASK_NOT_FOUND', { id });
    }
    return this.stoppedOn(nodeId, id);
  }

  // ---- internals ---------------------------------------------------------------------------------

  /** Holds `id`'s slot on `nodeId` until the node reports the task over (or one lease passes). */
  private awaitStop(nodeId: string, id: string): void {
    this.nodes.holdUntilStopped(nodeId, id, this.leaseMs, () => this.kick());
  }

  /** A node reported the end of a task it no longer holds (cancelled, timed out, re-queued): its slot is free. */
  private stoppedOn(nodeId: string, id: string): { accepted: false } {
    this.nodes.release(nodeId, id);
    this.kick();
    return { accepted: false };
  }

  /** Moves a task to a terminal state (CAS); null if it was no longer in `from`. */
  private async finish(
    id: string,
    from: TaskStatus[],
    status: TaskStatus,
    fields: { result?: unknown; error?: ErrorBody },
    nodeId?: string,
    /** The gateway ends a task its node is still running: keep the slot until the node stops. */
    nodeStillWorking = false,
  ): Promise<Task | null> {
    const updated = await this.tasks.update(
      id,
      { status, finished_at: new Date(this.now()).toISOString(), ...fields },
      { expectStatus: from, ...(nodeId ? { expectNodeId: nodeId } : {}) },
    );
    if (!updated) return null;
    const prev = from.length === 1 ? from[0]! : null;
    if (nodeStillWorking && updated.node_id) this.awaitStop(updated.node_id, updated.id);
    this.transitioned(updated, prev, nodeStillWorking);
    await this.afterEnd(updated);
    return updated;
  }

  private transitioned(task: Task, from: TaskStatus | null, keepSlot = false): void {
    this.index(task);
    if (task.node_id && task.status !== 'running' && !keepSlot) this.nodes.release(task.node_id, task.id);
    if (isTerminal(task.status)) {
      logTaskEnd(this.log, task);
      this.emit(`end:${task.id}`, task);
      this.emit('task:end', task);
    }
    this.opts.hooks?.onTransition?.(task, from);
    this.subscriptions.publish(task.id, 'task.updated', task, isTerminal(task.status));
  }

  private async afterEnd(task: Task): Promise<void> {
    this.kick(); // a slot is free, and dependents may have become runnable
    // Every waiting task is in the index, so with none there is no dependent to look up.
    if (this.idx.waitingCount === 0) return;
    this.promoting++; // from here, in the turn the slot was freed, until the dependents are settled
    try {
      for (const dep of await this.tasks.dependents(task.id)) {
        if (dep.status !== 'waiting') continue;
        if (task.status === 'succeeded') await this.promoteIfReady(dep.id);
        else
          await this.finish(dep.id, ['waiting'], 'failed', {
            error: dependencyFailed(task.id, task.status),
          });
      }
    } finally {
      this.promoting--;
    }
  }

  private async promoteIfReady(id: string): Promise<void> {
    const t = await this.tasks.get(id);
    if (!t || t.status !== 'waiting') return;
    const state = dependencyState(await Promise.all(t.depends_on.map((d) => this.tasks.get(d))));
    if (state.kind === 'failed') {
      const { id: depId, status } = state.dep;
      await this.finish(id, ['waiting'], 'failed', { error: dependencyFailed(depId, status) });
      return;
    }
    if (state.kind === 'ready') {
      const q = await this.tasks.update(id, { status: 'queued' }, { expectStatus: ['waiting'] });
      if (q) {
        this.transitioned(q, 'waiting');
        this.kick();
      }
    }
  }

  private async requeueOrFail(t: Task, why: string): Promise<void> {
    const nodeId = t.node_id;
    if (t.attempt >= this.opts.maxAttempts) {
      await this.finish(t.id, ['running'], 'failed', {
        error: nodeLost(nodeId, why, this.opts.maxAttempts, t.attempt),
      });
      return;
    }
    const q = await this.tasks.update(
      t.id,
      { status: 'queued', node_id: null },
      { expectStatus: ['running'] },
    );
    if (!q) return;
    this.nodes.release(nodeId, t.id);
    await this.tasks.appendLog(t.id, {
      ts: new Date(this.now()).toISOString(),
      level: 'warn',
      message: `re-queued after attempt ${t.attempt}: ${why}`,
    });
    this.log.warn(
      { event: 'task_requeued', task_id: t.id, node_id: nodeId, attempt: t.attempt, reason: why },
      'task re-queued',
    );
    this.transitioned(q, 'running');
    this.kick();
  }

  /** Undoes a claim whose task was never sent: queued again, the attempt not counted. */
  private handBack(t: Task, nodeId: string): Promise<Task | null> {
    return this.tasks.update(
      t.id,
      { status: 'queued', node_id: null, attempt: Math.max(0, t.attempt - 1), started_at: null },
      { expectStatus: ['running'], expectNodeId: nodeId },
    );
  }

  /** Coalesces dispatch requests into one pass at a time. */
  kick(): void {
    if (this.dispatchScheduled || this.stopped) return;
    this.dispatchScheduled = true;
    setImmediate(() => {
      this.dispatchScheduled = false;
      const prev = this.dispatching ?? Promise.resolve();
      this.dispatching = prev
        .then(() => this.dispatch())
        .catch((err) => this.log.error({ event: 'dispatch_failed', err }, 'dispatch failed'))
        .finally(() => {
          this.dispatching = null;
        });
    });
  }

  private async dispatch(): Promise<void> {
    if (this.stopped) return;
    let progress = true;
    while (progress && this.idx.queuedCount > 0) {
      progress = false;
      for (const node of this.nodes.withFreeSlots()) {
        if (this.nodes.get(node.id) !== node) continue;
        const free = Math.min(this.nodes.freeSlots(node.id), this.idx.queuedCount);
        if (free <= 0) continue;
        // One claim per free slot, issued together; each still takes the best task the ones before it
        // left (claims run one after another inside the store).
        const claims = Array.from({ length: free }, () =>
          this.tasks.claimNext({
            capabilities: node.capabilities,
            tags: node.tags,
            nodeId: node.id,
            leaseMs: this.leaseMs,
            now: this.now(),
          }),
        );
        const claimed = (await Promise.all(claims)).filter((t): t is Task => t !== null);
        if (this.stopped || this.nodes.get(node.id) !== node) {
          // A drain began or the node left while the claims were committing: sent now, the tasks
          // could reach a node that is closing and hold the drain until their leases ran out.
          await Promise.all(claimed.map((t) => this.handBack(t, node.id)));
          continue;
        }
        for (const t of claimed) {
          progress = true;
          this.nodes.hold(node.id, t.id);
          this.transitioned(t, 'queued');
          this.assign(node, t);
        }
      }
    }
  }

  /** Sends `node` a task stored as running on it (or, on the fast path, about to be). */
  private assign(node: NodeHandle, t: Task): void {
    this.log.debug(
      { event: 'task_started', task_id: t.id, node_id: node.id, workspace: t.workspace, attempt: t.attempt },
      'task assigned',
    );
    node.send('task.assigned', { task: t, lease_ms: this.leaseMs });
  }

  private async sweep(): Promise<void> {
    const now = this.now();
    for (const t of await this.tasks.expiredLeases(now)) await this.requeueOrFail(t, 'its lease expired');
    for (const { id, timeout } of this.idx.overdue(now)) {
      const t = await this.tasks.get(id);
      const done = await this.finish(
        id,
        ['running'],
        'timed_out',
        { error: executionTimeout(timeout) },
        undefined,
        true,
      );
      if (done && t?.node_id) this.nodes.get(t.node_id)?.send('task.cancel', { id, reason: 'timeout' });
    }
    for (const { id, elapsedS } of this.idx.newlyLong(now, this.opts.longTaskWarning)) {
      const t = await this.tasks.get(id);
      if (!t || t.status !== 'running') continue;
      this.log.warn(
        {
          event: 'task_long_running',
          task_id: id,
          workspace: t.workspace,
          node_id: t.node_id,
          elapsed_s: elapsedS,
        },
        'task is running long',
      );
      this.subscriptions.publish(id, 'task.long_running', { id, elapsed_s: elapsedS });
      this.opts.hooks?.onLongRunning?.(t);
    }
    for (const task of this.idx.queueExpired(now, this.opts.queueTimeout)) {
      const capable = this.nodes.anyCapable(task);
      await this.finish(task.id, ['queued'], 'failed', {
        error: queueTimeout(this.opts.queueTimeout, task, capable),
      });
    }
  }
}
