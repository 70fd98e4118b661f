/**
 * @module Integration: `openclaw logs` against a real gateway's ~/.openclaw/logs/gateway.log: the last
 * lines, --pretty, --follow seeing new task events until Ctrl-C (exit 0), and a clear exit 2 without
 * a log file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, cliEnv, runCli, tempHome } from '../../support/gateway-process.js';
import {
  startTestGateway,
  submit,
  waitFor,
  waitForTask,
  type TestGateway,
} from '../../support/scheduler-harness.js';

describe('openclaw logs', () => {
  let g: TestGateway;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    g = await startTestGateway({ gateway: { local_node: { capabilities: ['echo'] } } });
    env = cliEnv(g.home, { OPENCLAW_CONFIG: join(g.home, 'config.yaml') });
  });
  after(async () => g?.close());

  test('prints the last N JSON lines of ~/.openclaw/logs/gateway.log', async () => {
    const res = await runCli(['logs', '--lines', '3'], env);
    assert.equal(res.code, 0, res.stderr);
    const lines = res.stdout.trim().split('\n');
    assert.equal(lines.length, 3);
    for (const l of lines) {
      const rec = JSON.parse(l) as Record<string, unknown>;
      assert.equal(typeof rec.timestamp, 'string');
      assert.equal(typeof rec.level, 'string');
    }
    const all = await runCli(['logs', '--lines', '1000'], env);
    assert.ok(all.stdout.includes('"event":"gateway_started"'));
  });

  test('--pretty prints readable lines', async () => {
    const res = await runCli(['logs', '--lines', '1000', '--pretty'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.match(
      res.stdout,
      /^\S+Z INFO {2}\[gateway\] gateway_started: gateway listening on ws:\/\/127\.0\.0\.1:\d+\/ws /m,
    );
  });

  test('--follow prints the events of a task submitted afterwards, and Ctrl-C ends it with 0', async () => {
    const child = spawn(process.execPath, [CLI, 'logs', '--follow', '--lines', '0'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      // The follower skips what is in the file when it starts (--lines 0): the task is submitted only
      // once it is following, which a marker line appended to the file shows. A fixed sleep was too
      // short for a CLI start on a loaded machine, and the task's line was then skipped as old.
      const file = join(g.home, '.openclaw', 'logs', 'gateway.log');
      assert.ok(existsSync(file), `${file} exists`);
      let n = 0;
      await waitFor(
        'the follower to echo a marker line',
        () => {
          if (out.includes('"marker":"follow-ready"')) return true;
          appendFileSync(file, `${JSON.stringify({ marker: 'follow-ready', n: n++ })}\n`);
          return false;
        },
        15_000,
        200,
      );
      const c = await g.operator();
      const t = await submit(c, { skill: 'echo', args: { message: 'followed' } });
      await waitForTask(c, t.id);
      await waitFor('the task_completed line', () =>
        out.split('\n').some((l) => l.includes('"event":"task_completed"') && l.includes(t.id)),
      );
      assert.ok(!out.includes('"event":"gateway_started"'), '--lines 0 starts at the end');
      child.kill('SIGINT');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('without a log file it exits 2 and names the path', async () => {
    const { home, cleanup } = tempHome('openclaw-nolog-');
    try {
      const res = await runCli(['logs'], cliEnv(home));
      assert.equal(res.code, 2);
      assert.match(res.stderr, /no log file at .*\.openclaw\/logs\/gateway\.log/);
    } finally {
      cleanup();
    }
  });
});
