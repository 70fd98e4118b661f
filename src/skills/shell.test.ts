/** @module Tests of the shell skill against real processes: groups, timeouts, caps, env and policy. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '../protocol/index.js';
import { createSkillContext } from './context.js';
import { createSkillRegistry } from './registry.js';
import { createShellSkill, type ShellResult } from './shell.js';

let dir: string;
const spawned: number[] = [];
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oc-skills-shell-'));
});
after(async () => {
  // Belt and braces: nothing a test started may outlive the suite, even when an assertion failed.
  for (const pid of spawned) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await rm(dir, { recursive: true, force: true });
});

/**
 * Whether a process has terminated. ESRCH is the normal answer; a zombie (state Z) has terminated
 * too and only waits for its new parent to reap it, which some container init processes never do.
 */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

async function waitGone(pid: number, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (isGone(pid)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return isGone(pid);
}

let n = 0;
async function ctx(extra: { signal?: AbortSignal; timeoutMs?: number } = {}) {
  return createSkillContext({ taskId: `sh-${++n}`, workspaceDir: join(dir, 'ws'), ...extra });
}

const shell = createShellSkill({ killGraceMs: 500 });
const reg = createSkillRegistry([shell], { abortGraceMs: 3000 });
const run = async (args: Record<string, unknown>, c?: Awaited<ReturnType<typeof ctx>>) =>
  (await reg.invoke('shell', args, c ?? (await ctx()))) as ShellResult;

async function rejection(p: Promise<unknown>): Promise<GatewayError> {
  const err = await p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof GatewayError, String(err));
  return err;
}

describe('shell skill', () => {
  test('runs the command in the task directory and reports its output', async () => {
    const c = await ctx();
    const r = await run({ command: 'pwd; echo out; echo err >&2' }, c);
    assert.equal(r.exit_code, 0);
    assert.equal(r.signal, null);
    assert.equal(r.stdout, `${await realpath(c.workDir)}\nout\n`);
    assert.equal(r.stderr, 'err\n');
    assert.equal(r.truncated, false);
    assert.equal(typeof r.duration_ms, 'number');
  });

  test('a non-zero exit is a result, not a failure', async () => {
    const r = await run({ command: 'echo partial; exit 3' });
    assert.equal(r.exit_code, 3);
    assert.equal(r.stdout, 'partial\n');
  });

  test('timeout_ms kills the whole process group, grandchildren included', async () => {
    const started = Date.now();
    const err = await rejection(run({ command: 'sleep 30 & echo $!; wait', timeout_ms: 400 }));
    assert.equal(err.code, 'GW_ERR_TASK_TIMEOUT');
    assert.equal(err.details.which, 'shell command');
    assert.ok(Date.now() - started < 5000);
    const pid = Number(String(err.details.stdout).trim());
    assert.ok(
      Number.isInteger(pid) && pid > 1,
      `grandchild pid from partial stdout: ${String(err.details.stdout)}`,
    );
    spawned.push(pid);
    assert.ok(await waitGone(pid), `grandchild ${pid} still running`);
  });

  test('a grandchild that ignores SIGTERM is SIGKILLed after the grace period', async () => {
    const err = await rejection(
      run({ command: `sh -c 'trap "" TERM; echo $$; while :; do sleep 0.05; done' & wait`, timeout_ms: 300 }),
    );
    assert.equal(err.code, 'GW_ERR_TASK_TIMEOUT');
    const pid = Number(String(err.details.stdout).trim());
    spawned.push(pid);
    assert.ok(await waitGone(pid), `stubborn grandchild ${pid} still running`);
  });

  test('an abort mid-run stops the command group and reports a cancellation', async () => {
    const ac = new AbortController();
    const c = await ctx({ signal: ac.signal });
    const pidFile = join(c.workDir, 'pid');
    const p = run({ command: `sleep 30 & echo $! > ${pidFile}; wait` }, c);
    let pid = 0;
    for (let i = 0; i < 200 && pid === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      try {
        pid = Number(readFileSync(pidFile, 'utf8').trim()) || 0;
      } catch {
        // not written yet
      }
    }
    assert.ok(pid > 1, 'the command started its grandchild');
    spawned.push(pid);
    assert.equal(isGone(pid), false);
    ac.abort(new GatewayError('GW_ERR_TASK_CANCELLED', { reason: 'test cancel' }));
    const err = await rejection(p);
    assert.equal(err.code, 'GW_ERR_TASK_CANCELLED');
    assert.match(err.message, /test cancel/);
    assert.ok(await waitGone(pid), `grandchild ${pid} survived the abort`);
  });

  test('the task timeout (ctx.timeoutMs) also stops the command', async () => {
    const err = await rejection(run({ command: 'sleep 30' }, await ctx({ timeoutMs: 200 })));
    assert.equal(err.code, 'GW_ERR_TASK_TIMEOUT');
    assert.equal(err.details.which, 'task');
  });

  test('background jobs left behind are ended when the command exits', async () => {
    const started = Date.now();
    const r = await run({ command: 'sleep 30 & echo $!' });
    assert.ok(Date.now() - started < 5000, 'did not wait for the background job');
    const pid = Number(r.stdout.trim());
    spawned.push(pid);
    assert.ok(await waitGone(pid), `background job ${pid} outlived the call`);
  });

  test('output beyond maxOutputBytes is dropped and flagged, and the child is not blocked', async () => {
    const capped = createSkillRegistry([createShellSkill({ maxOutputBytes: 1000 })]);
    const r = (await capped.invoke(
      'shell',
      { command: 'head -c 300000 /dev/zero | tr "\\0" a; echo done >&2' },
      await ctx(),
    )) as ShellResult;
    assert.equal(r.exit_code, 0);
    assert.equal(r.stdout.length, 1000);
    assert.equal(r.stdout, 'a'.repeat(1000));
    assert.equal(r.stderr, 'done\n');
    assert.equal(r.truncated, true);
  });

  test('secrets are scrubbed from the child environment; ordinary variables pass', async () => {
    const saved = { ...process.env };
    process.env.OPENAI_API_KEY = 'sk-test-should-not-leak';
    process.env.OPENCLAW_AUTH_SECRET = 'auth-secret-should-not-leak';
    process.env.MY_SERVICE_TOKEN = 'token-should-not-leak';
    process.env.OC_PLAIN_SETTING = 'visible';
    try {
      const r = await run({
        command: 'env',
        env: { EXTRA_VAR: 'extra', GITHUB_API_KEY: 'passed-but-scrubbed' },
      });
      assert.equal(r.exit_code, 0);
      assert.doesNotMatch(r.stdout, /should-not-leak|passed-but-scrubbed/);
      assert.doesNotMatch(r.stdout, /^OPENAI_API_KEY=/m);
      assert.match(r.stdout, /^OC_PLAIN_SETTING=visible$/m);
      assert.match(r.stdout, /^EXTRA_VAR=extra$/m);
      assert.match(r.stdout, /^OPENCLAW_TASK_ID=sh-\d+$/m);
      const keeping = createSkillRegistry([createShellSkill({ keepEnv: ['MY_SERVICE_TOKEN'] })]);
      const k = (await keeping.invoke('shell', { command: 'env' }, await ctx())) as ShellResult;
      assert.match(k.stdout, /^MY_SERVICE_TOKEN=token-should-not-leak$/m);
      assert.doesNotMatch(k.stdout, /sk-test-should-not-leak/);
    } finally {
      for (const k of ['OPENAI_API_KEY', 'OPENCLAW_AUTH_SECRET', 'MY_SERVICE_TOKEN', 'OC_PLAIN_SETTING']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });

  test('the default deny list refuses destructive commands before anything runs', async () => {
    const c = await ctx();
    const marker = join(c.workDir, 'ran');
    for (const command of [
      `touch ${marker}; rm -rf /`,
      'rm -rf --no-preserve-root /',
      'sudo rm -fr /*',
      'mkfs.ext4 /dev/sda1',
      'shutdown -h now',
      `touch ${marker} && sudo reboot`,
      ':(){ :|:& };:',
      'dd if=/dev/zero of=/dev/sda bs=1M',
      `sh -c "touch ${marker}; poweroff"`,
    ]) {
      const err = await rejection(run({ command }, c));
      assert.equal(err.code, 'GW_ERR_SKILL_DENIED', command);
      assert.equal(typeof err.details.rule, 'string');
      assert.match(err.message, /deny rule/);
    }
    assert.throws(() => readFileSync(marker), /ENOENT/, 'a denied command must not have run at all');
  });

  test('configured allow and deny rules apply, deny winning', async () => {
    const strict = createSkillRegistry([
      createShellSkill({ policy: { allow: ['echo', 'printf', '^git status$'], deny: ['printf'] } }),
    ]);
    const c = await ctx();
    const ok = (await strict.invoke('shell', { command: 'echo a | echo b' }, c)) as ShellResult;
    assert.equal(ok.stdout, 'b\n');
    let err = await rejection(strict.invoke('shell', { command: 'echo a; cat /etc/hostname' }, c));
    assert.equal(err.code, 'GW_ERR_SKILL_DENIED');
    assert.equal(err.details.program, 'cat');
    err = await rejection(strict.invoke('shell', { command: 'printf x' }, c));
    assert.equal(err.details.rule, 'printf');
    err = await rejection(strict.invoke('shell', { command: 'echo $(id)' }, c));
    assert.equal(err.details.program, 'id');
  });

  test('a shell that cannot start is a clear GW_ERR_SKILL_FAILED', async () => {
    const broken = createSkillRegistry([createShellSkill({ shell: join(dir, 'no-such-shell') })]);
    const err = await rejection(broken.invoke('shell', { command: 'true' }, await ctx()));
    assert.equal(err.code, 'GW_ERR_SKILL_FAILED');
    assert.match(err.message, /no-such-shell/);
  });

  test('stdin is closed, so a command waiting for input ends instead of hanging', async () => {
    const r = await run({ command: 'cat; echo eof' });
    assert.equal(r.stdout, 'eof\n');
  });
});
