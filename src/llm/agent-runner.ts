/**
 * @module The node side glue: runs `runAgent` for an assigned task, with `llm.chat` and `memory.append`
 * over the node's gateway connection, so the node runtime's `agent` option is one call away.
 */
import type { Task } from '../protocol/index.js';
import type { SkillContext } from '../skills/index.js';
import { runAgent, type AgentSkills, type AgentStep } from './agent-loop.js';
import { contentText, type ChatCompletion, type ChatMessage, type Usage } from './chat-types.js';

/** What the runner needs of a gateway connection (`GatewayClient` fits). */
export interface AgentGatewayClient {
  request(method: any, params?: any, options?: { timeoutMs?: number }): Promise<unknown>;
}

/** Options of `createAgentRunner`. */
export interface AgentRunnerOptions {
  skills: AgentSkills;
  /** LLM calls per task before it fails with GW_ERR_AGENT_MAX_STEPS. Default 20. */
  maxSteps?: number;
  /** Model reference for every call. Default: none (the gateway's `llm.default_model`). */
  model?: string;
  /** Stream answers, which the gateway turns into task progress. Default true. */
  stream?: boolean;
  /** Earlier conversation of the task's workspace. Default: none. */
  history?: (task: Task, client: AgentGatewayClient) => Promise<ChatMessage[]>;
  /** Characters of a record's searchable `content`. Default 100000. */
  maxRecordChars?: number;
}

export interface AgentTaskResult {
  answer: string;
  steps: number;
  usage: Usage;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/**
 * The `memory.append` params of one step: a message (role, content, tool calls) or a tool-call record
 * (`tool`: name, args, result or error, duration), with readable `content` for search. `id` makes the
 * append idempotent when the node resends it after a reconnect; it includes the task's attempt, so a
 * re-run of the task records its own steps.
 */
export function memoryRecord(
  task: Task,
  seq: number,
  step: AgentStep,
  maxChars = 100_000,
): Record<string, unknown> {
  const id = `${task.id}:${task.attempt ?? 1}:${seq}`.replace(/[^A-Za-z0-9._:-]/g, '_').slice(-128);
  const base = { workspace: task.workspace, id, task_id: task.id };
  if (step.type === 'tool_call') {
    const outcome = step.error ? { error: step.error } : { result: step.result };
    return {
      ...base,
      kind: 'tool_call',
      content: clip(
        `${step.name} ${JSON.stringify(step.args)} -> ${JSON.stringify(outcome) ?? 'null'}`,
        maxChars,
      ),
      tool: {
        name: step.name,
        args: step.args,
        ...(step.error ? { error: step.error } : { result: step.result ?? null }),
        duration_ms: step.duration_ms,
      },
      metadata: { step: step.step, tool_call_id: step.tool_call_id },
    };
  }
  const m = step.message;
  const text = contentText(m.content);
  const hasCalls = (m.tool_calls?.length ?? 0) > 0;
  return {
    ...base,
    kind: 'message',
    role: m.role,
    // A message needs content or tool calls; an empty final answer is still a step worth keeping.
    ...(text !== '' ? { content: clip(text, maxChars) } : hasCalls ? {} : { content: '(empty)' }),
    ...(hasCalls ? { tool_calls: m.tool_calls } : {}),
    ...(m.tool_call_id ? { tool_call_id: m.tool_call_id } : {}),
    metadata: {
      step: step.step,
      ...(step.provider ? { provider: step.provider, model: step.model } : {}),
      ...(step.usage ? { usage: step.usage } : {}),
    },
  };
}

/**
 * Builds the node runtime's agent runner. LLM calls wait without a request timeout of their own, since
 * a provider's queue may hold them for long; the task's signal (timeout, cancel) ends them instead.
 */
export function createAgentRunner(
  options: AgentRunnerOptions,
): (task: Task, ctx: SkillContext, client: AgentGatewayClient) => Promise<AgentTaskResult> {
  return async (task, ctx, client) => {
    const history = options.history ? await options.history(task, client) : undefined;
    let seq = 0;
    const out = await runAgent({
      instruction: task.task ?? '',
      workspace: task.workspace,
      taskId: task.id,
      chat: (request) => client.request('llm.chat', request, { timeoutMs: 0 }) as Promise<ChatCompletion>,
      skills: options.skills,
      skillContext: ctx,
      record: async (step) => {
        if (step.type === 'tool_call')
          ctx.progress(`tool ${step.name} ${step.error ? 'failed' : 'done'}`, { step: step.step });
        await client.request('memory.append', memoryRecord(task, ++seq, step, options.maxRecordChars));
      },
      signal: ctx.signal,
      stream: options.stream ?? true,
      ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}),
      ...(options.model ? { model: options.model } : {}),
      ...(history ? { history } : {}),
    });
    return { answer: out.answer, steps: out.steps, usage: out.usage };
  };
}
