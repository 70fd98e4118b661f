/**
 * @module Runs a prepared proxy (nginx, Caddy, HAProxy) in the foreground for a live test: waits
 * until its listeners accept connections, keeps its output for assertion messages, and stops it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import type { ToolCommand } from './proxy-harness.js';

export interface RunningProxy {
  child: ChildProcess;
  /** Everything the proxy wrote to stdout and stderr so far. */
  output(): string;
  /** Waits until `pred` matches the output (e.g. an HAProxy log line). */
  waitForOutput(pred: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. Idempotent. */
  stop(): Promise<void>;
}

export interface StartProxyOptions {
  /** Loopback ports the proxy must be accepting on before it counts as started. Required. */
  ports: readonly number[];
  /** Host those ports listen on. Default `127.0.0.1`. */
  host?: string;
  /** Give up (and kill the proxy) after this long. Default 15000 ms. */
  timeoutMs?: number;
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Starts `cmd` and resolves once every port accepts TCP connections; rejects with its output otherwise. */
export async function startProxy(
  name: string,
  cmd: ToolCommand,
  opts: StartProxyOptions,
): Promise<RunningProxy> {
  const host = opts.host ?? '127.0.0.1';
  const child = spawn(cmd.cmd, cmd.args, {
    env: { ...process.env, ...cmd.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of [...listeners]) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let exitInfo: string | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = `exited with ${code ?? signal}`;
      resolve();
    });
    child.once('error', (err) => {
      exitInfo = `could not start: ${err.message}`;
      resolve();
    });
  });

  const stop = async () => {
    if (exitInfo === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  for (const port of opts.ports) {
    while (!(await accepts(host, port))) {
      if (exitInfo !== null) throw new Error(`${name} ${exitInfo} before listening on ${port}:\n${out}`);
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`${name} did not listen on ${host}:${port} in time:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  return {
    child,
    output: () => out,
    waitForOutput(pred, timeoutMs = 15_000) {
      if (pred.test(out)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pred.test(out)) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`${name} did not print ${pred} within ${timeoutMs} ms:\n${out}`));
        }, timeoutMs);
        listeners.add(check);
      });
    },
    stop,
  };
}
