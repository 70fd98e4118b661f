/** @module `openclaw gateway start|status|health`: run the gateway and ask a running one how it is. */
import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { GatewayError } from '../../protocol/index.js';
import { startGateway, installProcessHandlers, type RunningGateway } from '../../gateway/index.js';
import { schedulerService, type Scheduler } from '../../scheduler/index.js';
import { createLlmService, llmSummarizer, type LlmCoordinator } from '../../llm/index.js';
import { agentFor } from '../agent.js';
import { localNodeService } from '../../nodes/index.js';
import { cronService } from '../../cron/index.js';
import { memoryService } from '../../memory/index.js';
import { CliExit, EXIT } from '../exit-codes.js';
import { printJson, printLine } from '../output.js';
import { resolveTarget, withClient, type TargetFlags } from '../target.js';
import { markLongRunning } from '../long-running.js';
import { registerInstallCommands } from './gateway-install.js';

interface StartFlags {
  headless?: boolean;
  port?: string;
  host?: string;
  config?: string;
  localNode?: boolean;
  logLevel?: string;
}

function parsePort(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 65535)
    throw new CliExit(EXIT.USAGE, `--port ${v}: expected a whole number from 0 to 65535`);
  return Number(v);
}

async function start(flags: StartFlags): Promise<void> {
  const cfg = loadConfig({
    ...(flags.config ? { configPath: flags.config } : {}),
    flags: {
      'gateway.port': flags.port !== undefined ? parsePort(flags.port) : undefined,
      'gateway.host': flags.host,
      'gateway.headless': flags.headless ? true : undefined,
      'gateway.local_node.enabled': flags.localNode === false ? false : undefined,
      'logging.level': flags.logLevel,
    },
  });
  // Signal handlers go in before start-up: `gateway_started` is logged from inside startGateway, and
  // a supervisor that stops us right after it must get a drain, not the default kill by signal.
  let gw: RunningGateway | null = null;
  let scheduler: Scheduler | undefined;
  let llm: LlmCoordinator | undefined;
  // LLM stream deltas reach the task's subscribers as progress events.
  const onDelta = (taskId: string, text: string) =>
    scheduler?.subscriptions.publish(taskId, 'task.progress', { id: taskId, message: text, stream: true });
  let early: string | null = null;
  let stopping = false;
  const stop = (signal: string) => {
    if (!gw) {
      // Drained once start-up completes; a second signal does not wait for that.
      if (early !== null) process.exit(1);
      early = signal;
      return;
    }
    const running = gw;
    if (stopping) {
      running.logger.warn(
        { component: 'gateway', event: 'forced_exit', signal },
        'second signal: exiting without drain',
      );
      process.exit(1);
    }
    stopping = true;
    void running.shutdown(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        running.logger.error({ component: 'gateway', event: 'shutdown_failed', err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  const onTerm = () => stop('SIGTERM');
  const onInt = () => stop('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  try {
    gw = await startGateway(cfg, {
      services: [
        schedulerService({ onReady: (s) => (scheduler = s) }),
        createLlmService({ onDelta, onReady: (c) => (llm = c) }),
        // Compaction summaries come from the LLM when one is configured, else memory's extractive summary.
        (ctx) => {
          if (llm?.configured) ctx.shared.set('memory.summarize', llmSummarizer(llm));
          return null;
        },
        cronService(),
        memoryService(),
        localNodeService({ agent: agentFor }),
      ],
    });
  } catch (err) {
    // Start-up failed and main() exits with its code; a signal now needs no drain.
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    throw err;
  }
  markLongRunning();
  installProcessHandlers(gw.logger);
  if (early !== null) stop(early);
  if (!cfg.gateway.headless && process.stdout.isTTY) {
    process.stderr.write(`OpenClaw Gateway ${gw.version} listening on ${gw.wsUrl} (Web UI ${gw.httpUrl}/)\n`);
  }
}

export function registerGatewayCommands(program: Command): void {
  const gateway = program.command('gateway').description('run or query the gateway');
  registerInstallCommands(gateway);
  gateway
    .command('start')
    .description('start the gateway (HTTP + WebSocket, default 127.0.0.1:18789) with its built-in local node')
    .option('--headless', 'core services only: no browser opening, no prompts (also OPENCLAW_HEADLESS=true)')
    .option('--port <port>', 'listen port (also OPENCLAW_GATEWAY_PORT)')
    .option('--host <host>', 'bind address (also OPENCLAW_GATEWAY_HOST)')
    .option('--config <file>', 'config file (default ~/.openclaw/config.yaml or $OPENCLAW_CONFIG)')
    .option('--no-local-node', 'do not run the built-in local node')
    .option('--log-level <level>', 'trace, debug, info, warn, error')
    .action(start);

  const targetOptions = (c: Command) =>
    c
      .option('--url <url>', 'gateway URL (ws://, wss://, http:// or https://; default from config)')
      .option(
        '--token <token>',
        'bearer token (default $OPENCLAW_AUTH_TOKEN, or signed locally from the data dir secret)',
      )
      .option('--config <file>', 'config file')
      .option('--json', 'machine-readable output');

  targetOptions(gateway.command('health'))
    .description('call the health method over WebSocket; exit 0 when ok, 3 when unreachable or unauthorised')
    .action(async (flags: TargetFlags & { json?: boolean }) => {
      const target = await resolveTarget(flags);
      const health = await withClient(target, (c) => c.request('health', {}));
      if (flags.json) printJson(health);
      else {
        const h = health as { status: string; uptime_ms: number; version: string };
        printLine(
          `${h.status} (version ${h.version}, up ${Math.round(h.uptime_ms / 1000)} s) at ${target.wsUrl}`,
        );
      }
    });

  targetOptions(gateway.command('status'))
    .description('show readiness, version, uptime and connected nodes of a running gateway')
    .action(async (flags: TargetFlags & { json?: boolean }) => {
      const target = await resolveTarget(flags);
      let ready: { status: string };
      try {
        const res = await fetch(`${target.httpUrl}/ready`);
        ready = (await res.json()) as { status: string };
      } catch (err) {
        throw new GatewayError('GW_ERR_GATEWAY_UNREACHABLE', {
          url: target.httpUrl,
          reason: (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message,
        });
      }
      const detail = await withClient(target, async (c, info) => {
        const [health, nodes] = await Promise.all([
          c.request('health', {}),
          c.request('node.list', {}).catch(() => null),
        ]);
        return { health, nodes, server: info };
      });
      const h = detail.health as { uptime_ms: number; version: string };
      const nodes = (detail.nodes as { nodes?: unknown[] } | null)?.nodes ?? null;
      const out = {
        url: target.wsUrl,
        ready: ready.status,
        version: h.version,
        uptime_ms: h.uptime_ms,
        gateway_id: detail.server?.server.gateway_id ?? null,
        nodes: nodes ? nodes.length : null,
      };
      if (flags.json) printJson(out);
      else {
        printLine(`gateway   ${out.url}`);
        printLine(`state     ${out.ready}`);
        printLine(`version   ${out.version}`);
        printLine(`uptime    ${Math.round(out.uptime_ms / 1000)} s`);
        printLine(`id        ${out.gateway_id ?? '-'}`);
        if (out.nodes !== null) printLine(`nodes     ${out.nodes}`);
      }
      if (ready.status !== 'ok') throw new CliExit(EXIT.UNREACHABLE);
    });
}
