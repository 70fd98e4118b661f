/**
 * @module Refuses requests a web page could forge: a foreign browser Origin (cross-site requests) and,
 * with `auth.mode: none`, a Host that is not a loopback name (DNS rebinding).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../protocol/index.js';
import { isOriginAllowed } from './auth/origin-policy.js';
import { isLoopbackHost } from './authenticator.js';

export interface BrowserGuardOptions {
  /** `gateway.websocket.allowed_origins`. */
  allowedOrigins: readonly string[];
  /** The bound port, whose loopback Web UI origins are always allowed. */
  port: number;
  /** `gateway.auth.mode`. */
  authMode: 'token' | 'none';
}

/** The host name of a Host header (`[::1]:80` -> `::1`, `LocalHost:80` -> `localhost`). */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return colon >= 0 ? h.slice(0, colon) : h;
}

/**
 * Null when the request may proceed, else the error to answer it with (403). Requests without an
 * Origin are not from a browser page and pass the origin check. Without authentication the Host check
 * matters too: a rebound DNS name makes a page same-origin with the gateway (Origin equals Host), and
 * then nothing but the Host name tells the page apart from the user's own Web UI.
 */
export function browserGuard(headers: IncomingHttpHeaders, opts: BrowserGuardOptions): GatewayError | null {
  const origin = headers.origin;
  if (!isOriginAllowed(origin, { allowed: opts.allowedOrigins, port: opts.port, hostHeader: headers.host })) {
    return new GatewayError('GW_ERR_AUTH_ORIGIN_FORBIDDEN', { origin });
  }
  const host = headers.host;
  if (opts.authMode === 'none' && host !== undefined && !isLoopbackHost(hostName(host))) {
    return new GatewayError(
      'GW_ERR_AUTH_ORIGIN_FORBIDDEN',
      { origin: origin ?? null, host },
      `host ${host} is not a loopback name; with gateway.auth.mode none the gateway answers only ` +
        'requests to 127.0.0.1, localhost or [::1] (use gateway.auth.mode: token behind a proxy)',
    );
  }
  return null;
}
