/** @module Which browser Origins may open a WebSocket or call the API (cross-site WebSocket hijacking guard). */

export interface OriginPolicyOptions {
  /** Extra allowed origins (`gateway.allowed_origins`), e.g. `https://gw.example.com`; `'*'` allows all. */
  allowed: readonly string[];
  /** The gateway's own port, whose loopback Web UI origins are always allowed. */
  port: number;
  /** The request's Host header; the page served from that same host is always allowed. Default: none. */
  hostHeader?: string | undefined;
}

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * Canonical form of an origin: for http(s), lowercase scheme and host without a default port, path
 * or trailing slash (what `URL.origin` yields); for other schemes (`chrome-extension://…`, `null`) the
 * trimmed, lowercased string without trailing slashes. Returns null for nothing usable.
 */
export function normalizeOrigin(origin: string): string | null {
  const text = origin.trim();
  if (text === '') return null;
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
  } catch {
    // Not a URL; compared as an opaque string below.
  }
  return text.toLowerCase().replace(/\/+$/, '');
}

/**
 * Whether a request with this Origin header may proceed. No Origin means a non-browser client
 * (CLI, node, curl), which cannot be tricked by a web page into sending credentials, so it is allowed.
 * The check is not a substitute for authentication: a DNS-rebinding page can make Origin equal Host,
 * and it is the bearer token, which such a page cannot read, that keeps it out.
 */
export function isOriginAllowed(origin: string | undefined, options: OriginPolicyOptions): boolean {
  if (origin === undefined) return true;
  if (options.allowed.some((a) => a.trim() === '*')) return true;
  const wanted = normalizeOrigin(origin);
  if (wanted === null) return false;
  return allowedOrigins(options).has(wanted);
}

/** The set `isOriginAllowed` compares against, in canonical form. */
export function allowedOrigins(options: OriginPolicyOptions): Set<string> {
  const out = new Set<string>();
  const add = (candidate: string): void => {
    const n = normalizeOrigin(candidate);
    if (n !== null) out.add(n);
  };
  for (const a of options.allowed) add(a);
  for (const scheme of ['http', 'https']) {
    for (const host of LOOPBACK_HOSTS) add(`${scheme}://${host}:${options.port}`);
    const host = options.hostHeader?.trim();
    // Anything that is not a bare host[:port] (userinfo, path, spaces) could smuggle another origin in.
    if (host !== undefined && host !== '' && !/[\s/\\@?#]/.test(host)) add(`${scheme}://${host}`);
  }
  return out;
}
