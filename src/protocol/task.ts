/** @module The task object and the parameters that create one. */
import { z } from 'zod';
import { ErrorBodySchema } from './frames.js';

export const PRIORITIES = ['critical', 'high', 'normal', 'low'] as const;
export const PrioritySchema = z.enum(PRIORITIES);
export type Priority = z.infer<typeof PrioritySchema>;

export const TASK_STATUSES = [
  'queued',
  'waiting',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
] as const;
export const TaskStatusSchema = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof TaskStatusSchema>;
export const TERMINAL_STATUSES: readonly TaskStatus[] = ['succeeded', 'failed', 'cancelled', 'timed_out'];
export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export const TASK_SOURCES = ['cli', 'api', 'ws', 'cron', 'web'] as const;
export const TaskSourceSchema = z.enum(TASK_SOURCES);
export type TaskSource = z.infer<typeof TaskSourceSchema>;

/** Workspace ids become directory names and store keys, so they are kept to a safe alphabet. */
export const WorkspaceIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
    'letters, digits, ".", "_" or "-", at most 128, not starting with "." or "-"',
  );

export const CapabilitySchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'a capability name');

export const TaskSubmitParamsSchema = z
  .object({
    task: z.string().min(1).max(100_000).optional(),
    skill: z.string().min(1).max(128).optional(),
    args: z.record(z.string(), z.unknown()).optional(),
    workspace: WorkspaceIdSchema.optional(),
    priority: PrioritySchema.optional(),
    capabilities: z.array(CapabilitySchema).max(32).optional(),
    tags: z.array(CapabilitySchema).max(32).optional(),
    depends_on: z.array(z.string().min(1).max(128)).max(256).optional(),
    timeout: z
      .number()
      .nonnegative()
      .max(31 * 24 * 3600)
      .optional(),
    idempotency_key: z.string().min(1).max(256).optional(),
  })
  .refine((p) => (p.task === undefined) !== (p.skill === undefined), {
    message: 'exactly one of "task" (an instruction) or "skill" (a direct skill call) is required',
    path: ['task'],
  })
  .refine((p) => p.args === undefined || p.skill !== undefined, {
    message: '"args" goes with "skill"',
    path: ['args'],
  });
export type TaskSubmitParams = z.infer<typeof TaskSubmitParamsSchema>;

export const TaskErrorSchema = ErrorBodySchema;

export const TaskSchema = z.object({
  id: z.string(),
  status: TaskStatusSchema,
  task: z.string().optional(),
  skill: z.string().optional(),
  args: z.record(z.string(), z.unknown()).optional(),
  workspace: z.string(),
  priority: PrioritySchema,
  capabilities: z.array(z.string()),
  tags: z.array(z.string()).optional(),
  depends_on: z.array(z.string()),
  timeout: z.number().nullable(),
  attempt: z.int().nonnegative(),
  node_id: z.string().nullable(),
  result: z.unknown().nullable(),
  error: TaskErrorSchema.nullable(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  source: TaskSourceSchema,
  idempotency_key: z.string().optional(),
});
export type Task = z.infer<typeof TaskSchema>;
