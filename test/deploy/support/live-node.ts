/**
 * @module A real node process (`openclaw node register ...`, seed 8.4) for the live deployment
 * tests, with its own HOME and node.yaml (TLS trust, keepalive), following its JSON log lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CLI, cliEnv, tempHome } from '../../support/gateway-process.js';

export type LogLine = Record<string, unknown>;

export interface LiveNodeOptions {
  /** `--gateway`, e.g. `wss://127.0.0.1:PORT/ws`. Required. */
  gateway: string;
  /** `--node-id`. Required. */
  nodeId: string;
  /** `--auth-token` (a node-role token). Default none (e.g. a node authenticated by its mTLS certificate). */
  token?: string;
  /** `--capabilities`. Default `["shell"]`. */
  capabilities?: string[];
  /**
   * `~/.openclaw/node.yaml` of the node (seed 9.4 keys, e.g. `connection.tls.ca`, `keepalive`).
   * Default: fast reconnects (100 ms .. 1 s), so a drop shows up quickly in the logs.
   */
  nodeYaml?: Record<string, unknown>;
  /** Extra environment (e.g. NODE_OPTIONS, NODE_EXTRA_CA_CERTS). Default none. */
  env?: Record<string, string | undefined>;
  /** Wait this long for `node_registered`. Default 15000 ms. */
  timeoutMs?: number;
}

export interface LiveNode {
  child: ChildProcess;
  logs: LogLine[];
  output(): string;
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** SIGTERM (SIGKILL after 10 s) and removal of the node's HOME. Idempotent. */
  stop(): Promise<void>;
}

export async function startLiveNode(opts: LiveNodeOptions): Promise<LiveNode> {
  const { home, cleanup } = tempHome('openclaw-live-node-');
  mkdirSync(join(home, '.openclaw'), { recursive: true });
  const nodeYaml = opts.nodeYaml ?? {
    reconnect: { initial_delay_ms: 100, max_delay_ms: 1000 },
  };
  writeFileSync(join(home, '.openclaw', 'node.yaml'), stringify(nodeYaml));
  const args = [
    CLI,
    'node',
    'register',
    '--gateway',
    opts.gateway,
    '--node-id',
    opts.nodeId,
    '--capabilities',
    (opts.capabilities ?? ['shell']).join(','),
    ...(opts.token ? ['--auth-token', opts.token] : []),
    '--workspace-dir',
    join(home, 'workspaces'),
  ];
  const child = spawn(process.execPath, args, {
    env: cliEnv(home, opts.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  let text = '';
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    text += d.toString();
    partial += d.toString();
    let i: number;
    while ((i = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, i);
      partial = partial.slice(i + 1);
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        // not a log line
      }
    }
    for (const w of [...waiters]) w();
  });
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  let exited: string | null = null;
  const gone = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = `exited with ${code ?? signal}`;
      for (const w of [...waiters]) w();
      resolve();
    }),
  );

  const waitForLog = (pred: (l: LogLine) => boolean, timeoutMs = 15_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const hit = logs.find(pred);
        if (hit) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        } else if (exited !== null) {
          waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`node ${opts.nodeId} ${exited}:\n${text}`));
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`node ${opts.nodeId}: log line not seen within ${timeoutMs} ms:\n${text}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  let stopped = false;
  const node: LiveNode = {
    child,
    logs,
    output: () => text,
    waitForLog,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (exited === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await gone;
        clearTimeout(t);
      }
      cleanup();
    },
  };
  try {
    await waitForLog((l) => l.event === 'node_registered', opts.timeoutMs ?? 15_000);
  } catch (err) {
    await node.stop();
    throw err;
  }
  return node;
}
