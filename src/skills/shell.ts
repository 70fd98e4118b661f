/** @module The shell skill: one command in its own process group, bounded in time, output and reach. */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { z } from 'zod';
import { GatewayError } from '../protocol/index.js';
import { abortErrorFrom } from './abort.js';
import { scrubEnv } from './shell-env.js';
import { compileShellPolicy, type ShellPolicy } from './shell-policy.js';
import { defineSkill, type Skill } from './skill.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const ShellArgsSchema = z.strictObject({
  command: z.string().min(1).max(100_000).describe('Command line run by /bin/sh -c in the task directory'),
  timeout_ms: z
    .int()
    .min(1)
    .max(31 * 24 * 3600 * 1000)
    .optional()
    .describe('Kill the command (and everything it started) after this many milliseconds'),
  env: z
    .record(z.string().regex(ENV_NAME, 'an environment variable name'), z.string().max(100_000))
    .optional()
    .describe('Extra environment variables'),
});
export type ShellArgs = z.infer<typeof ShellArgsSchema>;

export interface ShellResult {
  /** Exit status, or null when the command was ended by a signal. */
  exit_code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Whether stdout or stderr went over `maxOutputBytes` and was cut. */
  truncated: boolean;
  duration_ms: number;
}

/** Options of `createShellSkill`. */
export interface ShellSkillOptions {
  /** Allow/deny rules checked before spawning. Default: only `DEFAULT_SHELL_DENY`. */
  policy?: ShellPolicy;
  /** Apply `DEFAULT_SHELL_DENY` in front of `policy.deny`. Default `true`. */
  defaultDeny?: boolean;
  /** Bytes kept of stdout, and separately of stderr; the rest is read and dropped. Default 1 MiB. */
  maxOutputBytes?: number;
  /** Between SIGTERM and SIGKILL of the process group. Default 2000 ms. */
  killGraceMs?: number;
  /** Timeout when the call gives no `timeout_ms`. Default: none (the task's own timeout still applies). */
  defaultTimeoutMs?: number;
  /** The shell. Default `/bin/sh`. */
  shell?: string;
  /** Environment the child starts from, before scrubbing. Default `process.env`. */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Secret-looking variables to pass through anyway (see `scrubEnv`). Default `[]`. */
  keepEnv?: readonly string[];
}

/** Bytes kept from one output stream, up to a cap; the pipe is still drained so the child never blocks. */
class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly cap: number) {}
  push(chunk: Buffer): void {
    const room = this.cap - this.size;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(kept);
    this.size += kept.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

const PARTIAL_BYTES = 4096;
function tail(text: string): string {
  return text.length > PARTIAL_BYTES ? text.slice(-PARTIAL_BYTES) : text;
}

/** Creates the shell skill (capability `shell`). */
export function createShellSkill(options: ShellSkillOptions = {}): Skill<ShellArgs> {
  const check = compileShellPolicy(options.policy, options.defaultDeny ?? true);
  const maxOutputBytes = options.maxOutputBytes ?? 1024 * 1024;
  const killGraceMs = options.killGraceMs ?? 2000;
  const shell = options.shell ?? '/bin/sh';

  return defineSkill({
    name: 'shell',
    description:
      'Runs a shell command (/bin/sh -c) in the task working directory and returns exit_code, stdout, ' +
      'stderr. A non-zero exit is returned, not raised. Output is capped; secrets are not in the ' +
      'environment; destructive commands are refused.',
    capability: 'shell',
    args: ShellArgsSchema,
    async run(args, ctx) {
      check(args.command);
      await mkdir(ctx.workDir, { recursive: true });
      if (ctx.signal.aborted) throw abortErrorFrom(ctx.signal, ctx.timeoutMs);
      const timeoutMs = args.timeout_ms ?? options.defaultTimeoutMs;
      const env = scrubEnv({ ...(options.baseEnv ?? process.env), ...args.env }, options.keepEnv);
      env.OPENCLAW_TASK_ID = ctx.taskId;
      env.OPENCLAW_WORKSPACE_DIR = ctx.workspaceDir;

      const started = performance.now();
      // detached puts the shell at the head of a new process group, so one kill(-pid) reaches
      // everything it starts (pipelines, background jobs) unless they deliberately setsid away.
      const child = spawn(shell, ['-c', args.command], {
        cwd: ctx.workDir,
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const stdout = new CappedOutput(maxOutputBytes);
      const stderr = new CappedOutput(maxOutputBytes);
      child.stdout.on('data', (c: Buffer) => stdout.push(c));
      child.stderr.on('data', (c: Buffer) => stderr.push(c));

      return await new Promise<ShellResult>((resolve, reject) => {
        let stopReason: 'timeout' | 'abort' | undefined;
        let closed = false;
        let exitCode: number | null = null;
        let exitSignal: string | null = null;
        let spawnError: Error | undefined;
        let killTimer: NodeJS.Timeout | undefined;

        const killGroup = (sig: NodeJS.Signals): void => {
          if (child.pid === undefined || closed) return;
          try {
            process.kill(-child.pid, sig);
          } catch {
            // ESRCH: the whole group is already gone.
          }
        };
        const terminate = (): void => {
          killGroup('SIGTERM');
          killTimer ??= setTimeout(() => killGroup('SIGKILL'), killGraceMs);
        };
        const stop = (why: 'timeout' | 'abort'): void => {
          if (closed || stopReason !== undefined) return;
          stopReason = why;
          terminate();
        };
        const onAbort = (): void => stop('abort');
        const timer = timeoutMs === undefined ? undefined : setTimeout(() => stop('timeout'), timeoutMs);
        ctx.signal.addEventListener('abort', onAbort, { once: true });

        child.on('error', (err) => {
          spawnError = err;
          // A failed spawn never emits 'exit'; 'close' may or may not follow, so settle here too.
          if (child.pid === undefined) finish();
        });
        child.on('exit', (code, sig) => {
          exitCode = code;
          exitSignal = sig;
          // Background jobs left behind would outlive the call and hold its pipes open; the call
          // owns its process group, so it ends them too.
          terminate();
        });
        child.on('close', finish);

        function finish(): void {
          if (closed) return;
          closed = true;
          if (timer) clearTimeout(timer);
          if (killTimer) clearTimeout(killTimer);
          ctx.signal.removeEventListener('abort', onAbort);
          if (spawnError && child.pid === undefined) {
            reject(
              new GatewayError('GW_ERR_SKILL_FAILED', {
                skill: 'shell',
                reason: `cannot start ${shell} in ${ctx.workDir}: ${spawnError.message}`,
              }),
            );
            return;
          }
          if (stopReason === 'abort') {
            reject(abortErrorFrom(ctx.signal, ctx.timeoutMs));
            return;
          }
          if (stopReason === 'timeout') {
            reject(
              new GatewayError('GW_ERR_TASK_TIMEOUT', {
                which: 'shell command',
                seconds: (timeoutMs ?? 0) / 1000,
                skill: 'shell',
                stdout: tail(stdout.text()),
                stderr: tail(stderr.text()),
              }),
            );
            return;
          }
          resolve({
            exit_code: exitCode,
            signal: exitSignal,
            stdout: stdout.text(),
            stderr: stderr.text(),
            truncated: stdout.truncated || stderr.truncated,
            duration_ms: Math.round(performance.now() - started),
          });
        }
      });
    },
    taskOutcome(result) {
      const r = result as ShellResult;
      if (r.exit_code === 0) return;
      throw new GatewayError('GW_ERR_TASK_FAILED', {
        skill: 'shell',
        reason:
          r.exit_code === null
            ? `the command was ended by ${r.signal ?? 'a signal'}`
            : `the command exited with code ${r.exit_code}`,
        exit_code: r.exit_code,
        signal: r.signal,
        stdout: tail(r.stdout),
        stderr: tail(r.stderr),
      });
    },
  });
}
