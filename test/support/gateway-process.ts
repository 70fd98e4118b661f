/**
 * @module Test support: runs the real `openclaw` CLI as a child process with its own HOME and data dir,
 * on port 0, and learns its URLs from the `gateway_started` log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root, found by walking up: this file runs both compiled (dist/test/) and under tsx (test/). */
function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'bin', 'openclaw.js'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the package root (bin/openclaw.js) above the test support');
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot();
export const CLI = join(REPO_ROOT, 'bin', 'openclaw.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function tempHome(prefix = 'openclaw-test-'): { home: string; cleanup(): void } {
  const home = mkdtempSync(join(tmpdir(), prefix));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** Environment for a CLI child: an isolated HOME, no inherited OPENCLAW_* settings. */
export function cliEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OPENCLAW_')) env[k] = v;
  env.HOME = home;
  env.OPENCLAW_METRICS_PORT = '0';
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Runs the CLI to completion. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
  input?: string,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `openclaw ${args.join(' ')} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

export interface GatewayProcess {
  child: ChildProcess;
  home: string;
  httpUrl: string;
  wsUrl: string;
  metricsUrl: string | null;
  port: number;
  logs: Array<Record<string, unknown>>;
  stderr(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLog(
    pred: (l: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
}

export interface StartOptions {
  home?: string;
  args?: string[];
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Launcher to run instead of this repository's bin/openclaw.js (e.g. in a copied install layout). */
  cli?: string;
}

export async function startGatewayProcess(opts: StartOptions = {}): Promise<GatewayProcess> {
  const home = opts.home ?? tempHome().home;
  const env = cliEnv(home, { OPENCLAW_HEADLESS: 'true', OPENCLAW_GATEWAY_PORT: '0', ...opts.env });
  const child = spawn(
    process.execPath,
    [opts.cli ?? CLI, 'gateway', 'start', '--headless', ...(opts.args ?? [])],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<{
    pred: (l: Record<string, unknown>) => boolean;
    resolve(l: Record<string, unknown>): void;
  }> = [];
  let buf = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        const rec = JSON.parse(line) as Record<string, unknown>;
        logs.push(rec);
        for (const w of [...waiters]) {
          if (w.pred(rec)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(rec);
          }
        }
      } catch {
        // non-JSON output (banner) is ignored
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );

  const waitForLog = (pred: (l: Record<string, unknown>) => boolean, timeoutMs = 15_000) => {
    const hit = logs.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`log line not seen within ${timeoutMs} ms; stderr: ${err}`)),
        timeoutMs,
      );
      waiters.push({
        pred,
        resolve: (l) => {
          clearTimeout(t);
          resolve(l);
        },
      });
      void exited.then(({ code }) =>
        reject(new Error(`gateway exited (${code}) before the log line; stderr: ${err}`)),
      );
    });
  };

  const started = await waitForLog((l) => l.event === 'gateway_started', opts.timeoutMs ?? 20_000);
  const wsUrl = String(started.url);
  const u = new URL(wsUrl);
  const httpUrl = `${u.protocol === 'wss:' ? 'https' : 'http'}://${u.host}`;
  return {
    child,
    home,
    httpUrl,
    wsUrl,
    metricsUrl: (started.metrics as string | null) ?? null,
    port: Number(u.port),
    logs,
    stderr: () => err,
    waitForLog,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null)
        return { code: child.exitCode, signal: child.signalCode };
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const res = await exited;
      clearTimeout(t);
      return res;
    },
  };
}
