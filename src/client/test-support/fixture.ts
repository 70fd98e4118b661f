/** @module Test helpers: a TestGateway plus a client wired to it, torn down when the test ends. */
import { createServer } from 'node:net';
import type { TestContext } from 'node:test';
import { GatewayClient } from '../gateway-client.js';
import type { GatewayClientEvents } from '../gateway-client.js';
import type { GatewayClientOptions } from '../client-options.js';
import { TestGateway, type TestGatewayOptions } from './test-gateway.js';

export interface Pair {
  gw: TestGateway;
  client: GatewayClient;
}

/**
 * Starts a TestGateway and a client for it (operator role, the server's token, keepalive off unless
 * asked for, so only the test under way drives timing). Both are closed by `t.after`.
 */
export async function startPair(
  t: TestContext,
  server: TestGatewayOptions = {},
  client: Partial<GatewayClientOptions> = {},
): Promise<Pair> {
  const gw = await TestGateway.start(server);
  const c = new GatewayClient({
    url: gw.url,
    token: 'test-token',
    role: 'operator',
    keepalive: { enabled: false },
    ...client,
  });
  t.after(async () => {
    await c.close();
    await gw.close();
  });
  return { gw, client: c };
}

/** Polls `cond` every 5 ms; rejects after `timeoutMs` naming `what`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The arguments of the next `name` event of `client`, or a rejection after `timeoutMs`. */
export function nextEmit<K extends keyof GatewayClientEvents>(
  client: GatewayClient,
  name: K,
  timeoutMs = 3000,
): Promise<GatewayClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off(name, listener as never);
      reject(new Error(`no '${String(name)}' within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (...args: GatewayClientEvents[K]): void => {
      clearTimeout(timer);
      resolve(args);
    };
    client.once(name, listener as never);
  });
}

/** A loopback port that nothing listens on (bound once, then released). */
export async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const address = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
