/** @module Loopback helpers for benchmarks: free ports and polling an HTTP endpoint until it answers 200. */
import { request } from 'node:http';
import { createServer } from 'node:net';

/** A port that was free a moment ago on `host` (the kernel picks it; a tiny reuse race remains). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** One GET; resolves with the status code, or 0 when the connection failed. */
export function httpStatus(url: string, timeoutMs = 1000): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/**
 * Polls `url` every `intervalMs` until it answers 200 and resolves with `performance.now()` at that
 * answer. A refused connection on loopback fails in well under a millisecond, so a short interval
 * bounds the measurement error by about `intervalMs`.
 */
export async function waitFor200(
  url: string,
  opts: { timeoutMs?: number; intervalMs?: number; alive?: () => boolean } = {},
): Promise<number> {
  const deadline = performance.now() + (opts.timeoutMs ?? 30_000);
  const interval = opts.intervalMs ?? 2;
  for (;;) {
    const status = await httpStatus(url);
    if (status === 200) return performance.now();
    if (opts.alive && !opts.alive()) throw new Error(`process serving ${url} exited before answering 200`);
    if (performance.now() > deadline) throw new Error(`${url} did not answer 200 in time (last ${status})`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Fetches a Prometheus text page and returns the value of each unlabelled sample. */
export async function scrapeMetrics(url: string): Promise<Map<string, number>> {
  const res = await fetch(url);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*) ([-+0-9.eE]+|NaN)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}
