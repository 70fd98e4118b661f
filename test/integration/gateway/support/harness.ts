/**
 * @module Shared pieces of the gateway integration tests: raw `ws` clients that expose exact frames and
 * close codes, real gateway processes with their own HOME and config file, and cleanup of both.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';
import { InMemoryRevocationStore, createTokenService } from '../../../../src/gateway/index.js';
import type { Role } from '../../../../src/protocol/index.js';
import {
  cliEnv,
  runCli,
  startGatewayProcess,
  tempHome,
  type CliResult,
  type GatewayProcess,
} from '../../../support/gateway-process.js';

export type Frame = Record<string, any>;

/** Runs registered cleanups in reverse order; every test file keeps one and calls `run` in `after`. */
export class Cleanup {
  private readonly fns: Array<() => unknown> = [];
  add(fn: () => unknown): void {
    this.fns.push(fn);
  }
  async run(): Promise<void> {
    for (const fn of this.fns.splice(0).reverse()) {
      try {
        await fn();
      } catch {
        // One failed cleanup must not keep the others from running.
      }
    }
  }
}

export function randomSecret(): string {
  return randomBytes(24).toString('hex');
}

/** Mints a token with the gateway's configured secret, as `openclaw token create` would, in-process. */
export function mintToken(secret: string, role: Role, ttlSeconds?: number): string {
  const svc = createTokenService({ secret, revocations: new InMemoryRevocationStore() });
  // A node token with a subject may connect only as that node id; these tests use several ids.
  return svc.issue({
    role,
    ...(role === 'node' ? {} : { subject: `test-${role}` }),
    ...(ttlSeconds ? { ttlSeconds } : {}),
  }).token;
}

export interface TestGateway extends GatewayProcess {
  secret: string;
  /** CLI environment for this gateway's HOME and secret (so `token create` signs with the same key). */
  env(extra?: Record<string, string | undefined>): NodeJS.ProcessEnv;
  cli(args: string[], extra?: Record<string, string | undefined>): Promise<CliResult>;
  token(role: Role): string;
}

export interface GatewayOptions {
  /** YAML written to `$HOME/.openclaw/config.yaml`. */
  config?: string;
  env?: Record<string, string | undefined>;
  args?: string[];
}

/** Writes `$HOME/.openclaw/config.yaml`, the file the gateway reads when no --config is given. */
export function writeHomeConfig(home: string, yaml: string): string {
  const dir = join(home, '.openclaw');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'config.yaml');
  writeFileSync(path, yaml);
  return path;
}

/** Starts the real CLI gateway (`gateway start --headless`) on port 0 with a known secret. */
export async function startTestGateway(cleanup: Cleanup, opts: GatewayOptions = {}): Promise<TestGateway> {
  const { home, cleanup: rmHome } = tempHome('openclaw-gw-it-');
  cleanup.add(rmHome);
  if (opts.config !== undefined) writeHomeConfig(home, opts.config);
  const secret = randomSecret();
  const gw = await startGatewayProcess({
    home,
    env: { OPENCLAW_AUTH_SECRET: secret, ...opts.env },
    ...(opts.args ? { args: opts.args } : {}),
  });
  cleanup.add(() => gw.stop('SIGKILL'));
  const env = (extra: Record<string, string | undefined> = {}) =>
    cliEnv(home, { OPENCLAW_AUTH_SECRET: secret, OPENCLAW_GATEWAY_PORT: String(gw.port), ...extra });
  return Object.assign(gw, {
    secret,
    env,
    cli: (args: string[], extra?: Record<string, string | undefined>) => runCli(args, env(extra)),
    token: (role: Role) => mintToken(secret, role),
  });
}

export interface OpenOptions {
  headers?: Record<string, string>;
  origin?: string;
  /** Source address of the TCP connection (any 127.x.y.z works on Linux loopback). */
  localAddress?: string;
  /** Answer pings (the `ws` default); false plays a peer that has gone quiet. */
  autoPong?: boolean;
}

/** A WebSocket client that records every frame and the close code, without any protocol logic. */
export class RawClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters: Array<{ pred: (f: Frame) => boolean; resolve(f: Frame): void }> = [];
  private nextId = 0;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      let f: Frame;
      try {
        f = JSON.parse(data.toString()) as Frame;
      } catch {
        f = { type: 'unparseable', raw: data.toString() };
      }
      this.frames.push(f);
      for (const w of [...this.waiters]) {
        if (w.pred(f)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(f);
        }
      }
    });
  }

  static open(url: string, cleanup: Cleanup, opts: OpenOptions = {}): Promise<RawClient> {
    const ws = new WebSocket(url, {
      ...(opts.headers ? { headers: opts.headers } : {}),
      ...(opts.origin ? { origin: opts.origin } : {}),
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      ...(opts.autoPong === false ? { autoPong: false } : {}),
    });
    const client = new RawClient(ws);
    cleanup.add(() => ws.terminate());
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`upgrade refused with HTTP ${res.statusCode}`));
        res.resume();
      });
      ws.once('error', reject);
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: object | string): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Resolves with the first frame (already received or future) that matches. */
  waitFor(pred: (f: Frame) => boolean, timeoutMs = 5000, from = 0): Promise<Frame> {
    const hit = this.frames.slice(from).find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames)}`)),
        timeoutMs,
      );
      this.waiters.push({
        pred,
        resolve: (f) => {
          clearTimeout(t);
          resolve(f);
        },
      });
    });
  }

  /** Sends a request and resolves with its response frame (ok or not). */
  request(method: string, params?: unknown, timeoutMs = 5000): Promise<Frame> {
    const id = `t${++this.nextId}`;
    this.send(params === undefined ? { type: 'req', id, method } : { type: 'req', id, method, params });
    return this.waitFor((f) => f.type === 'res' && f.id === id, timeoutMs);
  }

  /** Sends `connect` with sane defaults, overridden field by field. */
  connect(params: Record<string, unknown> = {}): Promise<Frame> {
    return this.request('connect', connectParams(params));
  }

  /** Resolves with the close code, failing if the socket stays open longer than `timeoutMs`. */
  async closeCode(timeoutMs = 5000): Promise<number> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return (await Promise.race([this.closed, timeout])).code;
    } finally {
      clearTimeout(t);
    }
  }

  close(): void {
    this.ws.close();
  }
}

export function connectParams(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    protocol: { min: 1, max: 1 },
    role: 'operator',
    client: { name: 'integration-test', version: '1' },
    ...over,
  };
}

/** Opens an authenticated operator connection and returns it with its connect result. */
export async function operator(
  url: string,
  token: string,
  cleanup: Cleanup,
  extra: Record<string, unknown> = {},
): Promise<{ client: RawClient; hello: Frame }> {
  const client = await RawClient.open(url, cleanup);
  const hello = await client.connect({ auth: { token }, ...extra });
  if (hello.ok !== true) throw new Error(`connect refused: ${JSON.stringify(hello)}`);
  return { client, hello };
}

/** The server keeps serving: a fresh, well-behaved client still gets `health`. */
export async function assertServing(url: string, token: string, cleanup: Cleanup): Promise<void> {
  const { client } = await operator(url, token, cleanup);
  const res = await client.request('health', {});
  client.close();
  if (res.ok !== true || res.payload?.status !== 'ok') {
    throw new Error(`health failed after the previous case: ${JSON.stringify(res)}`);
  }
}

/** Answers an upgrade attempt that the server refuses with its HTTP status and JSON body. */
export function refusedUpgrade(
  url: string,
  opts: OpenOptions = {},
): Promise<{ status: number; body: Frame | null; opened: boolean }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      ...(opts.headers ? { headers: opts.headers } : {}),
      ...(opts.origin ? { origin: opts.origin } : {}),
    });
    ws.once('open', () => {
      ws.terminate();
      resolve({ status: 101, body: null, opened: true });
    });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        let body: Frame | null = null;
        try {
          body = JSON.parse(text) as Frame;
        } catch {
          body = null;
        }
        resolve({ status: res.statusCode ?? 0, body, opened: false });
      });
    });
    ws.once('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

/** A loopback port that was free a moment ago (for tests that must name a port up front). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, host, resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** A plain TCP server holding a port, as "something else" would. */
export async function holdPort(
  cleanup: Cleanup,
  host = '127.0.0.1',
): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  cleanup.add(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { server, port: (server.address() as { port: number }).port };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  fn: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  stepMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms (${String(last)})`);
    await sleep(stepMs);
  }
}
