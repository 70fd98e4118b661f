/** @module Summarises compacted workspace history with the configured LLM (memory's `memory.summarize` hook). */
import type { ChatMessage } from './chat-types.js';
import type { LlmCoordinator } from './llm-coordinator.js';

export interface SummarizeRequest {
  workspace: string;
  previousSummary: string | null;
  maxChars: number;
  signal?: AbortSignal;
}

/**
 * A summariser over the coordinator, so compaction obeys the same limits and routing as every other
 * call. Memory falls back to its extractive summary when this throws, so errors are not caught here.
 */
export function llmSummarizer(coordinator: LlmCoordinator) {
  return async (messages: ChatMessage[], ctx: SummarizeRequest): Promise<string> => {
    const transcript = messages
      .map((m) => `${m.role}: ${typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '')}`)
      .join('\n');
    const res = await coordinator.chat(
      {
        messages: [
          {
            role: 'system',
            content:
              `Summarise this agent conversation for its own later use, in at most ${ctx.maxChars} characters. ` +
              'Keep facts, decisions, results of tool calls, open questions and names; drop pleasantries.',
          },
          { role: 'user', content: transcript },
        ],
        max_tokens: Math.max(64, Math.ceil(ctx.maxChars / 3)),
      },
      { workspace: ctx.workspace, ...(ctx.signal ? { signal: ctx.signal } : {}) },
    );
    const text = res.choices[0]?.message.content;
    if (typeof text !== 'string' || text.trim() === '') throw new Error('the LLM returned an empty summary');
    return text.trim().slice(0, ctx.maxChars);
  };
}
