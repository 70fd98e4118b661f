/** @module The REST API under /api: routing, bearer auth, JSON bodies and `{error: {...}}` answers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, toGatewayError, type Role } from '../protocol/index.js';
import { bearerFromHeader, type Authenticator } from './authenticator.js';

export interface RestRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  role: Role;
  principal: string;
  remoteAddress: string;
  /** Aborted when the HTTP client goes away, so long waits (synchronous tasks) can stop. */
  signal: AbortSignal;
}
export interface RestResponse {
  status: number;
  body?: unknown;
}
export type RestHandler = (req: RestRequest) => Promise<RestResponse> | RestResponse;

interface Route {
  method: string;
  parts: string[];
  roles: readonly Role[];
  handler: RestHandler;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function sendError(
  res: ServerResponse,
  err: GatewayError,
  headers: Record<string, string> = {},
): void {
  sendJson(res, err.status, { error: err.toBody() }, headers);
}

function readBody(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new GatewayError('GW_ERR_GATEWAY_PAYLOAD_TOO_LARGE', { limit });
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      // Past the limit the rest is read and dropped, not cut off: destroying the socket here would
      // reset it before the 413 is written, and the client would see a bare connection reset.
      if (over) return;
      size += c.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (size === 0) return resolve(undefined);
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new GatewayError('GW_ERR_TASK_INVALID', { reason: 'the request body is not valid JSON' }));
      }
    });
  });
}

export class RestRouter {
  private readonly routes: Route[] = [];
  constructor(
    private readonly auth: Authenticator,
    private readonly maxBodyBytes: number,
  ) {}

  /** `path` segments starting with ":" are parameters, e.g. `/api/tasks/:id`. */
  route(method: string, path: string, roles: readonly Role[], handler: RestHandler): void {
    this.routes.push({ method, parts: path.split('/').filter(Boolean), roles, handler });
  }

  private match(
    method: string,
    path: string,
  ): { route: Route; params: Record<string, string> } | 'method' | null {
    const parts = path.split('/').filter(Boolean);
    let methodMismatch = false;
    for (const r of this.routes) {
      if (r.parts.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const ok = r.parts.every((p, i) => {
        if (p.startsWith(':')) {
          try {
            params[p.slice(1)] = decodeURIComponent(parts[i]!);
          } catch {
            return false; // a malformed %-escape names no resource of ours: 404, not 500
          }
          return true;
        }
        return p === parts[i];
      });
      if (!ok) continue;
      if (r.method !== method) {
        methodMismatch = true;
        continue;
      }
      return { route: r, params };
    }
    return methodMismatch ? 'method' : null;
  }

  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    remoteAddress: string,
    /** A verified mTLS client certificate, which authenticates like a token (R2.2). */
    cert?: { role: Role; subject: string },
  ): Promise<void> {
    const method = req.method ?? 'GET';
    try {
      const m = this.match(method, url.pathname);
      if (m === null) throw new GatewayError('GW_ERR_GATEWAY_NOT_FOUND', { method, path: url.pathname });
      if (m === 'method') throw new GatewayError('GW_ERR_GATEWAY_NOT_FOUND', { method, path: url.pathname });
      const who = await this.auth.authenticate({
        token: bearerFromHeader(req.headers.authorization),
        requestedRole: cert?.role === 'admin' ? 'admin' : 'operator',
        remoteAddress,
        certRole: cert?.role,
        certSubject: cert?.subject,
      });
      const allowed =
        m.route.roles.includes(who.role) || (who.role === 'admin' && m.route.roles.includes('operator'));
      if (!allowed)
        throw new GatewayError('GW_ERR_AUTH_FORBIDDEN_ROLE', {
          role: who.role,
          action: `${method} ${url.pathname}`,
        });
      const body =
        method === 'GET' || method === 'DELETE' ? undefined : await readBody(req, this.maxBodyBytes);
      const ac = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) ac.abort();
      });
      const out = await m.route.handler({
        method,
        path: url.pathname,
        params: m.params,
        query: url.searchParams,
        body,
        role: who.role,
        principal: who.principal,
        remoteAddress,
        signal: ac.signal,
      });
      sendJson(res, out.status, out.body);
    } catch (err) {
      const gw = toGatewayError(err);
      const headers: Record<string, string> = {};
      if (gw.code === 'GW_ERR_AUTH_RATE_LIMITED')
        headers['retry-after'] = String(gw.details.retry_after_s ?? 1);
      if (gw.status === 401) headers['www-authenticate'] = 'Bearer';
      if (gw.code === 'GW_ERR_GATEWAY_PAYLOAD_TOO_LARGE') {
        // No `Connection: close`: closing while the client still sends makes its writes fail (EPIPE)
        // before it reads the 413. The rest is read and dropped instead, bounded in time: a client that
        // keeps sending long after its answer is cut off.
        res.once('finish', () => {
          if (req.complete) return;
          const t = setTimeout(() => req.destroy(), 5000);
          t.unref();
          req.once('end', () => clearTimeout(t));
        });
        req.resume();
      }
      if (!res.headersSent) sendError(res, gw, headers);
      else res.destroy();
    }
  }
}
