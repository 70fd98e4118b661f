/**
 * @module The gateway's built-in local node (R3.4): the same node runtime as a remote node, connected
 * over loopback with a node token signed in memory, so `openclaw gateway start` alone runs tasks.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { GatewayContext, GatewayService, ServiceFactory } from '../gateway/index.js';
import { createDefaultSkills, createSkillRegistry, type SkillRegistry } from '../skills/index.js';
import { NodeRuntime, type AgentRunner } from './node-runtime.js';

export interface LocalNodeOptions {
  /** Builds the agent runner over the node's skills (the LLM layer provides it; the CLI wires it). */
  agent?: (skills: SkillRegistry) => AgentRunner;
}

export function localNodeService(opts: LocalNodeOptions = {}): ServiceFactory {
  return async (ctx: GatewayContext): Promise<GatewayService | null> => {
    const cfg = ctx.config.gateway.local_node;
    if (!cfg.enabled) return null;
    const id = cfg.id ?? `local-${hostname()}`;
    const { token } = ctx.tokens.issue({ role: 'node', subject: id });
    const g = ctx.config.gateway;
    const host = g.host === '0.0.0.0' || g.host === '' ? '127.0.0.1' : g.host === '::' ? '::1' : g.host;
    const hostPart = host.includes(':') ? `[${host}]` : host;
    const url = `${g.tls.enabled ? 'wss' : 'ws'}://${hostPart}:${ctx.server.port}${g.websocket_path}`;
    const skills = createSkillRegistry(createDefaultSkills({ capabilities: cfg.capabilities }));
    const node = new NodeRuntime({
      url,
      token,
      nodeId: id,
      capabilities: cfg.capabilities,
      tags: cfg.tags,
      concurrency: cfg.concurrency,
      workspaceRoot: join(ctx.config.data_dir, 'workspaces'),
      skills,
      logger: ctx.logger,
      clientName: 'openclaw-local-node',
      reconnect: { initialDelayMs: 200, maxDelayMs: 5000 },
      ...(g.tls.enabled
        ? {
            tls: {
              ...(g.tls.ca ? { ca: readFileSync(g.tls.ca) } : {}),
              rejectUnauthorized: Boolean(g.tls.ca),
            },
          }
        : {}),
      ...(opts.agent ? { agent: opts.agent(skills) } : {}),
    });
    await node.start();
    return {
      name: 'local-node',
      drain: (deadline) => node.stop({ deadline }),
      stop: () => node.stop({ deadline: Date.now(), cancelRunning: true }),
    };
  };
}
