/** @module Translation between OpenAI chat completions and Ollama's /api/chat (JSON and NDJSON chunks). */
import type { ChatRequest, ContentPart, FinishReason, ToolCall, Usage } from './chat-types.js';
import { contentText, usageOf } from './chat-types.js';
import { MalformedResponseError, type AttemptResult } from './provider-adapter.js';

interface OllamaMessage {
  role: string;
  content: string;
  images?: string[];
  tool_calls?: Array<{ function: { name: string; arguments: Record<string, unknown> } }>;
  tool_name?: string;
}

function parseArguments(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text || '{}');
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return { _raw: text };
  }
}

function images(content: unknown): string[] {
  if (!Array.isArray(content)) return [];
  const out: string[] = [];
  for (const part of content as ContentPart[]) {
    const url =
      part.type === 'image_url' ? (part as { image_url?: { url?: unknown } }).image_url?.url : undefined;
    const m = typeof url === 'string' ? /^data:[^;,]+;base64,(.*)$/s.exec(url) : null;
    if (m?.[1]) out.push(m[1]);
  }
  return out;
}

/** The Ollama `chat` request for an OpenAI-shaped one. */
export function toOllamaRequest(model: string, request: ChatRequest): Record<string, unknown> {
  // Ollama matches a tool result to its call by tool name, not by id.
  const nameById = new Map<string, string>();
  const messages: OllamaMessage[] = request.messages.map((m) => {
    const out: OllamaMessage = {
      role: m.role === 'developer' ? 'system' : m.role,
      content: contentText(m.content),
    };
    const imgs = images(m.content);
    if (imgs.length > 0) out.images = imgs;
    if (m.role === 'assistant' && m.tool_calls?.length) {
      out.tool_calls = m.tool_calls.map((c) => {
        nameById.set(c.id, c.function.name);
        return { function: { name: c.function.name, arguments: parseArguments(c.function.arguments) } };
      });
    }
    if (m.role === 'tool') {
      const name = (m.tool_call_id && nameById.get(m.tool_call_id)) ?? m.name;
      if (name) out.tool_name = name;
    }
    return out;
  });
  const options: Record<string, unknown> = {};
  if (request.temperature !== undefined) options.temperature = request.temperature;
  if (request.top_p !== undefined) options.top_p = request.top_p;
  const max = request.max_completion_tokens ?? request.max_tokens;
  if (max !== undefined) options.num_predict = max;
  if (request.stop !== undefined) options.stop = Array.isArray(request.stop) ? request.stop : [request.stop];
  if (request.seed !== undefined) options.seed = request.seed;
  if (request.presence_penalty !== undefined) options.presence_penalty = request.presence_penalty;
  if (request.frequency_penalty !== undefined) options.frequency_penalty = request.frequency_penalty;
  const body: Record<string, unknown> = { model, messages };
  if (Object.keys(options).length > 0) body.options = options;
  if (request.tools && request.tools.length > 0 && request.tool_choice !== 'none') body.tools = request.tools;
  const fmt = request.response_format as { type?: string; json_schema?: { schema?: unknown } } | undefined;
  if (fmt?.type === 'json_object') body.format = 'json';
  else if (fmt?.type === 'json_schema' && fmt.json_schema?.schema) body.format = fmt.json_schema.schema;
  return body;
}

let callSeq = 0;
function toolCalls(raw: unknown): ToolCall[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((c) => typeof c?.function?.name === 'string')
    .map((c) => ({
      // Ollama gives no call ids (or not always); the agent needs one to pair the result with its call.
      id: typeof c.id === 'string' && c.id !== '' ? c.id : `call_${Date.now().toString(36)}_${++callSeq}`,
      type: 'function' as const,
      function: {
        name: c.function.name as string,
        arguments:
          typeof c.function.arguments === 'string'
            ? c.function.arguments
            : JSON.stringify(c.function.arguments ?? {}),
      },
    }));
}

function usage(r: any): Usage | undefined {
  if (typeof r?.prompt_eval_count !== 'number' && typeof r?.eval_count !== 'number') return undefined;
  return usageOf(r.prompt_eval_count ?? 0, r.eval_count ?? 0);
}

function finish(doneReason: unknown, hasTools: boolean): FinishReason {
  if (hasTools) return 'tool_calls';
  return doneReason === 'length' ? 'length' : 'stop';
}

function created(r: any): number {
  const t = Date.parse(String(r?.created_at ?? ''));
  return Math.floor((Number.isNaN(t) ? Date.now() : t) / 1000);
}

/** Maps an Ollama chat response to the OpenAI completion shape. */
export function fromOllamaResponse(raw: unknown, model: string): AttemptResult {
  const r = raw as Record<string, any> | null;
  if (!r || typeof r !== 'object' || !r.message || typeof r.message !== 'object') {
    throw new MalformedResponseError('no message in the chat response');
  }
  const calls = toolCalls(r.message.tool_calls);
  const content =
    typeof r.message.content === 'string' && r.message.content !== '' ? r.message.content : null;
  const u = usage(r);
  return {
    id: `ollama-${Date.now().toString(36)}-${++callSeq}`,
    model: typeof r.model === 'string' ? r.model : model,
    created: created(r),
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, ...(calls.length > 0 ? { tool_calls: calls } : {}) },
        finish_reason: finish(r.done_reason, calls.length > 0),
      },
    ],
    ...(u ? { usage: u } : {}),
  };
}

/** Rebuilds one response from NDJSON chunks; the last one (`done: true`) carries the counts. */
export class OllamaStreamAccumulator {
  private text = '';
  private model = '';
  private first: unknown;
  private last: any;
  private readonly calls: unknown[] = [];

  push(chunk: any, onDelta: (text: string) => void): void {
    this.first ??= chunk;
    this.last = chunk;
    if (typeof chunk?.model === 'string') this.model ||= chunk.model;
    const m = chunk?.message;
    if (typeof m?.content === 'string' && m.content !== '') {
      this.text += m.content;
      onDelta(m.content);
    }
    if (Array.isArray(m?.tool_calls)) this.calls.push(...m.tool_calls);
  }

  result(model: string): AttemptResult {
    if (!this.last?.done) throw new MalformedResponseError('the stream ended before done');
    return fromOllamaResponse(
      {
        ...this.last,
        model: this.model || model,
        created_at: (this.first as any)?.created_at,
        message: { role: 'assistant', content: this.text, tool_calls: this.calls },
      },
      model,
    );
  }
}
