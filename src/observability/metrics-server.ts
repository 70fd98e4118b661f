/** @module The separate Prometheus listener (`metrics.host`:`metrics.port`, default 127.0.0.1:9090/metrics). */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { GatewayError } from '../protocol/index.js';

export interface MetricsServerOptions {
  /** Interface to bind; loopback by default because metrics reveal load and versions. Default: '127.0.0.1'. */
  host?: string;
  /** TCP port; 0 picks a free one (see `url`). Default: 9090. */
  port?: number;
  /** Path that serves the exposition; every other path is 404. Default: '/metrics'. */
  path?: string;
  /** The registry to expose, usually `createMetrics().registry`. */
  registry: Registry;
}

export interface MetricsServer {
  /** Scrape URL with the actual port, e.g. `http://127.0.0.1:9090/metrics`. */
  url: string;
  /** Stops listening and drops open (keep-alive) connections. */
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}

/** Starts the listener; rejects with `GW_ERR_CONFIG_PORT_IN_USE` when the port is taken. */
export function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 9090;
  const path = options.path ?? '/metrics';
  const { registry } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return Promise.reject(
      new GatewayError('GW_ERR_CONFIG_INVALID', {
        reason: `metrics.port: ${JSON.stringify(port)} is not allowed; expected an integer from 0 to 65535`,
      }),
    );
  }
  if (!path.startsWith('/')) {
    return Promise.reject(
      new GatewayError('GW_ERR_CONFIG_INVALID', {
        reason: `metrics.path: ${JSON.stringify(path)} is not allowed; expected a path starting with /`,
      }),
    );
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const pathname = new URL(req.url ?? '/', 'http://metrics.invalid').pathname;
    if (pathname !== path) return send(res, 404, `not found; metrics are at ${path}\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
    }
    registry.metrics().then(
      (body) => {
        res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      // A failing collector must not hang the scrape; Prometheus marks the target down on a 500.
      (err: unknown) => send(res, 500, `metrics collection failed: ${(err as Error).message}\n`),
    );
  });

  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new GatewayError(
            'GW_ERR_CONFIG_PORT_IN_USE',
            { host, port },
            `metrics port ${port} on ${host} is already in use; set metrics.port to a free port`,
          ),
        );
      } else {
        reject(
          new GatewayError('GW_ERR_CONFIG_INVALID', {
            reason: `metrics listener on ${host}:${port} failed: ${err.message}`,
          }),
        );
      }
    });
    server.listen(port, host, () => {
      const addr = server.address() as AddressInfo;
      const hostPart = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
      let closing: Promise<void> | undefined;
      resolve({
        url: `http://${hostPart}:${addr.port}${path}`,
        close() {
          closing ??= new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          });
          return closing;
        },
      });
    });
  });
}
