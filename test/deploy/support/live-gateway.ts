/**
 * @module A real gateway process for the live deployment tests: its own HOME with a config.yaml,
 * a known auth secret (so tests can sign tokens of any role), and no built-in local node by default,
 * so every task has to travel to a node that connected through the proxy under test.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createTokenService, InMemoryRevocationStore } from '../../../src/gateway/index.js';
import type { Role } from '../../../src/protocol/index.js';
import {
  cliEnv,
  runCli,
  startGatewayProcess,
  tempHome,
  type CliResult,
  type GatewayProcess,
} from '../../support/gateway-process.js';

export interface LiveGatewayOptions {
  /**
   * Written to `~/.openclaw/config.yaml`; merged over `gateway.local_node.enabled: false`.
   * Default: nothing else (the gateway's defaults, port from the environment: 0).
   */
  config?: Record<string, unknown>;
  /** Extra environment of the gateway process. Default none. */
  env?: Record<string, string | undefined>;
  /** OPENCLAW_AUTH_SECRET of the gateway. Default: 32 random bytes in hex. */
  secret?: string;
}

export interface LiveGateway {
  process: GatewayProcess;
  home: string;
  /** The server secret (OPENCLAW_AUTH_SECRET) the gateway verifies tokens with. */
  secret: string;
  /** Signs a bearer token the gateway accepts. */
  token(role: Role, subject?: string): string;
  /** Log lines (JSON) of the gateway matching `pred`, as seen so far. */
  logsWhere(pred: (l: Record<string, unknown>) => boolean): Array<Record<string, unknown>>;
  /** Stops the gateway (SIGTERM, drained) but keeps its HOME, e.g. to restore a backup into it. */
  halt(): Promise<void>;
  /** Starts the gateway again on the same HOME and secret; `process` is the new one afterwards. */
  restart(): Promise<void>;
  /** Stops the gateway (if running) and removes its HOME. */
  stop(): Promise<void>;
}

function withLocalNodeOff(config: Record<string, unknown>): Record<string, unknown> {
  const gateway = (config.gateway ?? {}) as Record<string, unknown>;
  const localNode = (gateway.local_node ?? {}) as Record<string, unknown>;
  return { ...config, gateway: { ...gateway, local_node: { enabled: false, ...localNode } } };
}

function writeHome(config: Record<string, unknown>): { home: string; cleanup(): void } {
  const h = tempHome('openclaw-live-gw-');
  mkdirSync(join(h.home, '.openclaw'), { recursive: true });
  writeFileSync(join(h.home, '.openclaw', 'config.yaml'), stringify(withLocalNodeOff(config)));
  return h;
}

/**
 * Runs `openclaw gateway start --headless` with a config that should stop start-up, to completion,
 * so its exit code and full stderr can be asserted (a process that dies early may still be writing
 * stderr when its exit event fires).
 */
export async function startGatewayExpectingFailure(config: Record<string, unknown>): Promise<CliResult> {
  const { home, cleanup } = writeHome(config);
  try {
    const env = cliEnv(home, {
      OPENCLAW_HEADLESS: 'true',
      OPENCLAW_GATEWAY_PORT: '0',
      OPENCLAW_AUTH_SECRET: randomBytes(32).toString('hex'),
    });
    return await runCli(['gateway', 'start', '--headless'], env, 20_000);
  } finally {
    cleanup();
  }
}

export async function startLiveGateway(opts: LiveGatewayOptions = {}): Promise<LiveGateway> {
  const { home, cleanup } = writeHome(opts.config ?? {});
  const secret = opts.secret ?? randomBytes(32).toString('hex');
  let proc: GatewayProcess;
  try {
    proc = await startGatewayProcess({ home, env: { OPENCLAW_AUTH_SECRET: secret, ...opts.env } });
  } catch (err) {
    cleanup();
    throw err;
  }
  const tokens = createTokenService({ secret, revocations: new InMemoryRevocationStore() });
  const env = { OPENCLAW_AUTH_SECRET: secret, ...opts.env };
  const live: LiveGateway = {
    process: proc,
    home,
    secret,
    token: (role, subject) => tokens.issue({ role, ttlSeconds: 3600, ...(subject ? { subject } : {}) }).token,
    logsWhere: (pred) => live.process.logs.filter(pred),
    halt: async () => {
      await live.process.stop();
    },
    async restart() {
      await live.process.stop();
      live.process = await startGatewayProcess({ home, env });
    },
    async stop() {
      await live.process.stop();
      cleanup();
    },
  };
  return live;
}
