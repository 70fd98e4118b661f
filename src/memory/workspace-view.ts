/**
 * @module What `workspace.get` answers: a workspace's metadata and everything an agent needs to resume
 * in it (R3.3): the summary of compacted history, the recent messages as a ready-to-send history,
 * the facts and notes, and the recent tool calls.
 */
import type { MemoryEntry, MemoryKind, WorkspaceStore } from '../store/index.js';
import { cutAtOrBefore, sanitizeHistory, toHistoryMessage, type HistoryMessage } from './history.js';

/** Notes and facts returned, each: the newest ones. */
const MEMORY_ITEMS = 200;
const RECENT_TOOL_CALLS = 50;
/** Messages fetched beyond the window to find a cut that keeps tool calls with their results. */
const LOOKBACK = 64;
const CONTEXT_MAX_CHARS = 20_000;

export interface WorkspaceView {
  id: string;
  /** False for a workspace with no entries yet; every other field is then empty. */
  exists: boolean;
  created_at: string | null;
  updated_at: string | null;
  counts: Record<MemoryKind, number>;
  entries: number;
  /** The live summary of compacted history, or null. */
  summary: MemoryEntry | null;
  /**
   * The recent conversation in `llm.chat` shape, ready to pass as the agent's history: no system
   * messages, and every tool result next to its call.
   */
  history: HistoryMessage[];
  /** The summary, facts and notes as one text for the agent's system prompt; empty when there are none. */
  context: string;
  /** The recent live messages as stored (system messages included), oldest first. */
  messages: MemoryEntry[];
  tool_calls: MemoryEntry[];
  facts: MemoryEntry[];
  notes: MemoryEntry[];
}

const EMPTY_COUNTS: Record<MemoryKind, number> = { note: 0, fact: 0, message: 0, tool_call: 0, summary: 0 };

function contextText(summary: MemoryEntry | null, facts: MemoryEntry[], notes: MemoryEntry[]): string {
  const parts: string[] = [];
  if (summary) parts.push(`Summary of the earlier conversation in this workspace:\n${summary.content}`);
  if (facts.length) parts.push(`Facts:\n${facts.map((f) => `- ${f.content}`).join('\n')}`);
  if (notes.length) parts.push(`Notes:\n${notes.map((n) => `- ${n.content}`).join('\n')}`);
  const text = parts.join('\n\n');
  return text.length > CONTEXT_MAX_CHARS ? `${text.slice(0, CONTEXT_MAX_CHARS - 1)}…` : text;
}

/** `messages`: how many recent messages to include. */
export async function workspaceView(
  store: WorkspaceStore,
  id: string,
  options: { messages: number },
): Promise<WorkspaceView> {
  const info = await store.get(id);
  if (!info) {
    return {
      id,
      exists: false,
      created_at: null,
      updated_at: null,
      counts: { ...EMPTY_COUNTS },
      entries: 0,
      summary: null,
      history: [],
      context: '',
      messages: [],
      tool_calls: [],
      facts: [],
      notes: [],
    };
  }
  const live = { includeCompacted: false } as const;
  const [summary, window, toolCalls, facts, notes] = await Promise.all([
    store.latestSummary(id),
    options.messages > 0
      ? store.entries(id, { ...live, kinds: ['message'], limit: options.messages + LOOKBACK })
      : Promise.resolve([]),
    store.entries(id, { ...live, kinds: ['tool_call'], limit: RECENT_TOOL_CALLS }),
    store.entries(id, { kinds: ['fact'], limit: MEMORY_ITEMS }),
    store.entries(id, { kinds: ['note'], limit: MEMORY_ITEMS }),
  ]);
  const asChat = window.map(toHistoryMessage);
  const start = cutAtOrBefore(asChat, Math.max(0, window.length - options.messages));
  const messages = window.slice(start);
  return {
    id,
    exists: true,
    created_at: info.created_at,
    updated_at: info.updated_at,
    counts: info.counts,
    entries: info.entries,
    summary,
    history: sanitizeHistory(asChat.slice(start)),
    context: contextText(summary, facts, notes),
    messages,
    tool_calls: toolCalls,
    facts,
    notes,
  };
}
