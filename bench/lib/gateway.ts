/**
 * @module Runs the real `openclaw gateway start --headless` as a child process with its own HOME, on a
 * free loopback port, and issues tokens for it with `openclaw token create` (black box: the CLI only).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitFor200 } from './net.js';
import { REPO_ROOT, rssBytes, spawnTracked, stopChild, tempDir } from './processes.js';

/** The CLI entry point; `OPENCLAW_BENCH_CLI` points the benchmarks at another build (e.g. a snapshot). */
export const CLI = process.env.OPENCLAW_BENCH_CLI ?? join(REPO_ROOT, 'bin', 'openclaw.js');

export function assertBuilt(cli = CLI): void {
  const entry = join(cli, '..', '..', 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(entry)) {
    throw new Error(`${entry} is missing; build first: npx tsc -p tsconfig.build.json`);
  }
}

/** Environment of a gateway child: its own HOME, no inherited OPENCLAW_* settings, headless. */
export function gatewayEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OPENCLAW_')) env[k] = v;
  delete env.NODE_OPTIONS;
  return { ...env, HOME: home, OPENCLAW_HEADLESS: 'true', ...extra };
}

export interface BenchGateway {
  child: ChildProcess;
  pid: number;
  home: string;
  port: number;
  httpUrl: string;
  wsUrl: string;
  /** Prometheus URL read from the `gateway_started` log line, when metrics are enabled. */
  metricsUrl: string | null;
  /** The gateway's stdout (JSON log lines) goes here. */
  stdoutFile: string;
  rss(): number;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartGatewayOptions {
  /** Existing HOME (e.g. one where a token was already issued). Default: a new temp dir. */
  home?: string;
  /** YAML written to a file and passed with `--config`. Default: none (built-in defaults). */
  configYaml?: string;
  /** Extra environment. */
  env?: Record<string, string>;
  /** Extra node flags for the gateway process (e.g. `--cpu-prof`). Default none. */
  nodeFlags?: string[];
  readyTimeoutMs?: number;
  /** CLI entry point to run. Default `CLI`. */
  cli?: string;
}

export async function startGateway(opts: StartGatewayOptions = {}): Promise<BenchGateway> {
  const cli = opts.cli ?? CLI;
  assertBuilt(cli);
  const home = opts.home ?? tempDir('gw');
  const port = await freePort();
  const args = [...(opts.nodeFlags ?? []), cli, 'gateway', 'start', '--headless'];
  if (opts.configYaml !== undefined) {
    const file = join(home, 'bench-config.yaml');
    writeFileSync(file, opts.configYaml);
    args.push('--config', file);
  }
  const stdoutFile = join(home, 'gateway.stdout');
  const fd = openSync(stdoutFile, 'a');
  const child = spawnTracked(process.execPath, args, {
    cwd: home,
    env: gatewayEnv(home, {
      OPENCLAW_GATEWAY_PORT: String(port),
      OPENCLAW_METRICS_PORT: '0',
      ...opts.env,
    }),
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const httpUrl = `http://127.0.0.1:${port}`;
  try {
    await waitFor200(`${httpUrl}/ready`, {
      timeoutMs: opts.readyTimeoutMs ?? 30_000,
      intervalMs: 10,
      alive: () => child.exitCode === null && child.signalCode === null,
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n--- gateway output ---\n${readFileSync(stdoutFile, 'utf8')}`);
  }
  let metricsUrl: string | null = null;
  for (const line of readFileSync(stdoutFile, 'utf8').split('\n')) {
    if (!line.includes('"gateway_started"')) continue;
    const rec = JSON.parse(line) as { metrics?: string | null };
    metricsUrl = rec.metrics ?? null;
  }
  return {
    child,
    pid: child.pid!,
    home,
    port,
    httpUrl,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    metricsUrl,
    stdoutFile,
    rss: () => rssBytes(child.pid!),
    // SIGTERM drains; the grace covers a drain with running tasks (drain_timeout defaults to 30 s).
    stop: () => stopChild(child, 'SIGTERM', 40_000),
  };
}

/** Issues a token with the CLI against `home`'s data dir (creating the secret when there is none). */
export async function createToken(
  home: string,
  role: 'operator' | 'admin' | 'node',
  cli = CLI,
): Promise<string> {
  assertBuilt(cli);
  const child = spawn(process.execPath, [cli, 'token', 'create', '--role', role, '--json'], {
    cwd: home,
    env: gatewayEnv(home),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  // 'close', not 'exit': stdout may still hold the token when the process has exited.
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  if (code !== 0) throw new Error(`openclaw token create failed (${code}): ${err}`);
  return (JSON.parse(out) as { token: string }).token;
}
