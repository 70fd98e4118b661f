/**
 * @module The default summariser of history compaction: deterministic and extractive, so compaction
 * works (and is testable) without an LLM. User requests are kept first, then final answers, then tool
 * calls with their results, each cut to a line, in the original order.
 */
import type { HistoryMessage } from './history.js';

/** What a summariser is told besides the messages. */
export interface SummarizeContext {
  workspace: string;
  /** The summary these messages follow, also given as the first message; null for the first compaction. */
  previousSummary: string | null;
  /** Longer summaries are cut to this many characters. */
  maxChars: number;
  /** Aborted when the gateway shuts down or the summariser takes too long. */
  signal?: AbortSignal;
}

/**
 * Turns older history into one text that replaces it for the agent. The LLM engineer's summariser has
 * this shape too; when it fails, compaction falls back to {@link extractiveSummary}.
 */
export type Summarize = (messages: HistoryMessage[], context: SummarizeContext) => Promise<string>;

/** The prefix of the message that carries the previous summary into the next compaction. */
export const PREVIOUS_SUMMARY_PREFIX = 'Summary of the earlier conversation:\n';

interface Line {
  order: number;
  priority: number;
  text: string;
}

const oneLine = (s: string) => s.replace(/\s+/gu, ' ').trim();
function clip(s: string, n: number): string {
  const chars = [...s];
  return chars.length <= n ? s : `${chars.slice(0, n - 1).join('')}…`;
}
const asText = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));

/** The extractive summary of `messages` within `maxChars` (default 6000). */
export function extractiveSummary(
  messages: readonly HistoryMessage[],
  options: { maxChars?: number; previousSummary?: string | null } = {},
): string {
  const maxChars = options.maxChars ?? 6000;
  const previous = options.previousSummary ?? null;
  const results = new Map<string, string>();
  const asked = new Set<string>();
  for (const m of messages) {
    if (m.role === 'tool' && m.tool_call_id !== undefined) results.set(m.tool_call_id, asText(m.content));
    for (const c of m.tool_calls ?? []) asked.add(c.id);
  }

  const lines: Line[] = [];
  let counted = 0;
  messages.forEach((m, order) => {
    if (m.role === 'system' || m.role === 'developer') return;
    counted++;
    const text = oneLine(asText(m.content ?? ''));
    if (m.role === 'user' && text) lines.push({ order, priority: 0, text: `User: ${clip(text, 300)}` });
    if (m.role === 'assistant') {
      const calls = m.tool_calls ?? [];
      if (text) lines.push({ order, priority: calls.length ? 2 : 1, text: `Assistant: ${clip(text, 300)}` });
      for (const c of calls) {
        const name = c.function?.name ?? 'tool';
        const args = clip(oneLine(c.function?.arguments ?? ''), 120);
        const res = results.get(c.id);
        const outcome = res === undefined ? ' (no result)' : ` → ${clip(oneLine(res), 160)}`;
        lines.push({ order, priority: 2, text: `Tool ${name}(${args})${outcome}` });
      }
    }
    if (m.role === 'tool' && (m.tool_call_id === undefined || !asked.has(m.tool_call_id)))
      lines.push({ order, priority: 3, text: `Tool result: ${clip(text, 160)}` });
  });

  const header = `Earlier conversation (${counted} messages, summarised):`;
  let budget = maxChars - header.length - 1;
  let prevText = '';
  if (previous) {
    // The older summary keeps its head (the oldest context) within 40% of the budget.
    prevText = clip(previous.trim(), Math.max(0, Math.floor(budget * 0.4)));
    budget -= prevText.length + 1;
  }
  const chosen = new Set<Line>();
  let omitted = 0;
  const note = 40; // room for the "omitted" line
  for (const l of [...lines].sort((a, b) => a.priority - b.priority || a.order - b.order)) {
    const cost = l.text.length + 3; // "- " and the newline
    if (cost <= budget - note) {
      chosen.add(l);
      budget -= cost;
    } else omitted++;
  }
  const body = lines.filter((l) => chosen.has(l)).map((l) => `- ${l.text}`);
  if (omitted > 0) body.push(`- (${omitted} less important lines omitted)`);
  const out = [prevText, header, ...body].filter(Boolean).join('\n');
  return clip(out, maxChars);
}

/** {@link extractiveSummary} as a {@link Summarize}. */
export const extractiveSummarize: Summarize = async (messages, ctx) =>
  extractiveSummary(
    ctx.previousSummary !== null && messages[0]?.content?.startsWith(PREVIOUS_SUMMARY_PREFIX)
      ? messages.slice(1)
      : messages,
    { maxChars: ctx.maxChars, previousSummary: ctx.previousSummary },
  );
