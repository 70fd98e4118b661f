/**
 * @module Translation between OpenAI chat completions and Anthropic messages: `system` apart, tool calls
 * as `tool_use` blocks, tool results as `tool_result` blocks in the next user turn, and back.
 */
import type { ChatMessage, ChatRequest, ContentPart, FinishReason, ToolCall, Usage } from './chat-types.js';
import { contentText, usageOf } from './chat-types.js';
import { MalformedResponseError, type AttemptResult } from './provider-adapter.js';

type Block = Record<string, unknown>;
interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: Block[];
}

function parseArguments(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : { value: v };
  } catch {
    // The model produced arguments that are not JSON; Anthropic needs an object, so keep the text.
    return { _raw: text };
  }
}

function imageBlock(url: string): Block | null {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (m) return { type: 'image', source: { type: 'base64', media_type: m[1], data: m[2] } };
  if (/^https?:\/\//.test(url)) return { type: 'image', source: { type: 'url', url } };
  return null;
}

function userBlocks(content: ChatMessage['content']): Block[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  const out: Block[] = [];
  for (const part of content as ContentPart[]) {
    if (part.type === 'text' && typeof part.text === 'string') out.push({ type: 'text', text: part.text });
    else if (part.type === 'image_url') {
      const url = (part as { image_url?: { url?: unknown } }).image_url?.url;
      const block = typeof url === 'string' ? imageBlock(url) : null;
      if (block) out.push(block);
    }
  }
  return out;
}

/** Appends a turn, merging it into the previous one of the same role (Anthropic wants alternation). */
function push(out: AnthropicMessage[], role: 'user' | 'assistant', blocks: Block[]): void {
  if (blocks.length === 0) return;
  const last = out[out.length - 1];
  if (last && last.role === role) last.content.push(...blocks);
  else out.push({ role, content: blocks });
}

/** The Anthropic `messages.create` body for an OpenAI-shaped request. */
export function toAnthropicRequest(
  model: string,
  request: ChatRequest,
  defaultMaxTokens: number,
): Record<string, unknown> {
  const system: string[] = [];
  const messages: AnthropicMessage[] = [];
  for (const m of request.messages) {
    switch (m.role) {
      case 'system':
      case 'developer': {
        const text = contentText(m.content);
        if (text) system.push(text);
        break;
      }
      case 'user':
        push(messages, 'user', userBlocks(m.content));
        break;
      case 'assistant': {
        const blocks: Block[] = [];
        const text = contentText(m.content);
        if (text) blocks.push({ type: 'text', text });
        for (const call of m.tool_calls ?? []) {
          blocks.push({
            type: 'tool_use',
            id: call.id,
            name: call.function.name,
            input: parseArguments(call.function.arguments),
          });
        }
        push(messages, 'assistant', blocks);
        break;
      }
      case 'tool':
        push(messages, 'user', [
          { type: 'tool_result', tool_use_id: m.tool_call_id ?? '', content: contentText(m.content) },
        ]);
        break;
    }
  }
  const body: Record<string, unknown> = {
    model,
    max_tokens: request.max_completion_tokens ?? request.max_tokens ?? defaultMaxTokens,
    messages,
  };
  if (system.length > 0) body.system = system.join('\n\n');
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.top_p !== undefined) body.top_p = request.top_p;
  if (request.stop !== undefined)
    body.stop_sequences = Array.isArray(request.stop) ? request.stop : [request.stop];
  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools.map((t) => ({
      name: t.function.name,
      ...(t.function.description ? { description: t.function.description } : {}),
      input_schema: t.function.parameters ?? { type: 'object', properties: {} },
    }));
  }
  const choice = request.tool_choice;
  if (choice !== undefined) {
    if (choice === 'auto') body.tool_choice = { type: 'auto' };
    else if (choice === 'none') body.tool_choice = { type: 'none' };
    else if (choice === 'required') body.tool_choice = { type: 'any' };
    else body.tool_choice = { type: 'tool', name: choice.function.name };
    if (request.parallel_tool_calls === false && choice !== 'none') {
      (body.tool_choice as Block).disable_parallel_tool_use = true;
    }
  }
  return body;
}

const STOP: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

function anthropicUsage(u: any): Usage | undefined {
  if (!u || typeof u.input_tokens !== 'number') return undefined;
  // Cached prompt tokens are still prompt tokens for quota and accounting purposes.
  const prompt = u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
  return usageOf(prompt, u.output_tokens ?? 0);
}

function result(
  id: string,
  model: string,
  text: string | null,
  toolCalls: ToolCall[],
  stopReason: unknown,
  usage: Usage | undefined,
): AttemptResult {
  const hasTools = toolCalls.length > 0;
  const reason =
    typeof stopReason === 'string' && STOP[stopReason] ? STOP[stopReason] : hasTools ? 'tool_calls' : 'stop';
  return {
    id,
    model,
    created: Math.floor(Date.now() / 1000),
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text, ...(hasTools ? { tool_calls: toolCalls } : {}) },
        finish_reason: reason,
      },
    ],
    ...(usage ? { usage } : {}),
  };
}

/** Maps an Anthropic `Message` to the OpenAI completion shape. */
export function fromAnthropicMessage(raw: unknown, model: string): AttemptResult {
  const r = raw as Record<string, any> | null;
  if (!r || typeof r !== 'object' || !Array.isArray(r.content)) {
    throw new MalformedResponseError('no content in the message');
  }
  const texts: string[] = [];
  const calls: ToolCall[] = [];
  for (const b of r.content as Array<Record<string, any>>) {
    if (b?.type === 'text' && typeof b.text === 'string') texts.push(b.text);
    else if (b?.type === 'tool_use') {
      calls.push({
        id: String(b.id),
        type: 'function',
        function: { name: String(b.name), arguments: JSON.stringify(b.input ?? {}) },
      });
    }
  }
  return result(
    typeof r.id === 'string' ? r.id : `msg-${Date.now()}`,
    typeof r.model === 'string' ? r.model : model,
    texts.length > 0 ? texts.join('') : null,
    calls,
    r.stop_reason,
    anthropicUsage(r.usage),
  );
}

/** Rebuilds one message from SSE events (message_start, content_block_*, message_delta, message_stop). */
export class AnthropicStreamAccumulator {
  private id = '';
  private model = '';
  private text = '';
  private sawText = false;
  private stopReason: unknown;
  private usage: { input_tokens: number; output_tokens: number } | undefined;
  private stopped = false;
  private readonly blocks = new Map<
    number,
    { kind: 'text' | 'tool'; id: string; name: string; json: string }
  >();

  push(event: any, onDelta: (text: string) => void): void {
    switch (event?.type) {
      case 'message_start': {
        const m = event.message ?? {};
        this.id = typeof m.id === 'string' ? m.id : this.id;
        this.model = typeof m.model === 'string' ? m.model : this.model;
        const u = anthropicUsage(m.usage);
        if (u) this.usage = { input_tokens: u.prompt_tokens, output_tokens: u.completion_tokens };
        break;
      }
      case 'content_block_start': {
        const b = event.content_block ?? {};
        if (b.type === 'tool_use') {
          this.blocks.set(event.index, { kind: 'tool', id: String(b.id), name: String(b.name), json: '' });
        } else if (b.type === 'text') {
          this.blocks.set(event.index, { kind: 'text', id: '', name: '', json: '' });
          if (typeof b.text === 'string' && b.text !== '') this.addText(b.text, onDelta);
        }
        break;
      }
      case 'content_block_delta': {
        const d = event.delta ?? {};
        if (d.type === 'text_delta' && typeof d.text === 'string') this.addText(d.text, onDelta);
        else if (d.type === 'input_json_delta' && typeof d.partial_json === 'string') {
          const block = this.blocks.get(event.index);
          if (block) block.json += d.partial_json;
        }
        break;
      }
      case 'message_delta': {
        if (event.delta?.stop_reason) this.stopReason = event.delta.stop_reason;
        const out = event.usage?.output_tokens;
        if (typeof out === 'number') {
          this.usage = { input_tokens: this.usage?.input_tokens ?? 0, output_tokens: out };
        }
        break;
      }
      case 'message_stop':
        this.stopped = true;
        break;
    }
  }

  private addText(text: string, onDelta: (text: string) => void): void {
    this.sawText = true;
    this.text += text;
    onDelta(text);
  }

  result(model: string): AttemptResult {
    if (!this.stopped) throw new MalformedResponseError('the stream ended before message_stop');
    const calls: ToolCall[] = [...this.blocks.entries()]
      .filter(([, b]) => b.kind === 'tool')
      .sort(([a], [b]) => a - b)
      .map(([, b]) => ({
        id: b.id,
        type: 'function' as const,
        function: { name: b.name, arguments: b.json.trim() === '' ? '{}' : b.json },
      }));
    const usage = this.usage ? usageOf(this.usage.input_tokens, this.usage.output_tokens) : undefined;
    return result(
      this.id || `msg-${Date.now()}`,
      this.model || model,
      this.sawText ? this.text : null,
      calls,
      this.stopReason,
      usage,
    );
  }
}
