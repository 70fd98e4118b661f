/** @module Runs the external tools the deployment tests drive (nginx, caddy, promtool, ...) and owns temp dirs. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ToolResult {
  /** Exit status; null when the process was killed (e.g. by the timeout). */
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for assertion messages. */
  output: string;
  /** Set when the tool could not be started at all (e.g. ENOENT). */
  error?: Error;
}

export interface RunToolOptions {
  cwd?: string;
  /** Merged over process.env. */
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Kill the tool after this long. Default 30 000 ms. */
  timeoutMs?: number;
}

/** Runs a tool to completion; never throws, so failure paths can be asserted on. */
export function runTool(cmd: string, args: readonly string[], opts: RunToolOptions = {}): ToolResult {
  const res = spawnSync(cmd, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 30_000,
    killSignal: 'SIGKILL',
  });
  const stdout = res.stdout ?? '';
  const stderr = res.stderr ?? '';
  return {
    status: res.status,
    stdout,
    stderr,
    output: `$ ${cmd} ${args.join(' ')}\n${stdout}${stderr}`,
    ...(res.error ? { error: res.error } : {}),
  };
}

/** Whether an executable is on PATH. */
export function hasTool(cmd: string): boolean {
  return runTool('sh', ['-c', `command -v "$0" >/dev/null`, cmd]).status === 0;
}

/** A fresh private temp dir and its removal, for `after(() => dir.remove())`. */
export function makeTempDir(prefix = 'openclaw-deploy-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * A loopback TCP port that was free a moment ago. Proxies must be given concrete ports in their
 * config files (they cannot report an ephemeral one back), hence this instead of port 0.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => {
        if (addr && typeof addr === 'object') resolve(addr.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

/** This process's hard limit of open files (Linux /proc/self/limits); Infinity when unlimited or unknown. */
export function hardFileLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const hard = line?.trim().split(/\s+/)[4];
    return hard && /^\d+$/.test(hard) ? Number(hard) : Infinity;
  } catch {
    return Infinity;
  }
}
