/** @module `openclaw node register|start|list`: run a worker node, or list the connected ones. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { defaultOpenclawDir, loadNodeFile, type NodeFileConfig } from '../../config/index.js';
import { createLogger } from '../../observability/index.js';
import { createDefaultSkills, createSkillRegistry } from '../../skills/index.js';
import { NodeRuntime } from '../../nodes/index.js';
import { agentFor } from '../agent.js';
import { NodeIdSchema, type NodeInfo } from '../../protocol/index.js';
import { CliExit, EXIT } from '../exit-codes.js';
import { markLongRunning } from '../long-running.js';
import { printJson, printTable } from '../output.js';
import { normaliseWsUrl, resolveTarget, withClient, type TargetFlags } from '../target.js';

interface NodeFlags {
  gateway?: string;
  nodeId?: string;
  capabilities?: string;
  tags?: string;
  concurrency?: string;
  authToken?: string;
  workspaceDir?: string;
  config?: string;
  logLevel?: string;
}

function csv(v: string | undefined): string[] | undefined {
  const items = v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items && items.length ? items : undefined;
}

async function runNode(file: NodeFileConfig, f: NodeFlags): Promise<void> {
  const url = normaliseWsUrl(f.gateway ?? file.connection.gateway_url);
  const nodeId = f.nodeId ?? file.node.id;
  if (nodeId !== undefined && !NodeIdSchema.safeParse(nodeId).success) {
    throw new CliExit(
      EXIT.USAGE,
      `--node-id ${nodeId}: use letters, digits, ".", "_", ":" or "-" (at most 128)`,
    );
  }
  const concurrency = f.concurrency !== undefined ? Number(f.concurrency) : file.node.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new CliExit(EXIT.USAGE, `--concurrency ${f.concurrency}: expected a whole number >= 1`);
  let token = f.authToken ?? file.connection.auth_token ?? process.env.OPENCLAW_AUTH_TOKEN;
  if (!token) {
    // On the gateway's own machine, sign a node token with the local secret.
    const t = await resolveTarget({ url });
    if (t.tokenSource === 'local-secret' && t.config) {
      const { createTokenService, InMemoryRevocationStore } = await import('../../gateway/index.js');
      const secret =
        t.config.gateway.auth.secret ?? readFileSync(join(t.config.data_dir, 'auth.secret'), 'utf8').trim();
      token = createTokenService({ secret, revocations: new InMemoryRevocationStore() }).issue({
        role: 'node',
        ...(nodeId ? { subject: nodeId } : {}),
      }).token;
    }
  }
  const capabilities = csv(f.capabilities) ?? file.node.capabilities;
  const logger = createLogger({ level: (f.logLevel as 'info') ?? 'info', component: 'node' });
  const tls = file.connection.tls;
  const skills = createSkillRegistry(createDefaultSkills({ capabilities }));
  const node = new NodeRuntime({
    url,
    ...(token ? { token } : {}),
    ...(nodeId ? { nodeId } : {}),
    capabilities,
    tags: csv(f.tags) ?? file.node.tags,
    concurrency,
    workspaceRoot: f.workspaceDir ?? file.node.workspace_dir ?? join(defaultOpenclawDir(), 'workspaces'),
    skills,
    agent: agentFor(skills),
    logger,
    reconnect: {
      enabled: file.reconnect.enabled,
      maxRetries: file.reconnect.max_retries,
      initialDelayMs: file.reconnect.initial_delay_ms,
      maxDelayMs: file.reconnect.max_delay_ms,
      multiplier: file.reconnect.backoff_multiplier,
      jitter: file.reconnect.jitter,
    },
    keepalive: {
      enabled: file.keepalive.enabled,
      intervalMs: file.keepalive.interval_ms,
      timeoutMs: file.keepalive.timeout_ms,
    },
    tls: {
      ...(tls.ca ? { ca: readFileSync(tls.ca) } : {}),
      ...(tls.cert ? { cert: readFileSync(tls.cert) } : {}),
      ...(tls.key ? { key: readFileSync(tls.key) } : {}),
      rejectUnauthorized: tls.reject_unauthorized,
    },
  });
  node.client?.on('fatal', () => {
    void logger.close().finally(() => process.exit(EXIT.UNREACHABLE));
  });
  await node.start();
  markLongRunning();
  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(1);
    stopping = true;
    void node
      .stop({ deadline: Date.now() + 30_000 })
      .finally(() => logger.close().finally(() => process.exit(0)));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

export function registerNodeCommands(program: Command): void {
  const node = program.command('node').description('run a worker node or list nodes');
  const nodeOptions = (c: Command) =>
    c
      .option('--gateway <url>', 'gateway WebSocket URL, e.g. wss://gateway.example.com/ws')
      .option('--node-id <id>', 'node id (default node-<hostname>)')
      .option('--capabilities <list>', 'comma-separated, e.g. "browser,shell,file"')
      .option('--tags <list>', 'comma-separated tags for routing')
      .option('--concurrency <n>', 'tasks run at once')
      .option('--auth-token <token>', 'node token (openclaw token create --role node)')
      .option('--workspace-dir <dir>', 'where workspace directories live (default ~/.openclaw/workspaces)')
      .option('--log-level <level>', 'trace, debug, info, warn, error');

  nodeOptions(node.command('register'))
    .description('register this machine as a node with a gateway and serve tasks until stopped (seed 8.4)')
    .action((f: NodeFlags) => runNode(loadNodeFile(join(homedir(), '.openclaw', 'node.yaml')), f));

  nodeOptions(node.command('start'))
    .description('start a node from ~/.openclaw/node.yaml (seed 9.4); flags override the file')
    .option('--config <file>', 'node config file (default ~/.openclaw/node.yaml)')
    .action((f: NodeFlags) =>
      runNode(
        loadNodeFile(f.config ?? join(homedir(), '.openclaw', 'node.yaml'), process.env, Boolean(f.config)),
        f,
      ),
    );

  node
    .command('list')
    .description('list nodes connected to the gateway')
    .option('--url <url>', 'gateway URL')
    .option('--gateway <url>', 'alias of --url')
    .option('--token <token>', 'bearer token')
    .option('--config <file>', 'config file')
    .option('--json', 'machine-readable output')
    .action(async (f: TargetFlags & { json?: boolean }) => {
      const out = (await withClient(await resolveTarget(f), (c) => c.request('node.list', {}))) as {
        nodes: NodeInfo[];
      };
      if (f.json) printJson(out);
      else
        printTable(
          out.nodes.map((n) => ({ ...n, capabilities: n.capabilities.join(','), tags: n.tags.join(',') })),
          ['id', 'capabilities', 'tags', 'running', 'concurrency', 'connected_at'],
        );
    });
}
