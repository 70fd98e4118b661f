/**
 * @module Test support for memory integration tests: a real `openclaw gateway start` with its own HOME
 * (and optionally an encryption key), operator clients with tokens signed by its secret, the CLI run
 * against the same HOME, and raw reads of the store files.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { GatewayClient } from '../../../src/client/index.js';
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

export interface MemoryGateway {
  home: string;
  dataDir: string;
  gw: GatewayProcess | null;
  /** Environment every process of this gateway gets (key, config path). */
  env: Record<string, string | undefined>;
  start(extraEnv?: Record<string, string | undefined>): Promise<GatewayProcess>;
  stop(): Promise<void>;
  client(role?: Role): Promise<GatewayClient>;
  cli(args: string[], extraEnv?: Record<string, string | undefined>, timeoutMs?: number): Promise<CliResult>;
  /** The database file, its WAL and shared memory as they are on disk right now. */
  storeBytes(): Buffer;
  close(): Promise<void>;
}

export function newMemoryGateway(
  options: { key?: string; config?: Record<string, unknown>; home?: string } = {},
): MemoryGateway {
  const { home, cleanup } = options.home
    ? { home: options.home, cleanup: () => undefined }
    : tempHome('openclaw-mem-it-');
  mkdirSync(home, { recursive: true });
  const configPath = join(home, 'config.yaml');
  writeFileSync(
    configPath,
    stringify(options.config ?? { gateway: { local_node: { capabilities: ['echo', 'shell'] } } }),
  );
  const env: Record<string, string | undefined> = {
    OPENCLAW_CONFIG: configPath,
    OPENCLAW_WORKSPACE_ENCRYPTION_KEY: options.key,
    OPENAI_API_KEY: undefined,
    ANTHROPIC_API_KEY: undefined,
    OLLAMA_HOST: undefined,
  };
  const dataDir = join(home, '.openclaw', 'data');
  const clients: GatewayClient[] = [];
  const g: MemoryGateway = {
    home,
    dataDir,
    gw: null,
    env,
    async start(extraEnv = {}) {
      g.gw = await startGatewayProcess({ home, env: { ...env, ...extraEnv } });
      return g.gw;
    },
    async stop() {
      await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
      await g.gw?.stop('SIGTERM');
      g.gw = null;
    },
    async client(role: Role = 'operator') {
      if (!g.gw) throw new Error('the gateway is not running');
      const secret = readFileSync(join(dataDir, 'auth.secret'), 'utf8').trim();
      const token = createTokenService({ secret, revocations: new InMemoryRevocationStore() }).issue({
        role,
        subject: `it-${role}`,
      }).token;
      const c = new GatewayClient({
        url: g.gw.wsUrl,
        token,
        role: role === 'node' ? 'node' : 'operator',
        client: { name: 'memory-it', version: '1' },
        ...(role === 'node' ? { node: { id: 'it-node', capabilities: ['echo'] } } : {}),
        reconnect: { enabled: false },
        keepalive: { enabled: false },
      });
      await c.connect();
      clients.push(c);
      return c;
    },
    cli(args, extraEnv = {}, timeoutMs = 60_000) {
      return runCli(args, cliEnv(home, { ...env, ...extraEnv }), timeoutMs);
    },
    storeBytes() {
      const file = join(dataDir, 'openclaw.db');
      return Buffer.concat(
        [file, `${file}-wal`, `${file}-shm`].filter((f) => existsSync(f)).map((f) => readFileSync(f)),
      );
    },
    async close() {
      await g.stop().catch(() => undefined);
      cleanup();
    },
  };
  return g;
}
