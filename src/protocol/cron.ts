/** @module Cron jobs and their runs as they appear on the wire. */
import { z } from 'zod';
import { PrioritySchema } from './task.js';

export const CRON_OVERLAP = ['skip', 'queue', 'allow'] as const;
export const CRON_CATCHUP = ['skip', 'latest', 'all'] as const;
export const CRON_RUN_STATUSES = [
  'claimed', // slot taken; the task is being enqueued (recovered on restart)
  'pending', // overlap "queue": waits for the previous run to end
  'enqueued', // the task exists and has not ended yet
  'skipped', // overlap "skip": the previous run was still going
  'missed', // the gateway was down at the slot and the catch-up policy did not run it
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
] as const;

export const CronTemplateSchema = z.object({
  task: z.string().optional(),
  skill: z.string().optional(),
  args: z.record(z.string(), z.unknown()).optional(),
  workspace: z.string().optional(),
  timeout: z.number().nonnegative().optional(),
  priority: PrioritySchema.optional(),
  capabilities: z.array(z.string()).optional(),
});
export type CronTemplate = z.infer<typeof CronTemplateSchema>;

export const CronJobSchema = z.object({
  id: z.string(),
  name: z.string(),
  schedule: z.string(),
  timezone: z.string(),
  template: CronTemplateSchema,
  overlap: z.enum(CRON_OVERLAP),
  catchup: z.enum(CRON_CATCHUP),
  catchup_max: z.int(),
  enabled: z.boolean(),
  source: z.enum(['api', 'config']),
  created_at: z.string(),
  last_slot: z.string().nullable(),
  next_slot: z.string().nullable().optional(),
});
export type CronJob = z.infer<typeof CronJobSchema>;

export const CronRunSchema = z.object({
  job_id: z.string(),
  slot: z.string(),
  status: z.enum(CRON_RUN_STATUSES),
  task_id: z.string().nullable(),
  fired_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  late_ms: z.number().nullable(),
  duration_ms: z.number().nullable(),
  error: z.string().nullable(),
});
export type CronRun = z.infer<typeof CronRunSchema>;
export type CronRunStatus = (typeof CRON_RUN_STATUSES)[number];
