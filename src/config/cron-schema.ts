/** @module The `cron:` section of config.yaml: jobs reconciled into the store on every start. */
import { z } from 'zod';

export const CronConfigJobSchema = z
  .strictObject({
    name: z.string().min(1).max(128),
    schedule: z.string().min(1).meta({ description: '5 fields, or 6 with seconds first' }),
    timezone: z.string().default('UTC'),
    task: z.string().min(1).optional(),
    skill: z.string().min(1).optional(),
    args: z.record(z.string(), z.unknown()).optional(),
    workspace: z.string().optional(),
    timeout: z.number().nonnegative().optional().meta({ unit: 's' }),
    priority: z.enum(['critical', 'high', 'normal', 'low']).optional(),
    capabilities: z.array(z.string()).optional(),
    overlap: z.enum(['skip', 'queue', 'allow']).default('skip'),
    catchup: z.enum(['skip', 'latest', 'all']).default('latest'),
    catchup_max: z.int().min(1).max(10_000).default(100),
    enabled: z.boolean().default(true),
  })
  .refine((j) => (j.task === undefined) !== (j.skill === undefined), {
    message: 'a cron job needs exactly one of "task" (an instruction) or "skill"',
    path: ['task'],
  });
export type CronConfigJob = z.infer<typeof CronConfigJobSchema>;
