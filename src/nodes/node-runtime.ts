/**
 * @module The node runtime: connects as `role: node`, runs assigned tasks with its skills, streams
 * progress, renews leases, and survives gateway restarts and network drops without losing results.
 */
import { join } from 'node:path';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { GatewayClient, type GatewayClientOptions } from '../client/index.js';
import { GatewayError, type ErrorBody, type NodeDeclaration, type Task } from '../protocol/index.js';
import { createSkillContext, type SkillRegistry, type SkillContext } from '../skills/index.js';
import type { NodeLink } from './node-link.js';

/** Runs an agent instruction (`task.task`); supplied by the LLM layer. */
export type AgentRunner = (task: Task, ctx: SkillContext, gateway: NodeLink) => Promise<unknown>;

export interface NodeRuntimeOptions {
  /** The gateway's WebSocket URL; or `link` instead, for a node inside the gateway process. */
  url?: string;
  /** Builds the link from this node's declaration (which the runtime keeps current). */
  link?: (declaration: NodeDeclaration) => NodeLink;
  token?: string;
  nodeId?: string;
  capabilities: string[];
  tags?: string[];
  /** Tasks run at once. Default 4. */
  concurrency?: number;
  /** Root under which each workspace gets a directory. */
  workspaceRoot: string;
  skills: SkillRegistry;
  agent?: AgentRunner;
  logger: Logger;
  clientName?: string;
  reconnect?: GatewayClientOptions['reconnect'];
  keepalive?: GatewayClientOptions['keepalive'];
  tls?: GatewayClientOptions['tls'];
}

interface Running {
  task: Task;
  ac: AbortController;
  renew: NodeJS.Timeout;
}

/** Room left in a frame for the request envelope's own fields. */
const FRAME_SLACK = 256;

/** Bytes of a request frame, as the gateway's max_message_size counts them (UTF-8 payload). */
function frameBytes(method: string, params: unknown): number {
  return Buffer.byteLength(JSON.stringify({ type: 'req', id: '', method, params }), 'utf8');
}

export function defaultNodeId(): string {
  return `node-${hostname()}`;
}

export class NodeRuntime {
  readonly id: string;
  private readonly link: NodeLink;
  /** The WebSocket client of a remote node; null for an in-process link. */
  readonly client: GatewayClient | null = null;
  /**
   * Mutated in place: a GatewayClient re-sends it, with the current `running`, on reconnect; an
   * in-process link hands the gateway this very object, which is then its `conn.node`.
   */
  private readonly declaration: NodeDeclaration;
  private readonly running = new Map<string, Running>();
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly opts: NodeRuntimeOptions) {
    this.id = opts.nodeId ?? defaultNodeId();
    this.log = opts.logger.child({ component: 'node', node_id: this.id });
    this.declaration = {
      id: this.id,
      capabilities: opts.capabilities,
      tags: opts.tags ?? [],
      concurrency: opts.concurrency ?? 4,
      running: [],
    };
    if (opts.link) this.link = opts.link(this.declaration);
    else if (opts.url) this.link = this.client = this.connectOver(opts.url);
    else throw new Error('NodeRuntime needs a url or a link');
    this.link.onEvent('task.assigned', (payload) => {
      const p = payload as { task: Task; lease_ms: number };
      void this.run(p.task, p.lease_ms);
    });
    this.link.onEvent('task.cancel', (payload) => {
      const p = payload as { id: string; reason: string };
      const r = this.running.get(p.id);
      if (r) {
        this.log.info({ event: 'task_cancel_received', task_id: p.id, reason: p.reason }, 'stopping task');
        r.ac.abort(new GatewayError('GW_ERR_TASK_CANCELLED', { reason: p.reason }));
      }
    });
  }

  private connectOver(url: string): GatewayClient {
    const opts = this.opts;
    const client = new GatewayClient({
      url,
      ...(opts.token ? { token: opts.token } : {}),
      role: 'node',
      client: { name: opts.clientName ?? 'openclaw-node', version: '1' },
      node: this.declaration,
      ...(opts.reconnect ? { reconnect: opts.reconnect } : {}),
      ...(opts.keepalive ? { keepalive: opts.keepalive } : {}),
      ...(opts.tls ? { tls: opts.tls } : {}),
    });
    client.on('reconnecting', (info) =>
      this.log.warn({ event: 'node_reconnecting', ...info }, 'reconnecting'),
    );
    client.on('reconnected', () => this.log.info({ event: 'node_reconnected' }, 'reconnected'));
    client.on('fatal', (err) =>
      this.log.error({ event: 'node_fatal', code: err.code, err: err.message }, 'gateway refused this node'),
    );
    return client;
  }

  get runningCount(): number {
    return this.running.size;
  }

  async start(): Promise<void> {
    await this.link.connect({ retry: true });
    this.log.info(
      { event: 'node_registered', capabilities: this.declaration.capabilities },
      `node ${this.id} registered`,
    );
  }

  /** Stops taking work; running tasks are cancelled when `cancelRunning`, otherwise awaited up to the deadline. */
  async stop(opts: { deadline?: number; cancelRunning?: boolean } = {}): Promise<void> {
    this.stopped = true;
    const deadline = opts.deadline ?? Date.now() + 10_000;
    if (opts.cancelRunning)
      for (const r of this.running.values())
        r.ac.abort(new GatewayError('GW_ERR_TASK_CANCELLED', { reason: 'node stopping' }));
    while (this.running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await this.link.close();
    await this.opts.skills.dispose?.();
  }

  private syncDeclaration(): void {
    this.declaration.running = [...this.running.keys()];
  }

  /**
   * Sends a node report, retrying across reconnects: a result must reach the gateway even when the
   * connection drops right as the task ends (the gateway ignores a duplicate).
   */
  private async report(
    method: 'task.started' | 'task.progress' | 'task.complete' | 'task.fail' | 'task.renew',
    params: Record<string, unknown>,
    persistent: boolean,
  ): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.link.request(method, params);
      } catch (err) {
        const retry =
          err instanceof GatewayError &&
          (err.code === 'GW_ERR_GATEWAY_UNREACHABLE' || err.code === 'GW_ERR_GATEWAY_TIMEOUT');
        if (!retry || !persistent || this.link.state === 'closed') throw err;
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
      }
    }
  }

  private async run(task: Task, leaseMs: number): Promise<void> {
    if (this.running.has(task.id)) return; // duplicate assignment (replayed event): already running
    if (this.stopped) return;
    const ac = new AbortController();
    const renew = setInterval(
      () => {
        void this.report('task.renew', { id: task.id }, false).catch(() => undefined);
      },
      Math.max(200, Math.floor(leaseMs / 3)),
    );
    renew.unref();
    this.running.set(task.id, { task, ac, renew });
    this.syncDeclaration();
    const t0 = Date.now();
    try {
      await this.report('task.started', { id: task.id }, true);
      const ctx = await createSkillContext({
        taskId: task.id,
        workspaceDir: join(this.opts.workspaceRoot, task.workspace),
        signal: ac.signal,
        ...(task.timeout ? { timeoutMs: task.timeout * 1000 } : {}),
        progress: (message, data) => {
          void this.report('task.progress', { id: task.id, message, ...(data ?? {}) }, false).catch(
            () => undefined,
          );
        },
        log: {
          info: (m) => this.log.info({ task_id: task.id }, m),
          warn: (m) => this.log.warn({ task_id: task.id }, m),
          error: (m) => this.log.error({ task_id: task.id }, m),
        },
      });
      let result: unknown;
      if (task.skill) {
        result = await this.opts.skills.invoke(task.skill, task.args ?? {}, ctx);
        // A direct call is the whole task, so the skill decides whether its result is a failure.
        this.opts.skills.get(task.skill)?.taskOutcome?.(result);
      } else if (this.opts.agent) result = await this.opts.agent(task, ctx, this.link);
      else {
        throw new GatewayError(
          'GW_ERR_LLM_NOT_CONFIGURED',
          {},
          'this node cannot run agent instructions: no LLM provider is configured on the gateway (set OPENAI_API_KEY, ANTHROPIC_API_KEY or OLLAMA_HOST)',
        );
      }
      const done = { id: task.id, result: result ?? null };
      const limit = this.link.connectResult?.policy.max_message_size;
      const size = frameBytes('task.complete', done);
      // The gateway closes the socket (1009) on a frame over its limit; the report, retried after each
      // reconnect, would flap the connection forever and the task would never end. Fail it clearly.
      if (limit !== undefined && size > limit - FRAME_SLACK) {
        throw new GatewayError('GW_ERR_TASK_FAILED', {
          reason: `the result is ${size} bytes as JSON, more than the gateway accepts in one message (gateway.websocket.max_message_size: ${limit}); write large output to a file in the workspace instead`,
          result_bytes: size,
          max_message_size: limit,
        });
      }
      await this.report('task.complete', done, true);
      // The gateway logs task_completed at info for every task; this line repeats it from the node.
      this.log.debug(
        { event: 'task_done', task_id: task.id, workspace: task.workspace, duration_ms: Date.now() - t0 },
        'task done',
      );
    } catch (err) {
      const body: ErrorBody =
        err instanceof GatewayError
          ? err.toBody()
          : {
              code: 'GW_ERR_TASK_FAILED',
              message: err instanceof Error ? err.message : String(err),
              retryable: false,
            };
      await this.report('task.fail', { id: task.id, error: body }, true).catch((e: unknown) =>
        this.log.warn(
          { event: 'report_failed', task_id: task.id, err: (e as Error).message },
          'could not report failure',
        ),
      );
    } finally {
      clearInterval(renew);
      this.running.delete(task.id);
      this.syncDeclaration();
    }
  }
}
