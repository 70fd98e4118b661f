/** @module Task objects for store tests: valid by construction, overridable per field. */
import { randomUUID } from 'node:crypto';
import type { Task } from '../../protocol/index.js';

/** A valid `queued` task with no requirements; `over` replaces any field. */
export function makeTask(over: Partial<Task> = {}): Task {
  return {
    id: `task-${randomUUID()}`,
    status: 'queued',
    task: 'summarise the inbox',
    workspace: 'default',
    priority: 'normal',
    capabilities: [],
    depends_on: [],
    timeout: null,
    attempt: 0,
    node_id: null,
    result: null,
    error: null,
    created_at: new Date().toISOString(),
    started_at: null,
    finished_at: null,
    source: 'api',
    ...over,
  };
}

/** ISO time `ms` before `base` (epoch ms). */
export function isoAgo(ms: number, base: number = Date.now()): string {
  return new Date(base - ms).toISOString();
}
