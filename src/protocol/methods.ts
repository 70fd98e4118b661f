/** @module Method and event names of protocol v1 with their parameter schemas and allowed roles. */
import { z } from 'zod';
import type { Role } from './handshake.js';
import { ErrorBodySchema } from './frames.js';
import {
  PrioritySchema,
  TaskStatusSchema,
  TaskSubmitParamsSchema,
  WorkspaceIdSchema,
  TaskSchema,
} from './task.js';

const Id = z.object({ id: z.string().min(1).max(256) });
const OverlapSchema = z.enum(['skip', 'queue', 'allow']);

export const CronAddParamsSchema = z
  .object({
    name: z.string().min(1).max(128),
    schedule: z.string().min(1).max(256),
    timezone: z.string().max(64).optional(),
    task: z.string().min(1).max(100_000).optional(),
    skill: z.string().min(1).max(128).optional(),
    args: z.record(z.string(), z.unknown()).optional(),
    workspace: WorkspaceIdSchema.optional(),
    timeout: z.number().nonnegative().optional(),
    overlap: OverlapSchema.optional(),
    catchup: z.enum(['skip', 'latest', 'all']).optional(),
    catchup_max: z.int().min(1).max(10_000).optional(),
    priority: PrioritySchema.optional(),
    capabilities: z.array(z.string().max(64)).max(32).optional(),
    enabled: z.boolean().optional(),
  })
  .refine((p) => (p.task === undefined) !== (p.skill === undefined), {
    message: 'exactly one of "task" or "skill" is required',
    path: ['task'],
  });

export const ToolCallSchema = z.looseObject({
  id: z.string().min(1).max(256),
  type: z.literal('function'),
  function: z.looseObject({ name: z.string().min(1).max(64), arguments: z.string().max(1_000_000) }),
});

export const ChatMessageSchema = z.looseObject({
  role: z.enum(['system', 'user', 'assistant', 'tool', 'developer']),
  content: z.unknown().optional(),
  tool_calls: z.array(ToolCallSchema).max(128).optional(),
  tool_call_id: z.string().min(1).max(256).optional(),
});

/** An OpenAI function tool, as `llm.chat` takes them (the skills registry produces these). */
export const ChatToolSchema = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a tool name of letters, digits, "_" or "-"'),
    description: z.string().max(100_000).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

export const MemoryKindSchema = z.enum(['note', 'fact', 'message', 'tool_call', 'summary']);
export const MessageRoleSchema = z.enum(['system', 'user', 'assistant', 'tool', 'developer']);

/**
 * `memory.append`: a note or fact, a conversation message, or a tool-call record. `kind` defaults to
 * `tool_call` with `tool`, `message` with `role`, else `note`. An `id` makes retries idempotent: a
 * second append with the same id returns the stored entry.
 */
export const MemoryAppendParamsSchema = z
  .object({
    workspace: WorkspaceIdSchema,
    kind: z.enum(['note', 'fact', 'message', 'tool_call']).optional(),
    content: z.string().max(1_000_000).optional(),
    role: MessageRoleSchema.optional(),
    id: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'letters, digits, ".", "_", ":" or "-", at most 128')
      .optional(),
    task_id: z.string().max(256).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    tool_calls: z.array(ToolCallSchema).max(128).optional(),
    tool_call_id: z.string().min(1).max(256).optional(),
    tool: z
      .object({
        name: z.string().min(1).max(128),
        args: z.unknown().optional(),
        result: z.unknown().optional(),
        error: ErrorBodySchema.optional(),
        duration_ms: z.number().nonnegative().optional(),
      })
      .optional(),
  })
  .superRefine((p, ctx) => {
    const kind = p.kind ?? (p.tool ? 'tool_call' : p.role ? 'message' : 'note');
    const fail = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (kind === 'tool_call' && !p.tool)
      fail('tool', 'a tool_call entry needs "tool" ({name, args, result})');
    if (kind !== 'tool_call' && p.tool) fail('tool', '"tool" is only for kind tool_call');
    if ((kind === 'note' || kind === 'fact') && !p.content)
      fail('content', `a ${kind} needs non-empty content`);
    if (kind === 'message' && !p.content && !p.tool_calls?.length)
      fail('content', 'a message needs content or tool_calls');
    if (p.tool_calls && (kind !== 'message' || (p.role ?? 'user') !== 'assistant'))
      fail('tool_calls', '"tool_calls" belong to assistant messages');
  });

/** Per method: who may call it, and the shape of its params. */
export const METHODS = {
  health: { roles: ['admin', 'operator', 'node'], params: z.object({}).optional() },

  'task.submit': { roles: ['admin', 'operator'], params: TaskSubmitParamsSchema },
  'task.get': { roles: ['admin', 'operator'], params: Id },
  'task.list': {
    roles: ['admin', 'operator'],
    params: z
      .object({
        status: TaskStatusSchema.optional(),
        workspace: WorkspaceIdSchema.optional(),
        limit: z.int().min(1).max(1000).optional(),
        cursor: z.string().max(256).optional(),
      })
      .optional(),
  },
  'task.cancel': {
    roles: ['admin', 'operator'],
    params: Id.extend({ reason: z.string().max(1000).optional() }),
  },
  'task.logs': { roles: ['admin', 'operator'], params: Id },
  'task.subscribe': {
    roles: ['admin', 'operator'],
    params: z.object({ id: z.string().optional() }).optional(),
  },

  'node.list': { roles: ['admin', 'operator'], params: z.object({}).optional() },

  'workspace.list': { roles: ['admin', 'operator'], params: z.object({}).optional() },
  'workspace.get': {
    roles: ['admin', 'operator', 'node'],
    params: z.object({
      id: WorkspaceIdSchema,
      /** Recent messages to return; default config memory.history_messages (50). */
      messages: z.int().min(0).max(10_000).optional(),
    }),
  },
  'memory.search': {
    roles: ['admin', 'operator', 'node'],
    params: z.object({
      workspace: WorkspaceIdSchema,
      query: z.string().min(1).max(2000),
      limit: z.int().min(1).max(200).optional(),
      kinds: z.array(MemoryKindSchema).max(5).optional(),
    }),
  },
  'memory.append': { roles: ['admin', 'operator', 'node'], params: MemoryAppendParamsSchema },

  'cron.add': { roles: ['admin', 'operator'], params: CronAddParamsSchema },
  'cron.list': { roles: ['admin', 'operator'], params: z.object({}).optional() },
  'cron.remove': { roles: ['admin', 'operator'], params: Id },
  'cron.run': { roles: ['admin', 'operator'], params: Id },
  'cron.runs': {
    roles: ['admin', 'operator'],
    params: Id.extend({ limit: z.int().min(1).max(1000).optional() }),
  },

  'task.started': { roles: ['node'], params: Id },
  'task.progress': {
    roles: ['node'],
    params: z.looseObject({ id: z.string().min(1), message: z.string().max(100_000) }),
  },
  'task.complete': { roles: ['node'], params: Id.extend({ result: z.unknown().optional() }) },
  'task.fail': { roles: ['node'], params: Id.extend({ error: ErrorBodySchema }) },
  'task.renew': { roles: ['node'], params: Id },
  'llm.chat': {
    roles: ['node', 'admin', 'operator'],
    params: z.looseObject({
      provider: z.string().optional(),
      model: z.string().min(1).optional(),
      messages: z.array(ChatMessageSchema).min(1),
      tools: z.array(ChatToolSchema).max(128).optional(),
      max_tokens: z.int().positive().optional(),
      max_completion_tokens: z.int().positive().optional(),
      temperature: z.number().min(0).max(2).optional(),
      stream: z.boolean().optional(),
      task_id: z.string().optional(),
      workspace: WorkspaceIdSchema.optional(),
    }),
  },
} as const satisfies Record<string, { roles: readonly Role[]; params: z.ZodType }>;

export type MethodName = keyof typeof METHODS;
export type MethodParams<M extends MethodName> = z.infer<(typeof METHODS)[M]['params']>;

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(METHODS, name);
}

export const EVENTS = {
  'task.updated': TaskSchema,
  'task.progress': z.looseObject({ id: z.string(), message: z.string() }),
  'task.assigned': z.object({ task: TaskSchema, lease_ms: z.int() }),
  'task.cancel': z.object({ id: z.string(), reason: z.string() }),
  'task.long_running': z.object({ id: z.string(), elapsed_s: z.number() }),
  'node.updated': z.looseObject({ id: z.string() }),
  'gateway.draining': z.object({ reason: z.string() }),
} as const;
export type EventName = keyof typeof EVENTS;
