/** @module From validated `memory.append` params (WebSocket or REST) to the entry the store keeps. */
import type { z } from 'zod';
import type { MemoryAppendParamsSchema } from '../protocol/index.js';
import type { NewMemoryEntry } from '../store/index.js';

export type MemoryAppendParams = z.infer<typeof MemoryAppendParamsSchema>;

const asText = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));

/**
 * The searchable text of a tool call when the caller gave none: name, arguments and outcome, so that
 * a search for "echo hello" finds the shell call that ran it. Cut at 8000 characters; the full result
 * stays in `tool.result`.
 */
export function renderToolCall(tool: NonNullable<MemoryAppendParams['tool']>): string {
  const args = tool.args === undefined ? '' : asText(tool.args);
  const outcome = tool.error
    ? `error ${tool.error.code}: ${tool.error.message}`
    : asText(tool.result ?? null);
  const text = `${tool.name}(${args}) → ${outcome}`;
  return text.length > 8000 ? `${text.slice(0, 7999)}…` : text;
}

/** Defaults: `kind` from the fields given (see the schema), `role` `user` for messages. */
export function toNewEntry(p: MemoryAppendParams, who: { nodeId?: string | undefined } = {}): NewMemoryEntry {
  const kind = p.kind ?? (p.tool ? 'tool_call' : p.role ? 'message' : 'note');
  const entry: NewMemoryEntry = {
    workspace: p.workspace,
    kind,
    content: p.content ?? (p.tool ? renderToolCall(p.tool) : ''),
    role: kind === 'message' ? (p.role ?? 'user') : (p.role ?? null),
    task_id: p.task_id ?? null,
    node_id: who.nodeId ?? null,
    metadata: p.metadata ?? null,
    tool_calls: p.tool_calls ?? null,
    tool_call_id: p.tool_call_id ?? null,
    tool: p.tool
      ? {
          name: p.tool.name,
          args: p.tool.args ?? null,
          result: p.tool.error ? null : (p.tool.result ?? null),
          error: p.tool.error
            ? { code: p.tool.error.code, message: p.tool.error.message, retryable: p.tool.error.retryable }
            : null,
          duration_ms: p.tool.duration_ms ?? null,
        }
      : null,
  };
  if (p.id !== undefined) entry.id = p.id;
  return entry;
}
