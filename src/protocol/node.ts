/** @module What a node declares about itself, and how the gateway lists it. */
import { z } from 'zod';
import { CapabilitySchema } from './task.js';

export const NodeIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'a node id');

export const NodeDeclarationSchema = z.object({
  id: NodeIdSchema,
  capabilities: z.array(CapabilitySchema).max(64),
  tags: z.array(CapabilitySchema).max(64).optional(),
  concurrency: z.int().min(1).max(10_000).optional(),
  /** Task ids this node is still running (sent on reconnect so the gateway re-attaches them, R3.3). */
  running: z.array(z.string().max(128)).max(10_000).optional(),
});
export type NodeDeclaration = z.infer<typeof NodeDeclarationSchema>;

export const NodeInfoSchema = z.object({
  id: z.string(),
  capabilities: z.array(z.string()),
  tags: z.array(z.string()),
  concurrency: z.int(),
  running: z.int(),
  connected_at: z.string(),
  gateway_id: z.string().optional(),
  local: z.boolean().optional(),
});
export type NodeInfo = z.infer<typeof NodeInfoSchema>;
