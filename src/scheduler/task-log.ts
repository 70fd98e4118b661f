/** @module The one JSON log line every finished task produces (seed 10.3 fields). */
import type { Logger } from 'pino';
import type { Task } from '../protocol/index.js';

export function logTaskEnd(log: Logger, task: Task): void {
  const durationMs = task.started_at
    ? Date.parse(task.finished_at ?? '') - Date.parse(task.started_at)
    : undefined;
  const usage = (task.result as { usage?: { total_tokens?: number } } | null)?.usage;
  const fields = {
    task_id: task.id,
    workspace: task.workspace,
    node_id: task.node_id,
    status: task.status,
    ...(durationMs !== undefined && !Number.isNaN(durationMs) ? { duration_ms: durationMs } : {}),
    ...(typeof usage?.total_tokens === 'number' ? { llm_tokens: usage.total_tokens } : {}),
    ...(task.error ? { error_code: task.error.code } : {}),
  };
  if (task.status === 'succeeded') log.info({ event: 'task_completed', ...fields }, 'task completed');
  else
    log.warn({ event: `task_${task.status}`, ...fields, reason: task.error?.message }, `task ${task.status}`);
}
