/** @module `openclaw task run|list|show|cancel|logs`: the CLI channel (R4.1), safe in crontab. */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { GatewayClient } from '../../client/index.js';
import { PACKAGE_VERSION } from '../../config/index.js';
import { GatewayError, PRIORITIES, isTerminal, type Task } from '../../protocol/index.js';
import { CliExit, EXIT, type ExitCode } from '../exit-codes.js';
import { printJson, printLine, printTable } from '../output.js';
import { resolveTarget, withClient, type TargetFlags } from '../target.js';

interface RunFlags extends TargetFlags {
  workspace?: string;
  timeout?: string;
  priority?: string;
  capabilities?: string;
  tags?: string;
  skill?: string;
  args?: string;
  dependsOn?: string;
  async?: boolean;
  json?: boolean;
  quiet?: boolean;
}

const EXIT_BY_STATUS: Record<string, ExitCode> = {
  succeeded: EXIT.OK,
  failed: EXIT.TASK_FAILED,
  timed_out: EXIT.TIMEOUT,
  cancelled: EXIT.CANCELLED,
};

function list(v: string | undefined): string[] | undefined {
  const items = v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items && items.length > 0 ? items : undefined;
}

function buildSubmit(instruction: string | undefined, f: RunFlags): Record<string, unknown> {
  if (f.skill && instruction)
    throw new CliExit(EXIT.USAGE, 'give either an instruction or --skill, not both');
  if (!f.skill && !instruction)
    throw new CliExit(EXIT.USAGE, 'missing the instruction (or --skill NAME --args JSON)');
  let args: unknown;
  if (f.args !== undefined) {
    if (!f.skill) throw new CliExit(EXIT.USAGE, '--args goes with --skill');
    try {
      args = JSON.parse(f.args);
    } catch {
      throw new CliExit(EXIT.USAGE, `--args is not valid JSON: ${f.args}`);
    }
  }
  let timeout: number | undefined;
  if (f.timeout !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(f.timeout))
      throw new CliExit(EXIT.USAGE, `--timeout ${f.timeout}: expected seconds, e.g. 300`);
    timeout = Number(f.timeout);
  }
  if (f.priority && !(PRIORITIES as readonly string[]).includes(f.priority)) {
    throw new CliExit(EXIT.USAGE, `--priority ${f.priority}: use one of ${PRIORITIES.join(', ')}`);
  }
  return {
    ...(instruction ? { task: instruction } : {}),
    ...(f.skill ? { skill: f.skill } : {}),
    ...(args !== undefined ? { args } : {}),
    ...(f.workspace ? { workspace: f.workspace } : {}),
    ...(timeout !== undefined ? { timeout } : {}),
    ...(f.priority ? { priority: f.priority } : {}),
    ...(list(f.capabilities) ? { capabilities: list(f.capabilities) } : {}),
    ...(list(f.tags) ? { tags: list(f.tags) } : {}),
    ...(list(f.dependsOn) ? { depends_on: list(f.dependsOn) } : {}),
    // One key per invocation: a submit retried after a dropped connection returns the same task.
    idempotency_key: `cli-${randomUUID()}`,
  };
}

function printResult(task: Task, json: boolean | undefined): void {
  if (json) {
    printJson(task);
    return;
  }
  if (task.status === 'succeeded') {
    const r = task.result as unknown;
    if (typeof r === 'string') printLine(r);
    else if (
      r &&
      typeof r === 'object' &&
      'stdout' in r &&
      typeof (r as { stdout: unknown }).stdout === 'string'
    ) {
      process.stdout.write((r as { stdout: string }).stdout);
      const stderr = (r as { stderr?: unknown }).stderr;
      if (typeof stderr === 'string' && stderr) process.stderr.write(stderr);
    } else if (r && typeof r === 'object' && 'answer' in r)
      printLine(String((r as { answer: unknown }).answer));
    else if (r !== null && r !== undefined) printJson(r);
  } else {
    // A failed shell command's output is what a crontab mail should show.
    const d = task.error?.details;
    if (typeof d?.stdout === 'string') process.stdout.write(d.stdout);
    if (typeof d?.stderr === 'string') process.stderr.write(d.stderr);
    process.stderr.write(
      `openclaw: task ${task.id} ${task.status}: ${task.error?.message ?? 'no reason given'}${task.error ? ` [${task.error.code}]` : ''}\n`,
    );
  }
}

async function run(instruction: string | undefined, f: RunFlags): Promise<void> {
  const params = buildSubmit(instruction, f);
  const target = await resolveTarget(f);
  const client = new GatewayClient({
    url: target.wsUrl,
    ...(target.token ? { token: target.token } : {}),
    role: 'operator',
    client: { name: 'openclaw-cli', version: PACKAGE_VERSION },
    // Survive a gateway restart during a long wait; the first connect still fails fast (exit 3).
    reconnect: { enabled: true, maxRetries: 30, initialDelayMs: 500, maxDelayMs: 10_000 },
  });
  await client.connect();
  let finished: ((t: Task) => void) | null = null;
  const ended = new Promise<Task>((resolve) => (finished = resolve));
  let taskId: string | null = null;
  client.onEvent('task.progress', (payload) => {
    const p = payload as { id: string; message: string; stream?: boolean };
    if (p.id !== taskId || f.quiet || f.json) return;
    process.stderr.write(p.stream ? p.message : `… ${p.message}\n`);
  });
  client.onEvent('task.updated', (payload) => {
    const t = payload as Task;
    if (t.id === taskId && isTerminal(t.status)) finished?.(t);
  });
  const refetch = async () => {
    if (!taskId) return;
    const t = (await client.request('task.get', { id: taskId })) as Task;
    if (isTerminal(t.status)) finished?.(t);
  };
  client.on('reconnected', (info) => {
    // A restarted gateway has no record of this session's subscription: ask again, then look once,
    // since the task may have ended while the connection was down.
    void (async () => {
      if (taskId && !info.session.resumed) await client.request('task.subscribe', { id: taskId });
      await refetch();
    })().catch(() => undefined);
  });
  // Reconnecting gave up: the wait can never end, so end it (exit 3) instead of hanging a crontab entry.
  let lostConnection: ((err: unknown) => void) | null = null;
  const lost = new Promise<never>((_, reject) => (lostConnection = reject));
  lost.catch(() => undefined);
  client.on('fatal', (err) => lostConnection?.(err));
  // An update lost any other way costs at most one poll interval, never a wait until the timeout.
  const poll = setInterval(() => void refetch().catch(() => undefined), 15_000);
  poll.unref();
  try {
    let task: Task | null = null;
    for (let attempt = 0; !task; attempt++) {
      try {
        task = (await client.request('task.submit', params as never)) as Task;
      } catch (err) {
        if (!(err instanceof GatewayError && err.code === 'GW_ERR_GATEWAY_UNREACHABLE') || attempt >= 5)
          throw err;
        await client.connect();
      }
    }
    taskId = task.id;
    if (f.async) {
      if (f.json) printJson(task);
      else printLine(task.id);
      return;
    }
    if (!f.quiet && !f.json) process.stderr.write(`task ${task.id} ${task.status}\n`);
    await client.request('task.subscribe', { id: task.id });
    await refetch(); // it may have ended before the subscription
    const graceMs = 30_000;
    const limitMs = task.timeout ? task.timeout * 1000 + graceMs : 0;
    const done = await (limitMs
      ? Promise.race([ended, lost, new Promise<null>((r) => setTimeout(() => r(null), limitMs).unref())])
      : Promise.race([ended, lost]));
    if (!done) throw new CliExit(EXIT.TIMEOUT, `task ${task.id} did not end within its timeout`);
    printResult(done, f.json);
    const code = EXIT_BY_STATUS[done.status] ?? EXIT.TASK_FAILED;
    if (code !== EXIT.OK) throw new CliExit(code);
  } finally {
    clearInterval(poll);
    await client.close();
  }
}

export function registerTaskCommands(program: Command): void {
  const task = program.command('task').description('submit and inspect tasks');
  const target = (c: Command) =>
    c
      .option('--gateway <url>', 'gateway URL, e.g. wss://gateway.example.com/ws (default from config)')
      .option('--url <url>', 'alias of --gateway')
      .option('--token <token>', 'bearer token (default $OPENCLAW_AUTH_TOKEN or the local secret)')
      .option('--config <file>', 'config file')
      .option('--json', 'machine-readable output');

  target(task.command('run [instruction]'))
    .description(
      'submit a task, stream its progress and exit 0 on success (1 failed, 3 unreachable, 4 timed out, 5 cancelled)',
    )
    .option('--workspace <id>', 'workspace (default "default")')
    .option('--timeout <seconds>', 'task timeout in seconds')
    .option('--priority <p>', 'critical, high, normal or low')
    .option('--capabilities <list>', 'required node capabilities, comma-separated')
    .option('--tags <list>', 'required node tags, comma-separated')
    .option('--skill <name>', 'call a skill directly instead of an agent instruction')
    .option('--args <json>', 'skill arguments as JSON')
    .option('--depends-on <ids>', 'task ids that must succeed first, comma-separated')
    .option('--async', 'print the task id and exit without waiting')
    .option('--quiet', 'no progress output')
    .action(run);

  target(task.command('list'))
    .description('list tasks, newest first')
    .option('--status <status>', 'only this status')
    .option('--workspace <id>', 'only this workspace')
    .option('--limit <n>', 'how many', '50')
    .action(
      async (f: TargetFlags & { status?: string; workspace?: string; limit: string; json?: boolean }) => {
        if (!/^\d+$/.test(f.limit))
          throw new CliExit(EXIT.USAGE, `--limit ${f.limit}: expected a whole number`);
        const page = (await withClient(await resolveTarget(f), (c) =>
          c.request('task.list', {
            ...(f.status ? { status: f.status } : {}),
            ...(f.workspace ? { workspace: f.workspace } : {}),
            limit: Number(f.limit),
          } as never),
        )) as { tasks: Task[] };
        if (f.json) printJson(page);
        else
          printTable(
            page.tasks.map((t) => ({ ...t, what: t.task ?? `${t.skill}`, node: t.node_id })),
            ['id', 'status', 'priority', 'workspace', 'node', 'attempt', 'created_at', 'what'],
          );
      },
    );

  target(task.command('show <id>'))
    .description('show one task')
    .action(async (id: string, f: TargetFlags & { json?: boolean }) => {
      const t = (await withClient(await resolveTarget(f), (c) => c.request('task.get', { id }))) as Task;
      if (f.json) printJson(t);
      else {
        for (const k of [
          'id',
          'status',
          'priority',
          'workspace',
          'node_id',
          'attempt',
          'created_at',
          'started_at',
          'finished_at',
          'source',
        ] as const) {
          printLine(`${k.padEnd(12)} ${t[k] ?? '-'}`);
        }
        printLine(`${'what'.padEnd(12)} ${t.task ?? `${t.skill} ${JSON.stringify(t.args ?? {})}`}`);
        if (t.error) printLine(`${'error'.padEnd(12)} ${t.error.code}: ${t.error.message}`);
        if (t.result !== null) printLine(`${'result'.padEnd(12)} ${JSON.stringify(t.result)}`);
      }
    });

  target(task.command('cancel <id>'))
    .description('cancel a queued or running task (the node stops the work)')
    .option('--reason <text>', 'why')
    .action(async (id: string, f: TargetFlags & { reason?: string; json?: boolean }) => {
      const t = (await withClient(await resolveTarget(f), (c) =>
        c.request('task.cancel', { id, ...(f.reason ? { reason: f.reason } : {}) }),
      )) as Task;
      if (f.json) printJson(t);
      else printLine(`${t.id} ${t.status}`);
    });

  target(task.command('logs <id>'))
    .description("print a task's log lines")
    .action(async (id: string, f: TargetFlags & { json?: boolean }) => {
      const out = (await withClient(await resolveTarget(f), (c) => c.request('task.logs', { id }))) as {
        logs: Array<{ ts: string; level: string; message: string }>;
      };
      if (f.json) printJson(out);
      else for (const l of out.logs) printLine(`${l.ts} ${l.level.padEnd(5)} ${l.message}`);
    });
}
