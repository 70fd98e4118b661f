/** @module Child processes and temp dirs of a benchmark: spawned, measured and always cleaned up. */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHILDREN_DIR = fileURLToPath(new URL('../children/', import.meta.url));

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
const cleanups: Array<() => Promise<void> | void> = [];
let exiting = false;

function killAllNow(): void {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

// A benchmark that throws or is interrupted must not leave gateways, redis or client processes behind.
process.on('exit', killAllNow);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (exiting) return;
    exiting = true;
    process.stderr.write(`\n${sig}: cleaning up\n`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** Registers extra cleanup work (closing sockets, removing files) run by `cleanup()`. */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

/** Runs registered cleanups, then kills whatever children are still alive and removes temp dirs. */
export async function cleanup(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch {
      // best effort: the kill below still runs
    }
  }
  killAllNow();
}

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `openclaw-bench-${prefix}-`));
  dirs.add(d);
  return d;
}

export function removeDir(d: string): void {
  rmSync(d, { recursive: true, force: true });
  dirs.delete(d);
}

/**
 * Spawns `cmd args` with the soft fd limit raised to the hard limit (`ulimit -n`), so that a process
 * holding 10,000 sockets does not hit EMFILE. `exec` keeps the pid, so RSS readings see the real process.
 */
export function spawnTracked(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  const child = spawn(
    '/bin/sh',
    ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', cmd, ...args],
    opts,
  );
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Spawns one of the `.mjs` helpers in bench/children with plain node (no loader) and an IPC channel. */
export function spawnHelper(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): ChildProcess {
  return spawnTracked(process.execPath, [join(CHILDREN_DIR, name), ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Sends `signal`, waits up to `graceMs`, then SIGKILLs. Resolves with the exit status. */
export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 15_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const done = exited(child);
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const res = await done;
  clearTimeout(t);
  return res;
}

/** Waits for the first IPC message from `child` that satisfies `pred`. */
export function nextMessage<T>(child: ChildProcess, pred: (m: T) => boolean, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: unknown) => {
      if (!pred(m as T)) return;
      finish();
      resolve(m as T);
    };
    const onExit = (code: number | null) => {
      finish();
      reject(new Error(`helper exited (${code}) before answering`));
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`no answer from helper within ${timeoutMs} ms`));
    }, timeoutMs);
    function finish(): void {
      clearTimeout(timer);
      child.off('message', onMsg);
      child.off('exit', onExit);
    }
    child.on('message', onMsg);
    child.once('exit', onExit);
  });
}

/** Resident set size of a process in bytes (VmRSS of /proc/<pid>/status), or NaN when unreadable. */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat; NaN if unreadable. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces): utime is 14th, stime 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS_PER_SEC;
  } catch {
    return Number.NaN;
  }
}

/** USER_HZ; 100 on every mainstream Linux build. */
const CLOCK_TICKS_PER_SEC = 100;
