/** @module Conversation history as chat messages, and where it may be cut without splitting a tool call from its result. */
import type { MemoryEntry, MessageRole } from '../store/index.js';

/** An OpenAI-shaped tool call as an assistant message carries it. */
export interface HistoryToolCall {
  id: string;
  type?: 'function';
  function?: { name: string; arguments: string };
}

/** A conversation message in the shape `llm.chat` (OpenAI chat completions) takes. */
export interface HistoryMessage {
  role: MessageRole;
  content: string | null;
  tool_calls?: HistoryToolCall[];
  tool_call_id?: string;
}

export function toHistoryMessage(e: MemoryEntry): HistoryMessage {
  const m: HistoryMessage = { role: e.role ?? 'user', content: e.content };
  const calls = (e.tool_calls ?? []) as HistoryToolCall[];
  if (calls.length > 0) {
    m.tool_calls = calls;
    if (m.content === '') m.content = null;
  }
  if (e.tool_call_id !== null && m.role === 'tool') m.tool_call_id = e.tool_call_id;
  return m;
}

/**
 * `safe[i]` is true when the history may be cut before message `i`: no assistant before the cut asked
 * for a tool call whose result comes at or after it. An assistant whose calls have no result yet
 * (the run stopped mid-call) blocks every cut after it, so its calls are never orphaned from results
 * that arrive later. `safe[0]` and `safe[length]` are always true.
 */
export function safeCuts(messages: readonly HistoryMessage[]): boolean[] {
  const safe = new Array<boolean>(messages.length + 1).fill(true);
  const askedAt = new Map<string, number>();
  const answered = new Set<string>();
  messages.forEach((m, i) => {
    for (const c of m.tool_calls ?? []) askedAt.set(c.id, i);
    if (m.role === 'tool' && m.tool_call_id !== undefined) {
      const a = askedAt.get(m.tool_call_id);
      answered.add(m.tool_call_id);
      if (a !== undefined) for (let k = a + 1; k <= i; k++) safe[k] = false;
    }
  });
  for (const [id, a] of askedAt) {
    if (!answered.has(id)) for (let k = a + 1; k < messages.length; k++) safe[k] = false;
  }
  return safe;
}

/** The largest safe cut at or below `index` (0 when there is none). */
export function cutAtOrBefore(messages: readonly HistoryMessage[], index: number): number {
  const safe = safeCuts(messages);
  let i = Math.max(0, Math.min(index, messages.length));
  while (i > 0 && !safe[i]) i--;
  return i;
}

/**
 * A history an LLM API accepts as it is: no system messages (the agent brings its own prompt), no tool
 * result without the call that asked for it, and no tool call left without a result (dropped from its
 * assistant message, and the message with it when nothing else remains).
 */
export function sanitizeHistory(messages: readonly HistoryMessage[]): HistoryMessage[] {
  const asked = new Set<string>();
  const answered = new Set<string>();
  for (const m of messages) {
    for (const c of m.tool_calls ?? []) asked.add(c.id);
    if (m.role === 'tool' && m.tool_call_id !== undefined && asked.has(m.tool_call_id))
      answered.add(m.tool_call_id);
  }
  const out: HistoryMessage[] = [];
  for (const m of messages) {
    if (m.role === 'system' || m.role === 'developer') continue;
    if (m.role === 'tool') {
      if (m.tool_call_id !== undefined && answered.has(m.tool_call_id)) out.push(m);
      continue;
    }
    if (m.tool_calls) {
      const kept = m.tool_calls.filter((c) => answered.has(c.id));
      if (kept.length === 0 && !m.content) continue;
      const { tool_calls: _dropped, ...rest } = m;
      out.push(kept.length > 0 ? { ...rest, tool_calls: kept } : rest);
      continue;
    }
    out.push(m);
  }
  return out;
}
