/** @module `openclaw cron add|list|remove|runs|run-now`: manage cron jobs on a running gateway. */
import type { Command } from 'commander';
import type { CronJob, CronRun } from '../../protocol/index.js';
import { CliExit, EXIT } from '../exit-codes.js';
import { printJson, printLine, printTable } from '../output.js';
import { resolveTarget, withClient, type TargetFlags } from '../target.js';

interface AddFlags extends TargetFlags {
  name: string;
  schedule: string;
  timezone?: string;
  skill?: string;
  args?: string;
  workspace?: string;
  timeout?: string;
  overlap?: string;
  catchup?: string;
  catchupMax?: string;
  json?: boolean;
}

export function registerCronCommands(program: Command): void {
  const cron = program.command('cron').description('manage cron jobs (each slot fires exactly once)');
  const target = (c: Command) =>
    c
      .option('--url <url>', 'gateway URL')
      .option('--gateway <url>', 'alias of --url')
      .option('--token <token>', 'bearer token')
      .option('--config <file>', 'config file')
      .option('--json', 'machine-readable output');

  target(cron.command('add [instruction]'))
    .description('add a job: an agent instruction, or --skill with --args')
    .requiredOption('--name <name>', 'unique job name')
    .requiredOption(
      '--schedule <expr>',
      'cron expression: 5 fields, or 6 with seconds first, e.g. "0 * * * *"',
    )
    .option('--timezone <tz>', 'IANA time zone (default UTC), e.g. Asia/Taipei')
    .option('--skill <name>', 'skill to call instead of an instruction')
    .option('--args <json>', 'skill arguments as JSON')
    .option('--workspace <id>', 'workspace of the tasks')
    .option('--timeout <seconds>', 'task timeout')
    .option('--overlap <policy>', 'skip (default), queue or allow, when the previous run is still going')
    .option(
      '--catchup <policy>',
      'after downtime: latest (default, run once), all (up to --catchup-max) or skip',
    )
    .option('--catchup-max <n>', 'most missed slots run with --catchup all (default 100)')
    .action(async (instruction: string | undefined, f: AddFlags) => {
      let args: unknown;
      if (f.args !== undefined) {
        try {
          args = JSON.parse(f.args);
        } catch {
          throw new CliExit(EXIT.USAGE, `--args is not valid JSON: ${f.args}`);
        }
      }
      if (f.timeout !== undefined && !/^\d+(\.\d+)?$/.test(f.timeout))
        throw new CliExit(EXIT.USAGE, `--timeout ${f.timeout}: expected seconds`);
      if (f.catchupMax !== undefined && !/^\d+$/.test(f.catchupMax))
        throw new CliExit(EXIT.USAGE, `--catchup-max ${f.catchupMax}: expected a whole number`);
      const params = {
        name: f.name,
        schedule: f.schedule,
        ...(f.timezone ? { timezone: f.timezone } : {}),
        ...(instruction ? { task: instruction } : {}),
        ...(f.skill ? { skill: f.skill } : {}),
        ...(args !== undefined ? { args } : {}),
        ...(f.workspace ? { workspace: f.workspace } : {}),
        ...(f.timeout ? { timeout: Number(f.timeout) } : {}),
        ...(f.overlap ? { overlap: f.overlap } : {}),
        ...(f.catchup ? { catchup: f.catchup } : {}),
        ...(f.catchupMax ? { catchup_max: Number(f.catchupMax) } : {}),
      };
      const job = (await withClient(await resolveTarget(f), (c) =>
        c.request('cron.add', params as never),
      )) as CronJob;
      if (f.json) printJson(job);
      else printLine(`added ${job.id} (${job.name}), next at ${job.next_slot ?? 'never'}`);
    });

  target(cron.command('list'))
    .description('list jobs with their next slot')
    .action(async (f: TargetFlags & { json?: boolean }) => {
      const out = (await withClient(await resolveTarget(f), (c) => c.request('cron.list', {}))) as {
        jobs: CronJob[];
      };
      if (f.json) printJson(out);
      else
        printTable(
          out.jobs.map((j) => ({ ...j, what: j.template.task ?? j.template.skill })),
          ['id', 'name', 'schedule', 'timezone', 'overlap', 'catchup', 'next_slot', 'what'],
        );
    });

  target(cron.command('remove <id>'))
    .description('remove a job (by id or name)')
    .action(async (id: string, f: TargetFlags & { json?: boolean }) => {
      const out = await withClient(await resolveTarget(f), (c) => c.request('cron.remove', { id }));
      if (f.json) printJson(out);
      else printLine(`removed ${id}`);
    });

  target(cron.command('runs <id>'))
    .description("show a job's run history (every slot: fired, skipped or missed)")
    .option('--limit <n>', 'how many', '50')
    .action(async (id: string, f: TargetFlags & { json?: boolean; limit: string }) => {
      if (!/^\d+$/.test(f.limit))
        throw new CliExit(EXIT.USAGE, `--limit ${f.limit}: expected a whole number`);
      const out = (await withClient(await resolveTarget(f), (c) =>
        c.request('cron.runs', { id, limit: Number(f.limit) }),
      )) as { runs: CronRun[] };
      if (f.json) printJson(out);
      else printTable(out.runs as never, ['slot', 'status', 'task_id', 'late_ms', 'duration_ms', 'error']);
    });

  target(cron.command('run-now <id>'))
    .description('fire a job once now, outside its schedule')
    .action(async (id: string, f: TargetFlags & { json?: boolean }) => {
      const run = (await withClient(await resolveTarget(f), (c) =>
        c.request('cron.run', { id }),
      )) as CronRun | null;
      if (f.json) printJson(run);
      else printLine(run ? `fired: task ${run.task_id ?? '-'} (${run.status})` : 'not fired');
    });
}
