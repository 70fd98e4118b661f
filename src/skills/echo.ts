/** @module The echo skill: returns its arguments, optionally late or failing; for health checks and tests. */
import { z } from 'zod';
import { GatewayError } from '../protocol/index.js';
import { sleep } from './abort.js';
import { defineSkill, type Skill } from './skill.js';

export const EchoArgsSchema = z.strictObject({
  message: z.string().max(1_000_000).optional().describe('Text to return unchanged'),
  delay_ms: z
    .int()
    .min(0)
    .max(24 * 3600 * 1000)
    .optional()
    .describe('Wait this long before answering (aborts with the task)'),
  fail: z.string().min(1).max(10_000).optional().describe('Fail with this text instead of answering'),
});
export type EchoArgs = z.infer<typeof EchoArgsSchema>;

/** Creates the echo skill (capability `echo`). */
export function createEchoSkill(): Skill<EchoArgs> {
  return defineSkill({
    name: 'echo',
    description:
      'Returns its arguments unchanged. With delay_ms it waits first; with fail it fails with that text. ' +
      'Used for health checks and tests.',
    capability: 'echo',
    args: EchoArgsSchema,
    async run(args, ctx) {
      if (args.delay_ms !== undefined && args.delay_ms > 0) await sleep(args.delay_ms, ctx.signal);
      if (args.fail !== undefined)
        throw new GatewayError('GW_ERR_SKILL_FAILED', { skill: 'echo', reason: args.fail });
      return args;
    },
  });
}
