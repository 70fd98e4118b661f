/** @module OpenAI and OpenAI-compatible providers through the official `openai` SDK. */
import type OpenAI from 'openai';
import type { ChatChoice, ChatRequest, FinishReason, ToolCall, Usage } from './chat-types.js';
import { clientPerKey } from './client-per-key.js';
import { usageOf } from './chat-types.js';
import {
  MalformedResponseError,
  type AttemptOptions,
  type AttemptResult,
  type ProviderAdapter,
  type ProviderSettings,
} from './provider-adapter.js';

/** Request fields passed on to the vendor; routing and accounting fields stay in the gateway. */
const PASSED = [
  'messages',
  'tools',
  'tool_choice',
  'temperature',
  'top_p',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'response_format',
  'parallel_tool_calls',
  'user',
] as const;

export function toOpenAiBody(model: string, request: ChatRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { model };
  for (const key of PASSED) if (request[key] !== undefined) body[key] = request[key];
  return body;
}

const FINISH: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
};

function finish(reason: unknown, hasTools: boolean): FinishReason {
  if (typeof reason === 'string' && FINISH[reason]) return FINISH[reason];
  return hasTools ? 'tool_calls' : 'stop';
}

function toolCallsOf(raw: unknown): ToolCall[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) return undefined;
  const out: ToolCall[] = [];
  for (const c of raw as Array<Record<string, any>>) {
    if (!c || typeof c.function?.name !== 'string') continue;
    out.push({
      id: typeof c.id === 'string' ? c.id : `call_${out.length}`,
      type: 'function',
      function: {
        name: c.function.name,
        arguments: typeof c.function.arguments === 'string' ? c.function.arguments : '{}',
      },
    });
  }
  return out.length > 0 ? out : undefined;
}

function usageFrom(raw: any): Usage | undefined {
  if (!raw || typeof raw.prompt_tokens !== 'number') return undefined;
  return usageOf(raw.prompt_tokens, raw.completion_tokens ?? 0);
}

/** Normalises an SDK completion (or anything a compatible server sent) to the gateway's shape. */
export function fromOpenAiCompletion(raw: unknown, model: string): AttemptResult {
  const r = raw as Record<string, any> | null;
  if (!r || typeof r !== 'object' || !Array.isArray(r.choices) || r.choices.length === 0) {
    throw new MalformedResponseError('no choices in the completion');
  }
  const choices: ChatChoice[] = (r.choices as Array<Record<string, any>>).map((c, i) => {
    const toolCalls = toolCallsOf(c?.message?.tool_calls);
    const content = c?.message?.content;
    return {
      index: typeof c?.index === 'number' ? c.index : i,
      message: {
        role: 'assistant',
        content: typeof content === 'string' ? content : null,
        ...(toolCalls ? { tool_calls: toolCalls } : {}),
      },
      finish_reason: finish(c?.finish_reason, toolCalls !== undefined),
    };
  });
  const usage = usageFrom(r.usage);
  return {
    id: typeof r.id === 'string' ? r.id : `chatcmpl-${Date.now()}`,
    model: typeof r.model === 'string' ? r.model : model,
    created: typeof r.created === 'number' ? r.created : Math.floor(Date.now() / 1000),
    choices,
    ...(usage ? { usage } : {}),
  };
}

/** Rebuilds one completion from SSE chunks; tool call fragments are joined by their index. */
export class OpenAiStreamAccumulator {
  private id = '';
  private model = '';
  private created = 0;
  private text = '';
  private sawText = false;
  private reason: unknown;
  private usage: Usage | undefined;
  private readonly calls = new Map<number, { id: string; name: string; args: string }>();

  push(chunk: any, onDelta: (text: string) => void): void {
    if (typeof chunk?.id === 'string') this.id ||= chunk.id;
    if (typeof chunk?.model === 'string') this.model ||= chunk.model;
    if (typeof chunk?.created === 'number') this.created ||= chunk.created;
    this.usage = usageFrom(chunk?.usage) ?? this.usage;
    const choice = Array.isArray(chunk?.choices) ? chunk.choices[0] : undefined;
    if (!choice) return;
    const delta = choice.delta ?? {};
    if (typeof delta.content === 'string' && delta.content !== '') {
      this.sawText = true;
      this.text += delta.content;
      onDelta(delta.content);
    }
    if (Array.isArray(delta.tool_calls)) {
      for (const part of delta.tool_calls) {
        const index = typeof part.index === 'number' ? part.index : this.calls.size;
        const call = this.calls.get(index) ?? { id: '', name: '', args: '' };
        if (typeof part.id === 'string') call.id = part.id;
        if (typeof part.function?.name === 'string') call.name += part.function.name;
        if (typeof part.function?.arguments === 'string') call.args += part.function.arguments;
        this.calls.set(index, call);
      }
    }
    if (choice.finish_reason) this.reason = choice.finish_reason;
  }

  result(model: string): AttemptResult {
    if (!this.id && !this.sawText && this.calls.size === 0) {
      throw new MalformedResponseError('the stream ended without a completion');
    }
    const toolCalls = [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([i, c]) => ({
        id: c.id || `call_${i}`,
        type: 'function' as const,
        function: { name: c.name, arguments: c.args || '{}' },
      }));
    const hasTools = toolCalls.length > 0;
    return {
      id: this.id || `chatcmpl-${Date.now()}`,
      model: this.model || model,
      created: this.created || Math.floor(Date.now() / 1000),
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: this.sawText ? this.text : null,
            ...(hasTools ? { tool_calls: toolCalls } : {}),
          },
          finish_reason: finish(this.reason, hasTools),
        },
      ],
      ...(this.usage ? { usage: this.usage } : {}),
    };
  }
}

/**
 * The SDK is imported on the first call: a gateway that never talks to this provider does not pay
 * its start-up time and memory (the three SDKs together are most of what a gateway loads).
 */
let sdk: Promise<typeof import('openai')> | undefined;

export function createOpenAiAdapter(settings: ProviderSettings): ProviderAdapter {
  const client = clientPerKey(async (apiKey): Promise<OpenAI> => {
    const { default: Sdk } = await (sdk ??= import('openai'));
    return new Sdk({
      // Compatible servers often need no key, but the SDK refuses to start without one.
      apiKey: apiKey ?? 'not-needed',
      ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
      // Our retry loop owns backoff; SDK retries would multiply attempts and hide 429s.
      maxRetries: 0,
      timeout: settings.timeoutMs,
      // The SDK would write to the console, bypassing the redacting JSON logger.
      logLevel: 'off',
    });
  });
  return {
    type: settings.type,
    async chat(model: string, request: ChatRequest, options: AttemptOptions): Promise<AttemptResult> {
      const body = toOpenAiBody(model, request);
      const api = await client(options.apiKey);
      if (!options.onDelta) {
        const params = { ...body, stream: false } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming;
        const res = await api.chat.completions.create(params, { signal: options.signal });
        return fromOpenAiCompletion(res, model);
      }
      const params = {
        ...body,
        stream: true,
        stream_options: { include_usage: true },
      } as unknown as OpenAI.ChatCompletionCreateParamsStreaming;
      const stream = await api.chat.completions.create(params, { signal: options.signal });
      const acc = new OpenAiStreamAccumulator();
      for await (const chunk of stream) {
        options.onActivity?.();
        acc.push(chunk, options.onDelta);
      }
      return acc.result(model);
    },
  };
}
