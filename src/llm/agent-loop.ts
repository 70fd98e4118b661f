/**
 * @module The agent loop a node runs for an instruction: ask the LLM with the skills as tools, run the
 * tool calls, feed the results back, until a final answer, the step limit or an abort. Every message
 * and tool call is handed to `record`. Its dependencies are injected, so it needs no gateway to run.
 */
import { GatewayError, type ErrorBody } from '../protocol/index.js';
import { abortErrorFrom, linkedController, raceAbort, type SkillContext } from '../skills/index.js';
import {
  usageOf,
  type ChatCompletion,
  type ChatMessage,
  type ChatRequest,
  type ChatTool,
  type Usage,
} from './chat-types.js';

/** What the loop needs of a skill registry (`SkillRegistry` fits). */
export interface AgentSkills {
  toolDefinitions(): ChatTool[];
  invoke(name: string, args: unknown, ctx: SkillContext): Promise<unknown>;
}

/** One recorded step: a message added to the conversation, or one tool call with its outcome. */
export type AgentStep =
  | { type: 'message'; step: number; message: ChatMessage; provider?: string; model?: string; usage?: Usage }
  | {
      type: 'tool_call';
      step: number;
      tool_call_id: string;
      name: string;
      args: unknown;
      result?: unknown;
      error?: ErrorBody;
      duration_ms: number;
    };

export const DEFAULT_AGENT_SYSTEM_PROMPT =
  'You are an OpenClaw agent running on a node. Use the tools to do the task; each tool result comes back as JSON. ' +
  'When the task is done, answer with the result and no tool calls.';

/** Options of `runAgent`. */
export interface RunAgentOptions {
  instruction: string;
  workspace: string;
  taskId: string;
  /** Calls the LLM: on a node, `llm.chat` through the gateway. */
  chat(request: ChatRequest, signal?: AbortSignal): Promise<ChatCompletion>;
  skills: AgentSkills;
  /** Passed to every tool call; its signal is combined with `signal`. */
  skillContext: SkillContext;
  /** Receives every message and every tool call, in order; awaited, and a throw ends the run. */
  record(step: AgentStep): void | Promise<void>;
  /** Cancellation or timeout of the task. Default: never. */
  signal?: AbortSignal;
  /** LLM calls allowed before the run fails with GW_ERR_AGENT_MAX_STEPS. Default 20. */
  maxSteps?: number;
  /** Earlier conversation of the workspace, put before the instruction (its system messages are dropped). */
  history?: ChatMessage[];
  /** Model reference passed to `chat`. Default: none (the gateway's default model). */
  model?: string;
  /** Default `DEFAULT_AGENT_SYSTEM_PROMPT`. */
  systemPrompt?: string;
  /** Ask the gateway to stream the answers (as task progress). Default false. */
  stream?: boolean;
  /** Longest tool result text fed back to the LLM; the rest is cut with a note. Default 20000 characters. */
  maxToolResultChars?: number;
}

export interface AgentResult {
  answer: string;
  /** LLM calls made. */
  steps: number;
  /** Summed over every LLM call of the run. */
  usage: Usage;
  /** The whole conversation, history included. */
  messages: ChatMessage[];
}

function errorBody(err: unknown): ErrorBody {
  if (err instanceof GatewayError) return { code: err.code, message: err.message, retryable: err.retryable };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'GW_ERR_SKILL_FAILED', message, retryable: false };
}

function parseArgs(text: string): { ok: true; args: unknown } | { ok: false; error: ErrorBody } {
  try {
    return { ok: true, args: text.trim() === '' ? {} : JSON.parse(text) };
  } catch (err) {
    return {
      ok: false,
      error: {
        code: 'GW_ERR_SKILL_INVALID_ARGS',
        message: `tool arguments are not valid JSON: ${(err as Error).message}`,
        retryable: false,
      },
    };
  }
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n[... ${text.length - max} more characters cut]`;
}

/** Runs the loop; resolves with the final answer or rejects with a GatewayError saying why it stopped. */
export async function runAgent(options: RunAgentOptions): Promise<AgentResult> {
  const maxSteps = options.maxSteps ?? 20;
  const maxChars = options.maxToolResultChars ?? 20_000;
  const { controller, unlink } = linkedController(
    [options.skillContext.signal, options.signal].filter((s): s is AbortSignal => s !== undefined),
  );
  const signal = controller.signal;
  const skillContext: SkillContext = { ...options.skillContext, signal };
  const tools = options.skills.toolDefinitions();
  const system: ChatMessage = {
    role: 'system',
    content: options.systemPrompt ?? DEFAULT_AGENT_SYSTEM_PROMPT,
  };
  const user: ChatMessage = { role: 'user', content: options.instruction };
  const messages: ChatMessage[] = [
    system,
    ...(options.history ?? []).filter((m) => m.role !== 'system'),
    user,
  ];
  const total = { prompt: 0, completion: 0 };
  const checkAbort = (): void => {
    if (signal.aborted) throw abortErrorFrom(signal);
  };
  try {
    await options.record({ type: 'message', step: 0, message: system });
    await options.record({ type: 'message', step: 0, message: user });
    for (let step = 1; step <= maxSteps; step++) {
      checkAbort();
      const request: ChatRequest = {
        // A copy: the conversation grows after the call, and `chat` may keep the request (logs, retries).
        messages: [...messages],
        ...(tools.length > 0 ? { tools } : {}),
        ...(options.model ? { model: options.model } : {}),
        ...(options.stream ? { stream: true } : {}),
        task_id: options.taskId,
        workspace: options.workspace,
      };
      const completion = await raceAbort(options.chat(request, signal), signal);
      total.prompt += completion.usage?.prompt_tokens ?? 0;
      total.completion += completion.usage?.completion_tokens ?? 0;
      const reply = completion.choices[0]?.message;
      if (!reply) {
        throw new GatewayError('GW_ERR_LLM_PROVIDER_ERROR', {
          provider: completion.provider,
          reason: 'the completion has no choices',
        });
      }
      const calls = reply.tool_calls ?? [];
      const assistant: ChatMessage = {
        role: 'assistant',
        content: reply.content,
        ...(calls.length > 0 ? { tool_calls: calls } : {}),
      };
      messages.push(assistant);
      await options.record({
        type: 'message',
        step,
        message: assistant,
        provider: completion.provider,
        model: completion.model,
        usage: completion.usage,
      });
      if (calls.length === 0) {
        return {
          answer: reply.content ?? '',
          steps: step,
          usage: usageOf(total.prompt, total.completion),
          messages,
        };
      }
      // Sequentially: calls of one step share the task's directory and may depend on each other's effects.
      for (const call of calls) {
        checkAbort();
        const t0 = performance.now();
        const parsed = parseArgs(call.function.arguments);
        let result: unknown;
        let error: ErrorBody | undefined;
        if (!parsed.ok) error = parsed.error;
        else {
          try {
            result = await options.skills.invoke(call.function.name, parsed.args, skillContext);
          } catch (err) {
            // The run's own abort ends the run; any other failure is the model's to handle.
            checkAbort();
            error = errorBody(err);
          }
        }
        const duration_ms = Math.round(performance.now() - t0);
        await options.record({
          type: 'tool_call',
          step,
          tool_call_id: call.id,
          name: call.function.name,
          args: parsed.ok ? parsed.args : call.function.arguments,
          ...(error ? { error } : { result }),
          duration_ms,
        });
        const text = error
          ? JSON.stringify({ error })
          : typeof result === 'string'
            ? result
            : (JSON.stringify(result) ?? 'null');
        const toolMessage: ChatMessage = {
          role: 'tool',
          tool_call_id: call.id,
          content: clip(text, maxChars),
        };
        messages.push(toolMessage);
        await options.record({ type: 'message', step, message: toolMessage });
      }
    }
    throw new GatewayError('GW_ERR_AGENT_MAX_STEPS', { max_steps: maxSteps });
  } finally {
    unlink();
  }
}
