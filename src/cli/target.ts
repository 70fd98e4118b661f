/**
 * @module Where the CLI finds the gateway and its credentials: flags, then env, then the local config.
 * On the gateway's own machine the CLI signs a short-lived admin token with the local secret, so
 * loopback use needs no typing (R2.2).
 */
import { loadConfig, PACKAGE_VERSION, type ResolvedConfig } from '../config/index.js';
import {
  createTokenService,
  InMemoryRevocationStore,
  readAuthSecretFile,
  authSecretPath,
} from '../gateway/index.js';
import { GatewayClient } from '../client/index.js';
import type { ConnectResult } from '../protocol/index.js';

export interface TargetFlags {
  url?: string;
  gateway?: string;
  token?: string;
  authToken?: string;
  config?: string;
}

export interface Target {
  wsUrl: string;
  httpUrl: string;
  token: string | undefined;
  tokenSource: 'flag' | 'env' | 'local-secret' | 'none';
  config: ResolvedConfig | null;
}

function connectHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** ws(s)://host:port/path -> http(s)://host:port */
export function httpBase(wsUrl: string): string {
  const u = new URL(wsUrl);
  u.protocol = u.protocol === 'wss:' ? 'https:' : u.protocol === 'ws:' ? 'http:' : u.protocol;
  return `${u.protocol}//${u.host}`;
}

/** Accepts ws://, wss://, http:// or https:// and a bare host:port; returns a WebSocket URL. */
export function normaliseWsUrl(url: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(url) ? url : `ws://${url}`;
  const u = new URL(withScheme);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  if (u.protocol === 'https:') u.protocol = 'wss:';
  return u.toString();
}

export async function resolveTarget(
  flags: TargetFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Target> {
  let config: ResolvedConfig | null = null;
  const explicitUrl = flags.url ?? flags.gateway ?? env.OPENCLAW_GATEWAY_URL;
  try {
    config = loadConfig(flags.config ? { configPath: flags.config, env } : { env });
  } catch (err) {
    // A remote target with an explicit URL and token does not need a valid local config.
    if (!explicitUrl) throw err;
  }
  const wsUrl = explicitUrl
    ? normaliseWsUrl(explicitUrl)
    : `${config!.gateway.tls.enabled ? 'wss' : 'ws'}://${connectHost(config!.gateway.host)}:${config!.gateway.port}${config!.gateway.websocket_path}`;
  const flagToken = flags.token ?? flags.authToken;
  if (flagToken) return { wsUrl, httpUrl: httpBase(wsUrl), token: flagToken, tokenSource: 'flag', config };
  const envToken = env.OPENCLAW_AUTH_TOKEN ?? env.OPENCLAW_TOKEN;
  if (envToken) return { wsUrl, httpUrl: httpBase(wsUrl), token: envToken, tokenSource: 'env', config };
  const secret = config
    ? (config.gateway.auth.secret ?? (await readAuthSecretFile(authSecretPath(config.data_dir), 0)))
    : null;
  if (secret) {
    const tokens = createTokenService({ secret, revocations: new InMemoryRevocationStore() });
    const { token } = tokens.issue({ role: 'admin', ttlSeconds: 300, subject: 'cli' });
    return { wsUrl, httpUrl: httpBase(wsUrl), token, tokenSource: 'local-secret', config };
  }
  return { wsUrl, httpUrl: httpBase(wsUrl), token: undefined, tokenSource: 'none', config };
}

/** Opens an operator client for one command; no reconnect, so an unreachable gateway fails fast. */
export async function withClient<T>(
  target: Target,
  fn: (c: GatewayClient, info: ConnectResult) => Promise<T>,
  role: 'operator' | 'admin' = 'operator',
): Promise<T> {
  const client = new GatewayClient({
    url: target.wsUrl,
    ...(target.token ? { token: target.token } : {}),
    role,
    client: { name: 'openclaw-cli', version: PACKAGE_VERSION },
    reconnect: { enabled: false },
    keepalive: { enabled: false },
  });
  const info = await client.connect();
  try {
    return await fn(client, info);
  } finally {
    await client.close();
  }
}
