/**
 * @module The gateway's built-in local node (R3.4): the same node runtime as a remote node, joined to
 * the gateway in-process, so `openclaw gateway start` alone runs tasks. It goes through the same
 * methods, role checks and scheduler as a remote node; only the socket, the framing and the token
 * are left out, which was about a quarter of the gateway's work per task (bench/task-throughput).
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { GatewayContext, GatewayService, ServiceFactory } from '../gateway/index.js';
import { createDefaultSkills, createSkillRegistry, type SkillRegistry } from '../skills/index.js';
import { NodeRuntime, type AgentRunner } from './node-runtime.js';
import { InProcessLink } from './node-link.js';

export interface LocalNodeOptions {
  /** Builds the agent runner over the node's skills (the LLM layer provides it; the CLI wires it). */
  agent?: (skills: SkillRegistry) => AgentRunner;
}

export function localNodeService(opts: LocalNodeOptions = {}): ServiceFactory {
  return async (ctx: GatewayContext): Promise<GatewayService | null> => {
    const cfg = ctx.config.gateway.local_node;
    if (!cfg.enabled) return null;
    const id = cfg.id ?? `local-${hostname()}`;
    const clientName = 'openclaw-local-node';
    const skills = createSkillRegistry(createDefaultSkills({ capabilities: cfg.capabilities }));
    const node = new NodeRuntime({
      link: (declaration) =>
        new InProcessLink(
          () =>
            ctx.server.attachInProcess({
              role: 'node',
              principal: `local:${id}`,
              clientName,
              node: declaration,
            }),
          {
            maxMessageSize: ctx.config.gateway.websocket.max_message_size,
            onLost: (code, reason) =>
              ctx.logger.warn(
                { event: 'local_node_stopped', node_id: id, code, reason },
                `the built-in local node ${id} stopped: ${reason}`,
              ),
          },
        ),
      nodeId: id,
      capabilities: cfg.capabilities,
      tags: cfg.tags,
      concurrency: cfg.concurrency,
      workspaceRoot: join(ctx.config.data_dir, 'workspaces'),
      skills,
      logger: ctx.logger,
      clientName,
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
