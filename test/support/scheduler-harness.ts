/**
 * @module Test support for scheduler integration tests: config files, tokens signed with a running
 * gateway's secret, operator clients, and polling helpers over the real WebSocket API.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { GatewayClient } from '../../src/client/index.js';
import { createTokenService, InMemoryRevocationStore } from '../../src/gateway/index.js';
import { GatewayError, isTerminal, type Role, type Task } from '../../src/protocol/index.js';
import { startGatewayProcess, tempHome, type GatewayProcess } from './gateway-process.js';

/** Writes `config.yaml` into `home` and returns its path (pass it as OPENCLAW_CONFIG). */
export function writeConfig(home: string, config: Record<string, unknown>): string {
  const path = join(home, 'config.yaml');
  writeFileSync(path, stringify(config));
  return path;
}

export interface TestGateway {
  gw: GatewayProcess;
  home: string;
  /** Signs a token for `role` with the gateway's generated secret. */
  token(role: Role, subject?: string): string;
  /** An operator client, connected; closed by `close()`. */
  operator(): Promise<GatewayClient>;
  /**
   * Restarts the gateway process on the same HOME (after it was stopped or killed); with `samePort`
   * it listens where it did before, so connected nodes and CLIs can find it again.
   */
  restart(opts?: { samePort?: boolean }): Promise<GatewayProcess>;
  /** Stops the gateway, closes the clients, removes HOME. */
  close(): Promise<void>;
}

/**
 * Starts a real `openclaw gateway start --headless` with `config` as its config.yaml (port 0, its
 * own HOME, no LLM keys so agent tasks fail fast).
 */
export async function startTestGateway(
  config: Record<string, unknown> = {},
  extraEnv: Record<string, string | undefined> = {},
): Promise<TestGateway> {
  const { home, cleanup } = tempHome('openclaw-sched-');
  // A short drain, so stopping a gateway with work still running does not wait the default 30 s.
  const gateway = { drain_timeout: 2, ...((config.gateway as Record<string, unknown> | undefined) ?? {}) };
  const env = {
    OPENCLAW_CONFIG: writeConfig(home, { ...config, gateway }),
    OPENAI_API_KEY: undefined,
    ANTHROPIC_API_KEY: undefined,
    OLLAMA_HOST: undefined,
    ...extraEnv,
  };
  const clients: GatewayClient[] = [];
  let gw: GatewayProcess;
  try {
    gw = await startGatewayProcess({ home, env });
  } catch (e) {
    cleanup();
    throw e;
  }
  const secretPath = join(home, '.openclaw', 'data', 'auth.secret');
  const token = (role: Role, subject?: string): string => {
    if (!existsSync(secretPath)) throw new Error(`no auth secret at ${secretPath}`);
    const secret = readFileSync(secretPath, 'utf8').trim();
    return createTokenService({ secret, revocations: new InMemoryRevocationStore() }).issue({
      role,
      ...(subject ? { subject } : {}),
    }).token;
  };
  const t: TestGateway = {
    get gw() {
      return gw;
    },
    home,
    token,
    async operator() {
      const c = new GatewayClient({
        url: gw.wsUrl,
        token: token('operator'),
        role: 'operator',
        client: { name: 'scheduler-test', version: '1' },
        reconnect: { enabled: false },
        keepalive: { enabled: false },
      });
      await c.connect();
      clients.push(c);
      return c;
    },
    async restart(opts = {}) {
      const port = opts.samePort ? { OPENCLAW_GATEWAY_PORT: String(gw.port) } : {};
      gw = await startGatewayProcess({ home, env: { ...env, ...port } });
      return gw;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      await gw.stop('SIGTERM').catch(() => undefined);
      cleanup();
    },
  };
  return t;
}

/** Polls `fn` until it returns a truthy value, or fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export async function submit(c: GatewayClient, params: Record<string, unknown>): Promise<Task> {
  return (await c.request('task.submit', params as never)) as Task;
}

export async function getTask(c: GatewayClient, id: string): Promise<Task> {
  return (await c.request('task.get', { id })) as Task;
}

/** Waits until the task satisfies `pred` (default: it ended). */
export function waitForTask(
  c: GatewayClient,
  id: string,
  pred: (t: Task) => boolean = (t) => isTerminal(t.status),
  timeoutMs = 20_000,
): Promise<Task> {
  return waitFor(
    `task ${id}`,
    async () => {
      const t = await getTask(c, id);
      return pred(t) ? t : null;
    },
    timeoutMs,
  );
}

/** Every task in the store, following cursors. */
export async function listAll(c: GatewayClient): Promise<Task[]> {
  const out: Task[] = [];
  let cursor: string | undefined;
  do {
    const page = (await c.request('task.list', { limit: 1000, ...(cursor ? { cursor } : {}) })) as {
      tasks: Task[];
      next_cursor?: string | null;
    };
    out.push(...page.tasks);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

/** The GatewayError a request rejects with (fails the test when it resolves). */
export async function rpcError(c: GatewayClient, method: string, params?: unknown): Promise<GatewayError> {
  try {
    const res = await c.request(method, params as never);
    throw new Error(`${method} ${JSON.stringify(params)} succeeded: ${JSON.stringify(res)}`);
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
}

/** Whether a pid is gone: ESRCH, or a zombie nobody reaps (this sandbox's PID 1 does not). */
export function pidGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw e;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name, is the state.
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Kills a process group left behind by a test (best effort). */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export { tempHome };
