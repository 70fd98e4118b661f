/**
 * @module Integration: a task timeout and a cancel stop the work on the node, down to the background
 * processes of a shell command (its whole process group), and `task run` reports them with its exit codes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayClient } from '../../../src/client/index.js';
import { CLI, cliEnv, runCli } from '../../support/gateway-process.js';
import {
  killGroup,
  pidGone,
  startTestGateway,
  submit,
  waitFor,
  waitForTask,
  type TestGateway,
} from '../../support/scheduler-harness.js';

/** `sleep 60` in the background plus the shell itself, both pids written down, then wait. */
function sleeper(dir: string, name: string): string {
  return `echo $$ > '${join(dir, `${name}.sh.pid`)}'; sleep 60 & echo $! > '${join(dir, `${name}.pid`)}'; wait`;
}

function readPid(path: string): number | null {
  if (!existsSync(path)) return null;
  const n = Number(readFileSync(path, 'utf8').trim());
  return Number.isInteger(n) && n > 0 ? n : null;
}

describe('task timeout and cancellation stop the work', () => {
  let g: TestGateway;
  let c: GatewayClient;
  const leftovers: number[] = [];

  before(async () => {
    g = await startTestGateway({
      gateway: { local_node: { capabilities: ['shell', 'echo'], concurrency: 4 } },
      tasks: { long_task_warning: 1, default_timeout: 30 },
    });
    c = await g.operator();
  });
  after(async () => {
    for (const pid of leftovers) killGroup(pid);
    await g?.close();
  });

  test('a task timeout kills the shell process group, background children included', async () => {
    const t0 = Date.now();
    const t = await submit(c, { skill: 'shell', timeout: 2, args: { command: sleeper(g.home, 'to') } });
    const pid = await waitFor('the background sleep pid', () => readPid(join(g.home, 'to.pid')));
    const shPid = readPid(join(g.home, 'to.sh.pid'))!;
    leftovers.push(shPid);
    assert.equal(pidGone(pid), false, 'the sleep runs while the task runs');
    const done = await waitForTask(c, t.id);
    assert.equal(done.status, 'timed_out');
    assert.equal(done.error?.code, 'GW_ERR_TASK_TIMEOUT');
    assert.match(done.error!.message, /timeout of 2 s/);
    const took = Date.now() - t0;
    assert.ok(took >= 1900 && took < 10_000, `timed out after ${took} ms`);
    await waitFor(`pid ${pid} gone`, () => pidGone(pid) && pidGone(shPid), 5000);
  });

  test('a task running past tasks.long_task_warning is logged, published and counted', async () => {
    const events: unknown[] = [];
    c.onEvent('task.long_running', (p) => events.push(p));
    await c.request('task.subscribe', {});
    // Longer than threshold + one sweep interval (1 s), so a sweep always sees it past the threshold.
    const t = await submit(c, { skill: 'echo', args: { delay_ms: 2500 } });
    const line = await g.gw.waitForLog((l) => l.event === 'task_long_running' && l.task_id === t.id, 5000);
    assert.ok(Number(line.elapsed_s) >= 1);
    assert.equal((await waitForTask(c, t.id)).status, 'succeeded', 'a warning is not a timeout');
    assert.ok(
      events.some((e) => (e as { id: string }).id === t.id),
      `task.long_running event: ${JSON.stringify(events)}`,
    );
    const metrics = await (await fetch(g.gw.metricsUrl!)).text();
    const m = /^openclaw_tasks_long_running_total (\d+)/m.exec(metrics);
    assert.ok(m && Number(m[1]) >= 1, metrics.slice(0, 500));
  });

  test('tasks.default_timeout applies to tasks that set none; timeout 0 means none', async () => {
    const d = await submit(c, { skill: 'echo', args: {} });
    assert.equal(d.timeout, 30);
    const none = await submit(c, { skill: 'echo', args: {}, timeout: 0 });
    assert.equal(none.timeout, null);
    const own = await submit(c, { skill: 'echo', args: {}, timeout: 5 });
    assert.equal(own.timeout, 5);
  });

  test('task cancel while running: the node kills the work, status cancelled, task run exits 5', async () => {
    const env = cliEnv(g.home, { OPENCLAW_CONFIG: join(g.home, 'config.yaml') });
    const run = spawn(
      process.execPath,
      [
        CLI,
        'task',
        'run',
        '--gateway',
        g.gw.wsUrl,
        '--skill',
        'shell',
        '--args',
        JSON.stringify({ command: sleeper(g.home, 'cx') }),
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    run.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => run.on('exit', (code) => r(code)));
    try {
      const pid = await waitFor('the background sleep pid', () => readPid(join(g.home, 'cx.pid')));
      const shPid = readPid(join(g.home, 'cx.sh.pid'))!;
      leftovers.push(shPid);
      const id = /task (task-\S+) (?:queued|running)/.exec(stderr)?.[1];
      assert.ok(id, `task run prints the task id: ${stderr}`);

      const cancel = await runCli(
        ['task', 'cancel', id, '--gateway', g.gw.wsUrl, '--reason', 'test says stop'],
        env,
      );
      assert.equal(cancel.code, 0, cancel.stderr);
      assert.match(cancel.stdout, new RegExp(`${id} cancelled`));

      assert.equal(await exited, 5, `task run exits 5 on cancel; stderr: ${stderr}`);
      assert.match(stderr, /cancelled/);
      await waitFor(`pid ${pid} gone`, () => pidGone(pid) && pidGone(shPid), 5000);
      const t = await waitForTask(c, id);
      assert.equal(t.status, 'cancelled');
      assert.equal(t.error?.code, 'GW_ERR_TASK_CANCELLED');
      assert.match(t.error!.message, /test says stop/);
      // The node's slot came back.
      await waitFor('slot freed', async () => {
        const n = (await c.request('node.list', {})) as { nodes: Array<{ running: number }> };
        return n.nodes[0]?.running === 0;
      });
      const again = await runCli(['task', 'cancel', id, '--gateway', g.gw.wsUrl], env);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already cancelled/);
    } finally {
      run.kill('SIGKILL');
    }
  });

  test('cancelling a queued task means it never runs', async () => {
    const t = await submit(c, { skill: 'echo', args: {}, depends_on: [], capabilities: ['gpu'] });
    const res = (await c.request('task.cancel', { id: t.id })) as { status: string };
    assert.equal(res.status, 'cancelled');
    const after = await waitForTask(c, t.id);
    assert.equal(after.started_at, null);
    assert.equal(after.status, 'cancelled');
  });
});
