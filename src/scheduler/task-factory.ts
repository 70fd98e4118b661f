/** @module Builds new task objects from validated submit params. */
import { randomBytes } from 'node:crypto';
import type { Task, TaskSource, TaskSubmitParams } from '../protocol/index.js';

/** Time-ordered ids (`task-<base36 ms><random>`), so ids sort roughly by creation. */
export function newTaskId(now = Date.now()): string {
  return `task-${now.toString(36)}${randomBytes(5).toString('hex')}`;
}

export interface TaskDefaults {
  /** tasks.default_timeout in seconds; 0 means none. */
  defaultTimeout: number;
}

export function buildTask(
  params: TaskSubmitParams,
  source: TaskSource,
  defaults: TaskDefaults,
  now = Date.now(),
): Task {
  const timeout = params.timeout ?? (defaults.defaultTimeout > 0 ? defaults.defaultTimeout : null);
  const task: Task = {
    id: newTaskId(now),
    status: 'queued',
    workspace: params.workspace ?? 'default',
    priority: params.priority ?? 'normal',
    // A direct skill call needs a node offering that skill; skill names double as capability names.
    capabilities: [...new Set([...(params.capabilities ?? []), ...(params.skill ? [params.skill] : [])])],
    depends_on: [...new Set(params.depends_on ?? [])],
    timeout: timeout === 0 ? null : timeout,
    attempt: 0,
    node_id: null,
    result: null,
    error: null,
    created_at: new Date(now).toISOString(),
    started_at: null,
    finished_at: null,
    source,
  };
  if (params.task !== undefined) task.task = params.task;
  if (params.skill !== undefined) task.skill = params.skill;
  if (params.args !== undefined) task.args = params.args;
  if (params.tags?.length) task.tags = [...new Set(params.tags)];
  if (params.idempotency_key !== undefined) task.idempotency_key = params.idempotency_key;
  return task;
}
