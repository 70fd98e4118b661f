/** @module Conversion between Task objects and rows of the `tasks` table, and the list cursor format. */
import { GatewayError, type Task, type TaskStatus } from '../../protocol/index.js';

/** A `tasks` row as selected by `TASK_COLUMNS` (with `depends_on` aggregated as JSON). */
export interface TaskRow {
  seq: number;
  id: string;
  status: string;
  instruction: string | null;
  skill: string | null;
  args_json: string | null;
  workspace: string;
  priority: string;
  capabilities: string;
  tags: string | null;
  timeout: number | null;
  attempt: number;
  node_id: string | null;
  result_json: string | null;
  error_json: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  source: string;
  idempotency_key: string | null;
  created_ms: number;
  deps_json: string;
}

function taskColumns(t: string): string {
  return `${t}.seq, ${t}.id, ${t}.status, ${t}.instruction, ${t}.skill, ${t}.args_json, ${t}.workspace,
  ${t}.priority, ${t}.capabilities, ${t}.tags, ${t}.timeout, ${t}.attempt, ${t}.node_id, ${t}.result_json,
  ${t}.error_json, ${t}.created_at, ${t}.started_at, ${t}.finished_at, ${t}.source, ${t}.idempotency_key,
  ${t}.created_ms,
  (SELECT json_group_array(depends_on) FROM
     (SELECT depends_on FROM task_deps WHERE task_id = ${t}.id ORDER BY position)) AS deps_json`;
}

/** Columns for a full task, `t` being the `tasks` alias. Dependencies keep their submitted order. */
export const TASK_COLUMNS = taskColumns('t');

/**
 * The same columns for the RETURNING clause of a write to `tasks`, which cannot name an alias: a
 * write then hands back its row without a second lookup.
 */
export const TASK_RETURNING = taskColumns('tasks');

function json(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

/** JSON of a value that may be undefined; undefined and null are both stored as SQL NULL. */
export function toJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

export function rowToTask(row: TaskRow): Task {
  const task: Task = {
    id: row.id,
    status: row.status as TaskStatus,
    workspace: row.workspace,
    priority: row.priority as Task['priority'],
    capabilities: json(row.capabilities) as string[],
    depends_on: json(row.deps_json) as string[],
    timeout: row.timeout,
    attempt: row.attempt,
    node_id: row.node_id,
    result: json(row.result_json),
    error: json(row.error_json) as Task['error'],
    created_at: row.created_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
    source: row.source as Task['source'],
  };
  // Optional fields are omitted rather than null, matching the protocol's task object.
  if (row.instruction !== null) task.task = row.instruction;
  if (row.skill !== null) task.skill = row.skill;
  if (row.args_json !== null) task.args = json(row.args_json) as Record<string, unknown>;
  if (row.tags !== null) task.tags = json(row.tags) as string[];
  if (row.idempotency_key !== null) task.idempotency_key = row.idempotency_key;
  return task;
}

/** Epoch ms of an ISO timestamp; the current time when it does not parse, so ordering stays defined. */
export function timestampMs(iso: string): number {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : Date.now();
}

/** Position in the newest-first order: created time, then insertion sequence. */
export interface CursorPosition {
  createdMs: number;
  seq: number;
}

export function encodeCursor(pos: CursorPosition): string {
  return Buffer.from(`v1:${pos.createdMs}:${pos.seq}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  const m = /^v1:(-?\d{1,16}):(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (m === null) {
    throw new GatewayError('GW_ERR_PROTOCOL_INVALID_PARAMS', {
      reason: 'cursor is not one this gateway issued',
      path: ['cursor'],
    });
  }
  return { createdMs: Number(m[1]), seq: Number(m[2]) };
}
