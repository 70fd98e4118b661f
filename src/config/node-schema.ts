/** @module Schema of ~/.openclaw/node.yaml (seed 9.4). Durations here are milliseconds, as in the seed. */
import { z } from 'zod';

export const NodeFileSchema = z.strictObject({
  connection: z
    .strictObject({
      gateway_url: z
        .string()
        .regex(/^wss?:\/\//, 'a ws:// or wss:// URL')
        .default('ws://127.0.0.1:18789/ws'),
      auth_token: z.string().optional(),
      tls: z
        .strictObject({
          ca: z.string().optional(),
          cert: z.string().optional(),
          key: z.string().optional(),
          reject_unauthorized: z.boolean().default(true),
        })
        .prefault({}),
    })
    .prefault({}),
  reconnect: z
    .strictObject({
      enabled: z.boolean().default(true),
      max_retries: z.int().min(-1).default(-1),
      initial_delay_ms: z.int().positive().default(1000),
      max_delay_ms: z.int().positive().default(60000),
      backoff_multiplier: z.number().min(1).max(10).default(2),
      jitter: z.boolean().default(true),
    })
    .prefault({}),
  keepalive: z
    .strictObject({
      enabled: z.boolean().default(true),
      interval_ms: z.int().positive().default(30000),
      timeout_ms: z.int().positive().default(10000),
    })
    .prefault({}),
  node: z
    .strictObject({
      id: z.string().optional(),
      capabilities: z.array(z.string()).default(['shell', 'file', 'echo']),
      tags: z.array(z.string()).default([]),
      concurrency: z.int().min(1).max(1024).default(4),
      workspace_dir: z.string().optional(),
    })
    .prefault({}),
});
export type NodeFileConfig = z.infer<typeof NodeFileSchema>;
