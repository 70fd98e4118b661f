/**
 * @module Test support: runs `openclaw node register ...` (seed 8.4) as a real child process with its
 * own HOME and workspace dir, and follows its JSON log lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CLI, cliEnv, tempHome } from './gateway-process.js';

export type LogLine = Record<string, unknown>;

export interface NodeProcess {
  child: ChildProcess;
  id: string;
  pid: number;
  home: string;
  workspaceDir: string;
  logs: LogLine[];
  stderr(): string;
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Sends a signal (default SIGTERM) and resolves once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when the process exits by itself. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Removes the node's temporary HOME (after stop). */
  cleanup(): void;
}

export interface NodeProcessOptions {
  /** `node register` (seed 8.4, the default) or `node start` (reads node.yaml, seed 9.4). */
  command?: 'register' | 'start';
  /** `--gateway`, e.g. `ws://127.0.0.1:PORT/ws`. Default none (node.yaml's `connection.gateway_url`). */
  gateway?: string;
  /** `--node-id`. Required: it names the process in test messages. */
  nodeId: string;
  /** `--capabilities` list. Default none (node.yaml's). */
  capabilities?: string[];
  /** `--auth-token`. Default none (node.yaml's, or $OPENCLAW_AUTH_TOKEN). */
  token?: string;
  /** `--tags`. Default none. */
  tags?: string[];
  /** `--concurrency`. Default: the node.yaml default (4). */
  concurrency?: number;
  /**
   * Written to `~/.openclaw/node.yaml` of the node's HOME (seed 9.4 keys): an object, or YAML text as
   * is. Default: fast reconnects (100 ms initial, 1 s max) so tests do not wait on the seed's 1 s .. 60 s.
   */
  nodeYaml?: Record<string, unknown> | string;
  /** Extra environment. */
  env?: Record<string, string | undefined>;
  /** Wait this long for `node_registered`. Default 15000 ms. */
  timeoutMs?: number;
  /** Wait for the `node_registered` log line before resolving. Default true. */
  waitRegistered?: boolean;
}

export async function startNodeProcess(opts: NodeProcessOptions): Promise<NodeProcess> {
  const { home, cleanup } = tempHome('openclaw-node-');
  const workspaceDir = join(home, 'workspaces');
  mkdirSync(join(home, '.openclaw'), { recursive: true });
  writeFileSync(
    join(home, '.openclaw', 'node.yaml'),
    typeof opts.nodeYaml === 'string'
      ? opts.nodeYaml
      : stringify(
          opts.nodeYaml ?? { reconnect: { initial_delay_ms: 100, max_delay_ms: 1000, jitter: true } },
        ),
  );
  const args = [
    CLI,
    'node',
    opts.command ?? 'register',
    ...(opts.gateway !== undefined ? ['--gateway', opts.gateway] : []),
    '--node-id',
    opts.nodeId,
    ...(opts.capabilities ? ['--capabilities', opts.capabilities.join(',')] : []),
    ...(opts.token !== undefined ? ['--auth-token', opts.token] : []),
    '--workspace-dir',
    workspaceDir,
    ...(opts.tags?.length ? ['--tags', opts.tags.join(',')] : []),
    ...(opts.concurrency !== undefined ? ['--concurrency', String(opts.concurrency)] : []),
  ];
  const child = spawn(process.execPath, args, {
    env: cliEnv(home, opts.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const waiters: Array<{ pred: (l: LogLine) => boolean; resolve(l: LogLine): void }> = [];
  let buf = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let rec: LogLine;
      try {
        rec = JSON.parse(line) as LogLine;
      } catch {
        continue;
      }
      logs.push(rec);
      for (const w of [...waiters]) {
        if (w.pred(rec)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(rec);
        }
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitForLog = (pred: (l: LogLine) => boolean, timeoutMs = 15_000): Promise<LogLine> => {
    const hit = logs.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise<LogLine>((resolve, reject) => {
      const t = setTimeout(() => {
        reject(new Error(`node ${opts.nodeId}: log line not seen within ${timeoutMs} ms; stderr: ${err}`));
      }, timeoutMs);
      waiters.push({
        pred,
        resolve: (l) => {
          clearTimeout(t);
          resolve(l);
        },
      });
      void exited.then(({ code, signal }) => {
        clearTimeout(t);
        reject(new Error(`node ${opts.nodeId} exited (${code ?? signal}) first; stderr: ${err}`));
      });
    });
  };
  const proc: NodeProcess = {
    child,
    id: opts.nodeId,
    pid: child.pid!,
    home,
    workspaceDir,
    logs,
    stderr: () => err,
    waitForLog,
    exited,
    cleanup,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null)
        return { code: child.exitCode, signal: child.signalCode };
      // A stopped process would never see SIGTERM.
      if (signal !== 'SIGKILL') child.kill('SIGCONT');
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const res = await exited;
      clearTimeout(t);
      return res;
    },
  };
  if (opts.waitRegistered ?? true) {
    try {
      await waitForLog((l) => l.event === 'node_registered', opts.timeoutMs ?? 15_000);
    } catch (e) {
      await proc.stop('SIGKILL');
      cleanup();
      throw e;
    }
  }
  return proc;
}
