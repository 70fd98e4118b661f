/** @module Builds new task objects from validated submit params. */
import { randomUUID } from 'node:crypto';
import type { Task, TaskSource, TaskSubmitParams } from '../protocol/index.js';

/**
 * Time-ordered ids (`task-<base36 ms><10 random hex digits>`), so ids sort roughly by creation. The
 * random part is the first 40 bits of a v4 UUID, all random: randomUUID draws from a cached pool,
 * where randomBytes(5) made a getrandom call per task (3.6% of the gateway's CPU under load).
 */
export function newTaskId(now = Date.now()): string {
  const u = randomUUID();
  return `task-${now.toString(36)}${u.slice(0, 8)}${u.slice(9, 11)}`;
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
