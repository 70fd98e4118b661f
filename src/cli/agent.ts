/** @module The agent runner every node gets: the LLM layer's loop, primed with the workspace's history (R3.3). */
import { createAgentRunner, type ChatMessage } from '../llm/index.js';
import type { AgentRunner } from '../nodes/index.js';
import type { SkillRegistry } from '../skills/index.js';

export function agentFor(skills: SkillRegistry): AgentRunner {
  return createAgentRunner({
    skills,
    // A restarted task, or one on a node that reconnected elsewhere, picks up the workspace's conversation.
    history: async (task, client) =>
      ((await client.request('workspace.get', { id: task.workspace })) as { history?: ChatMessage[] })
        .history ?? [],
  }) as AgentRunner;
}
