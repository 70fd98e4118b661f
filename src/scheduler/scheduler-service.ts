/** @module Plugs the scheduler into a gateway: task and node methods, REST routes and node connections. */
import type { z } from 'zod';
import {
  GatewayError,
  METHODS,
  TaskSubmitParamsSchema,
  type ErrorBody,
  type TaskSource,
  type TaskSubmitParams,
} from '../protocol/index.js';
import type { CallContext, GatewayContext, GatewayService, Peer, ServiceFactory } from '../gateway/index.js';
import { Scheduler } from './scheduler.js';
import type { NodeHandle } from './node-pool.js';

function sourceOf(clientName: string): TaskSource {
  if (clientName === 'openclaw-cli') return 'cli';
  if (clientName === 'openclaw-web') return 'web';
  return 'ws';
}

/** Validates REST input with a method's params schema; the error names the failing path, as over WebSocket. */
function parseWith<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const res = schema.safeParse(input);
  if (res.success) return res.data;
  const issue = res.error.issues[0]!;
  const path = issue.path.map(String).join('.');
  throw new GatewayError('GW_ERR_PROTOCOL_INVALID_PARAMS', {
    reason: `${path || 'params'}: ${issue.message}`,
    path,
  });
}

function parseSubmitBody(body: unknown): { params: TaskSubmitParams; async: boolean } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new GatewayError('GW_ERR_TASK_INVALID', {
      reason: 'the body must be a JSON object like {"task": "...", "async": true}',
    });
  }
  const { async, ...rest } = body as Record<string, unknown>;
  if (async !== undefined && typeof async !== 'boolean') {
    throw new GatewayError('GW_ERR_PROTOCOL_INVALID_PARAMS', {
      reason: 'async: expected true or false',
      path: 'async',
    });
  }
  return { params: parseWith(TaskSubmitParamsSchema, rest), async: async === true };
}

/** prom-client calls a gauge's `collect` before each scrape; it is a constructor option, so set it here. */
function setCollect(gauge: object, collect: () => void): void {
  (gauge as { collect?: () => void }).collect = collect;
}

export interface SchedulerServiceOptions {
  /** Receives the scheduler once created (the CLI's local node and tests use it). */
  onReady?: (s: Scheduler) => void;
}

export function schedulerService(opts: SchedulerServiceOptions = {}): ServiceFactory {
  return async (ctx: GatewayContext): Promise<GatewayService> => {
    const t = ctx.config.tasks;
    const m = ctx.metrics;
    const scheduler: Scheduler = new Scheduler({
      tasks: ctx.stores.tasks,
      logger: ctx.logger.child({ component: 'scheduler' }),
      defaultTimeout: t.default_timeout,
      queueTimeout: t.queue_timeout,
      longTaskWarning: t.long_task_warning,
      lease: t.lease,
      maxAttempts: t.max_attempts,
      hooks: {
        onTransition: (task) => {
          if (task.status === 'succeeded') m.tasksCompleted.inc();
          if (task.status === 'failed' || task.status === 'timed_out') m.tasksFailed.inc();
          if (task.finished_at && task.started_at) {
            m.taskDuration.observe((Date.parse(task.finished_at) - Date.parse(task.started_at)) / 1000);
          }
        },
        onLongRunning: () => m.tasksLongRunning.inc(),
      },
    });
    // The gauges are read from the scheduler's index when scraped: right from the first scrape after a
    // restart with queued tasks, and O(queue) per scrape instead of per transition.
    setCollect(m.tasksQueued, () => {
      for (const [priority, n] of Object.entries(scheduler.queuedByPriority()))
        m.tasksQueued.set({ priority }, n);
    });
    setCollect(m.tasksRunning, () => m.tasksRunning.set(scheduler.runningCount));
    const r = ctx.server.router;
    const subscriber = (c: CallContext) => ({
      id: c.session.id,
      emit: (e: string, p?: unknown) => c.session.emit(e, p),
    });

    r.register('task.submit', async (p, c) => {
      // Same answer as REST during a drain: the client retries against the next gateway or start.
      if (ctx.server.status === 'draining') throw new GatewayError('GW_ERR_GATEWAY_DRAINING');
      return (await scheduler.submit(p, sourceOf(c.clientName))).task;
    });
    r.register('task.get', (p) => scheduler.mustGet(p.id));
    r.register('task.list', (p) =>
      scheduler.list({
        ...(p?.status ? { status: p.status } : {}),
        ...(p?.workspace ? { workspace: p.workspace } : {}),
        ...(p?.limit ? { limit: p.limit } : {}),
        ...(p?.cursor ? { cursor: p.cursor } : {}),
      }),
    );
    r.register('task.cancel', (p) => scheduler.cancel(p.id, p.reason));
    r.register('task.logs', async (p) => ({ id: p.id, logs: await scheduler.logs(p.id) }));
    r.register('task.subscribe', async (p, c) => {
      if (p?.id) await scheduler.mustGet(p.id);
      scheduler.subscribe(subscriber(c), p?.id);
      return { subscribed: true, id: p?.id ?? null };
    });
    r.register('node.list', () => ({ nodes: scheduler.nodes.list() }));
    const nodeOf = (c: CallContext) => {
      if (!c.nodeId)
        throw new GatewayError('GW_ERR_AUTH_FORBIDDEN_ROLE', {
          role: c.role,
          action: 'act as a node without declaring one',
        });
      return c.nodeId;
    };
    r.register('task.started', async (p, c) => {
      await scheduler.started(nodeOf(c), p.id);
      return { ok: true };
    });
    r.register('task.progress', async (p, c) => {
      const { id, message, ...extra } = p;
      await scheduler.progress(nodeOf(c), id, message, extra);
      return { ok: true };
    });
    r.register('task.renew', async (p, c) => ({ renewed: await scheduler.renew(nodeOf(c), p.id) }));
    r.register('task.complete', (p, c) => scheduler.complete(nodeOf(c), p.id, p.result));
    r.register('task.fail', (p, c) => scheduler.fail(nodeOf(c), p.id, p.error as ErrorBody));

    const rest = ctx.server.rest;
    const ops = ['operator', 'admin'] as const;
    rest.route('POST', '/api/tasks', ops, async (req) => {
      const { params, async } = parseSubmitBody(req.body);
      const { task } = await scheduler.submit(params, 'api');
      if (async) return { status: 202, body: task };
      return { status: 200, body: await scheduler.waitForEnd(task.id, req.signal) };
    });
    rest.route('GET', '/api/tasks', ops, async (req) => {
      const q = req.query;
      const limit = q.get('limit');
      if (limit !== null && !/^\d+$/.test(limit))
        throw new GatewayError('GW_ERR_PROTOCOL_INVALID_PARAMS', {
          reason: 'limit: expected a whole number',
          path: 'limit',
        });
      // The same schema as task.list, so REST and WebSocket accept and refuse the same filters.
      const p = parseWith(METHODS['task.list'].params, {
        ...(q.get('status') !== null ? { status: q.get('status') } : {}),
        ...(q.get('workspace') !== null ? { workspace: q.get('workspace') } : {}),
        ...(limit !== null ? { limit: Number(limit) } : {}),
        ...(q.get('cursor') !== null ? { cursor: q.get('cursor') } : {}),
      });
      return { status: 200, body: await scheduler.list(p ?? {}) };
    });
    rest.route('GET', '/api/tasks/:id', ops, async (req) => ({
      status: 200,
      body: await scheduler.mustGet(req.params.id!),
    }));
    rest.route('GET', '/api/tasks/:id/logs', ops, async (req) => ({
      status: 200,
      body: { id: req.params.id, logs: await scheduler.logs(req.params.id!) },
    }));
    rest.route('POST', '/api/tasks/:id/cancel', ops, async (req) => {
      const body = req.body === undefined ? {} : req.body;
      if (!body || typeof body !== 'object' || Array.isArray(body))
        throw new GatewayError('GW_ERR_PROTOCOL_INVALID_PARAMS', {
          reason: 'the body must be a JSON object like {"reason": "..."}',
          path: '',
        });
      const p = parseWith(METHODS['task.cancel'].params, { ...body, id: req.params.id });
      return { status: 200, body: await scheduler.cancel(p.id, p.reason) };
    });
    rest.route('GET', '/api/nodes', ops, () => ({ status: 200, body: { nodes: scheduler.nodes.list() } }));

    const handles = new Map<Peer, NodeHandle>();
    ctx.server.on('connection:open', (conn) => {
      if (conn.role !== 'node' || !conn.node) return;
      const decl = conn.node;
      const handle: NodeHandle = {
        id: decl.id,
        capabilities: decl.capabilities,
        tags: decl.tags ?? [],
        concurrency: decl.concurrency ?? 1,
        connectedAt: conn.connectedAt,
        local: conn.inProcess,
        send: (event, payload) => conn.emit(event, payload),
        close: (code, reason) => conn.close(code, reason),
      };
      handles.set(conn, handle);
      void scheduler
        .nodeConnected(handle, decl.running ?? [])
        .catch((err) => ctx.logger.error({ event: 'node_attach_failed', err }, 'node attach failed'));
    });
    ctx.server.on('connection:close', (conn) => {
      const h = handles.get(conn);
      if (!h) return;
      handles.delete(conn);
      scheduler.nodeDisconnected(h);
    });
    ctx.server.sessions.onExpire((s) => scheduler.subscriptions.drop(s.id));

    await scheduler.start();
    ctx.shared.set('scheduler', scheduler);
    opts.onReady?.(scheduler);
    return {
      name: 'scheduler',
      drain: (deadline) => scheduler.drain(deadline),
      stop: () => scheduler.stop(),
    };
  };
}
