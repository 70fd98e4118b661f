/**
 * @module The one request/response shape every provider speaks inside the gateway: OpenAI chat
 * completions (messages, tools, tool_calls, usage) plus the `provider` that answered.
 */

/** A function call the model asked for; `arguments` is a JSON text, as OpenAI sends it. */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** One part of a multi-part message (OpenAI's `content: [...]` form). */
export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: string } }
  | { type: string; [key: string]: unknown };

export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content?: string | ContentPart[] | null;
  /** Set on assistant messages that call tools. */
  tool_calls?: ToolCall[];
  /** Set on `tool` messages: which call this is the result of. */
  tool_call_id?: string;
  name?: string;
}

/** An OpenAI function tool (the skills registry produces these). */
export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

export type ToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

/** What `llm.chat` accepts: an OpenAI chat completion request plus routing and accounting fields. */
export interface ChatRequest {
  /** `provider/model`, an alias from `llm.aliases`, a bare model name, or absent for the default. */
  model?: string;
  /** Forces a provider by its name in `llm.providers`. */
  provider?: string;
  messages: ChatMessage[];
  tools?: ChatTool[];
  tool_choice?: ToolChoice;
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string | string[];
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  response_format?: Record<string, unknown>;
  parallel_tool_calls?: boolean;
  user?: string;
  /** Stream deltas to the service's `onDelta` hook; the answer is still one whole completion. */
  stream?: boolean;
  /** Accounting: the task this call belongs to (also the key of streamed deltas). */
  task_id?: string;
  /** Accounting: the workspace this call belongs to. */
  workspace?: string;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface ChatChoice {
  index: number;
  message: { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] };
  finish_reason: FinishReason;
}

/** The answer of `llm.chat`: an OpenAI chat completion plus the provider name that produced it. */
export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: ChatChoice[];
  usage: Usage;
  provider: string;
}

/** Builds a usage record whose total is always the sum of its parts. */
export function usageOf(prompt: number, completion: number): Usage {
  const p = Math.max(0, Math.round(prompt) || 0);
  const c = Math.max(0, Math.round(completion) || 0);
  return { prompt_tokens: p, completion_tokens: c, total_tokens: p + c };
}

/** Flattens message content to text; non-text parts are dropped (providers without them get text only). */
export function contentText(content: ChatMessage['content']): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content
    .map((p) => (p.type === 'text' && typeof p.text === 'string' ? p.text : ''))
    .filter(Boolean)
    .join('\n');
}
