/** @module The contract between the coordinator and one vendor's SDK: a single attempt, no retries. */
import type { ChatChoice, ChatRequest, Usage } from './chat-types.js';

export type ProviderType = 'openai' | 'anthropic' | 'ollama' | 'openai-compatible';
export const PROVIDER_TYPES: readonly ProviderType[] = ['openai', 'anthropic', 'ollama', 'openai-compatible'];

/** A provider as the coordinator sees it, after config and environment defaults were merged. */
export interface ProviderSettings {
  /** Key in `llm.providers`; the `provider` of answers and the prefix of `provider/model`. */
  name: string;
  type: ProviderType;
  /** One entry per API key; `[undefined]` for a provider that needs none (Ollama). */
  apiKeys: ReadonlyArray<string | undefined>;
  baseUrl?: string;
  models: readonly string[];
  /** Per key; 0 = unlimited. */
  requestsPerMinute: number;
  tokensPerMinute: number;
  maxConcurrent: number;
  /** One attempt's budget; for a stream, the longest silence between chunks. */
  timeoutMs: number;
  /** `max_tokens` when a request sets none (Anthropic needs one), and the completion size reserved. */
  maxTokens: number;
  /** Waiting calls beyond this fail with GW_ERR_LLM_QUEUE_FULL. */
  maxQueue: number;
}

/** Options of one attempt. */
export interface AttemptOptions {
  /** The key the limiter granted. */
  apiKey: string | undefined;
  /** Aborts the HTTP exchange (caller cancellation or our timeout). */
  signal: AbortSignal;
  /** When set, the call streams and every text delta is passed here, in order. */
  onDelta?: (text: string) => void;
  /** Called on every chunk received, so a stream's silence timer can be reset. */
  onActivity?: () => void;
}

/** What one successful attempt produced; `usage` is absent when the vendor did not report it. */
export interface AttemptResult {
  id: string;
  model: string;
  created: number;
  choices: ChatChoice[];
  usage?: Usage;
}

export interface ProviderAdapter {
  readonly type: ProviderType;
  /** One call with the SDK's own retries off; throws whatever the SDK throws (see provider-errors). */
  chat(model: string, request: ChatRequest, options: AttemptOptions): Promise<AttemptResult>;
}

/** Thrown when a vendor answered 2xx with a body that is not a usable completion. */
export class MalformedResponseError extends Error {
  constructor(reason: string) {
    super(`malformed response: ${reason}`);
    this.name = 'MalformedResponseError';
  }
}

/** Thrown by the Ollama fetch wrapper for non-2xx answers, keeping the headers the SDK would drop. */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly headers: Headers,
    body: string,
  ) {
    super(`${status} ${body.slice(0, 500)}`.trim());
    this.name = 'HttpStatusError';
  }
}
