/**
 * @module A cheap, deliberately generous token count of a request, reserved against tokens/min before
 * the call and replaced by the vendor's real count after it.
 */
import type { ChatRequest } from './chat-types.js';

/**
 * Tokens of a text, erring high: about 3 characters per token for Latin script (vendors average nearer
 * 4), and one token per character for CJK and other wide scripts, which tokenisers rarely merge.
 */
export function estimateTextTokens(text: string): number {
  if (text === '') return 0;
  let wide = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x2e80) wide++;
  return wide + Math.ceil((text.length - wide) / 3);
}

function valueTokens(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'string') return estimateTextTokens(v);
  return estimateTextTokens(JSON.stringify(v));
}

/** Prompt tokens of a request: messages (with tool calls) plus the tool definitions. */
export function estimatePromptTokens(request: ChatRequest): number {
  // 4 per message and 3 for the reply primer follow OpenAI's published chat-format overhead.
  let n = 3;
  for (const m of request.messages) {
    n += 4 + valueTokens(m.content);
    for (const c of m.tool_calls ?? [])
      n += 3 + estimateTextTokens(c.function.name) + valueTokens(c.function.arguments);
  }
  if (request.tools && request.tools.length > 0) n += valueTokens(request.tools);
  return n;
}

/** What a call may cost at most: its prompt plus the completion it allows (`max_tokens` or the default). */
export function estimateRequestTokens(request: ChatRequest, defaultMaxTokens: number): number {
  const completion = request.max_completion_tokens ?? request.max_tokens ?? defaultMaxTokens;
  return estimatePromptTokens(request) + Math.max(0, completion);
}
