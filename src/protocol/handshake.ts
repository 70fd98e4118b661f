/** @module The connect handshake: the first request on every WebSocket connection. */
import { z } from 'zod';
import { NodeDeclarationSchema } from './node.js';

export const ROLES = ['admin', 'operator', 'node'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

export const ConnectParamsSchema = z.object({
  protocol: z.object({ min: z.int().positive(), max: z.int().positive() }),
  role: z.enum(['operator', 'node', 'admin']),
  client: z.object({ name: z.string().max(128), version: z.string().max(64) }),
  auth: z.object({ token: z.string().max(4096) }).optional(),
  node: NodeDeclarationSchema.optional(),
  resume: z.object({ session: z.string().max(128), last_seq: z.int().nonnegative() }).optional(),
});
export type ConnectParams = z.infer<typeof ConnectParamsSchema>;

export const ConnectResultSchema = z.object({
  protocol: z.int(),
  server: z.object({ name: z.literal('openclaw-gateway'), version: z.string(), gateway_id: z.string() }),
  session: z.object({ id: z.string(), resumed: z.boolean() }),
  role: z.string(),
  policy: z.object({
    max_message_size: z.int(),
    ping_interval_ms: z.int(),
    ping_timeout_ms: z.int(),
  }),
  methods: z.array(z.string()),
  events: z.array(z.string()),
});
export type ConnectResult = z.infer<typeof ConnectResultSchema>;

export const HealthResultSchema = z.object({
  status: z.literal('ok'),
  uptime_ms: z.int(),
  version: z.string(),
});
export type HealthResult = z.infer<typeof HealthResultSchema>;
