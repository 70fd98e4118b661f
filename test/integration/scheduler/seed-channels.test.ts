/**
 * @module Integration: the seed's task channels as written (9.3): `openclaw task run` from a
 * crontab-like environment and under `flock -n`, with PROTOCOL's exit codes, and the seed's curl
 * against the REST API with its HTTP statuses.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import type { GatewayClient } from '../../../src/client/index.js';
import type { NodeInfo, Task } from '../../../src/protocol/index.js';
import { CLI, runCli, type CliResult } from '../../support/gateway-process.js';
import {
  listAll,
  startTestGateway,
  submit,
  waitFor,
  waitForTask,
  type TestGateway,
} from '../../support/scheduler-harness.js';

const NO_LLM = /OPENAI_API_KEY.*ANTHROPIC_API_KEY.*OLLAMA_HOST/;

/** A port nothing listens on: bound once by the test, then released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Runs a shell line the way cron does: /bin/sh, a bare environment, no terminal. */
function sh(line: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', line], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${line} did not finish in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('the seed commands against a local gateway', () => {
  let g: TestGateway;
  let c: GatewayClient;
  let port: number;
  let ws: string;
  let cron: NodeJS.ProcessEnv;
  let token: string;

  before(async () => {
    g = await startTestGateway({
      gateway: { local_node: { capabilities: ['shell', 'echo', 'file'], concurrency: 4 } },
    });
    c = await g.operator();
    port = g.gw.port;
    ws = `ws://127.0.0.1:${port}/ws`;
    // `openclaw` on PATH as in the seed's crontab lines; ~/.openclaw/config.yaml points the CLI at this
    // gateway's port, so the seed's commands without --gateway reach it too.
    const bin = join(g.home, 'bin');
    mkdirSync(bin);
    symlinkSync(CLI, join(bin, 'openclaw'));
    writeFileSync(join(g.home, '.openclaw', 'config.yaml'), `gateway:\n  port: ${port}\n`);
    cron = {
      HOME: g.home,
      LOGNAME: 'openclaw',
      SHELL: '/bin/sh',
      PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
    };
    const created = await runCli(['token', 'create', '--role', 'operator'], cron);
    assert.equal(created.code, 0, created.stderr);
    token = created.stdout.trim();
    assert.match(token, /^oc1\./);
  });
  after(async () => g?.close());

  describe('openclaw task run (seed 9.3, method 1)', () => {
    test('the seed command with no LLM provider fails at once, naming the env vars, exit 1', async () => {
      const t0 = Date.now();
      const r = await sh(
        `openclaw task run \\\n--gateway ws://127.0.0.1:${port}/ws \\\n--workspace my-workspace \\\n--timeout 300 \\\n"執行每小時資料同步任務"`,
        cron,
      );
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, NO_LLM);
      assert.match(r.stderr, /GW_ERR_LLM_NOT_CONFIGURED/);
      assert.ok(Date.now() - t0 < 20_000, 'it does not wait for the 300 s timeout');
      const page = (await c.request('task.list', { workspace: 'my-workspace' })) as { tasks: Task[] };
      const mine = page.tasks.find((x) => x.task === '執行每小時資料同步任務');
      assert.ok(mine, 'the task was stored with its workspace');
      assert.equal(mine.timeout, 300);
      assert.equal(mine.source, 'cli');
      assert.equal(mine.status, 'failed');
    });

    test('the same with --skill shell --args prints the output and exits 0', async () => {
      const r = await sh(
        `openclaw task run --gateway ${ws} --workspace my-workspace --timeout 300 --skill shell --args '{"command":"echo hi"}'`,
        cron,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'hi\n');
    });

    test('a failing command exits 1 and still shows its output', async () => {
      const r = await sh(
        `openclaw task run --gateway ${ws} --skill shell --args '{"command":"echo partial; echo oops >&2; exit 3"}'`,
        cron,
      );
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, 'partial\n');
      assert.match(r.stderr, /oops/);
      assert.match(r.stderr, /exited with code 3/);
    });

    test('a task past its --timeout exits 4', async () => {
      const r = await sh(
        `openclaw task run --gateway ${ws} --timeout 1 --skill shell --args '{"command":"sleep 30"}'`,
        cron,
      );
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, /timed_out/);
    });

    test('an unreachable gateway exits 3 quickly', async () => {
      const dead = await closedPort();
      const t0 = Date.now();
      const r = await sh(
        `openclaw task run --gateway ws://127.0.0.1:${dead}/ws --workspace my-workspace --timeout 300 "執行每小時資料同步任務"`,
        cron,
      );
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /cannot reach the gateway/);
      assert.ok(Date.now() - t0 < 15_000);
    });

    test('a wrong token exits 3, bad flags exit 2', async () => {
      const bad = await sh(
        `OPENCLAW_AUTH_TOKEN=oc1.bogus.token openclaw task run --gateway ${ws} --skill echo --args '{}'`,
        cron,
      );
      assert.equal(bad.code, 3, bad.stderr);
      const usage = await sh(`openclaw task run --gateway ${ws} --timeout soon "x"`, cron);
      assert.equal(usage.code, 2, usage.stderr);
      assert.match(usage.stderr, /--timeout soon/);
      const none = await sh(`openclaw task run --gateway ${ws}`, cron);
      assert.equal(none.code, 2);
    });

    test('task run --async prints the id; task show, logs, list and node list report it', async () => {
      const a = await sh(
        `openclaw task run --gateway ${ws} --async --workspace inspect-ws --priority high --skill echo --args '{"message":"async"}'`,
        cron,
      );
      assert.equal(a.code, 0, a.stderr);
      const id = a.stdout.trim();
      assert.match(id, /^task-\S+$/);
      await waitForTask(c, id);
      const show = await sh(`openclaw task show ${id} --gateway ${ws}`, cron);
      assert.equal(show.code, 0, show.stderr);
      assert.match(show.stdout, /status\s+succeeded/);
      assert.match(show.stdout, /priority\s+high/);
      assert.match(show.stdout, /workspace\s+inspect-ws/);
      assert.match(show.stdout, /"message":"async"/);
      const logs = await sh(`openclaw task logs ${id} --gateway ${ws}`, cron);
      assert.equal(logs.code, 0, logs.stderr);
      assert.match(logs.stdout, /started on local-/);
      const list = await sh(`openclaw task list --gateway ${ws} --workspace inspect-ws --json`, cron);
      assert.equal(list.code, 0, list.stderr);
      assert.deepEqual(
        (JSON.parse(list.stdout) as { tasks: Task[] }).tasks.map((x) => x.id),
        [id],
      );
      const nodes = await sh(`openclaw node list --gateway ${ws}`, cron);
      assert.equal(nodes.code, 0, nodes.stderr);
      assert.match(nodes.stdout, /local-\S+\s+shell,echo,file/);
      const missing = await sh(`openclaw task show task-nope --gateway ${ws}`, cron);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /task task-nope not found/);
    });

    test('seed method 3 under flock -n works as written, and an overlapping run is skipped', async () => {
      const lock = join(g.home, 'openclaw-hourly.lock');
      const seed = await sh(`flock -n ${lock} \\\nopenclaw task run --timeout 3500 "每小時任務"`, cron);
      assert.equal(seed.code, 1, 'an agent task without an LLM provider fails');
      assert.match(seed.stderr, NO_LLM);

      // With a token in the environment, as on a machine other than the gateway's.
      const env = { ...cron, OPENCLAW_AUTH_TOKEN: token };
      const gate = join(g.home, 'hourly-gate');
      const first = sh(
        `flock -n ${lock} openclaw task run --timeout 3500 --skill shell --args '{"command":"while [ ! -f ${gate} ]; do sleep 0.05; done; echo hourly"}'`,
        env,
      );
      await waitFor('the first run to hold the lock and start', async () => {
        const running = (await c.request('task.list', { status: 'running' })) as { tasks: Task[] };
        return running.tasks.some((x) => x.args?.command?.toString().includes('hourly-gate'));
      });
      const count = (await listAll(c)).length;
      const second = await sh(
        `flock -n ${lock} openclaw task run --timeout 3500 --skill echo --args '{}'`,
        env,
      );
      assert.equal(second.code, 1, 'flock -n refuses the overlapping run');
      assert.equal((await listAll(c)).length, count, 'and nothing was submitted');
      writeFileSync(gate, '');
      const r = await first;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'hourly\n');
    });
  });

  describe('REST (seed 9.3, method 2)', () => {
    let base: string;
    const auth = () => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
    before(() => {
      base = `http://127.0.0.1:${port}`;
    });

    test('the seed curl verbatim answers 202 with the task object', async () => {
      const seedCurl =
        `curl -X POST \\\n-H "Authorization: Bearer \${TOKEN}" \\\n-H "Content-Type: application/json" \\\n` +
        `-d '{"task": "執行每日報告生成", "async": true, "timeout": 7200}' \\\n${base}/api/tasks`;
      const r = await sh(seedCurl, { ...cron, TOKEN: token });
      assert.equal(r.code, 0, r.stderr);
      const task = JSON.parse(r.stdout) as Task;
      assert.equal(task.task, '執行每日報告生成');
      assert.equal(task.timeout, 7200);
      assert.equal(task.source, 'api');
      assert.ok(['queued', 'running', 'failed'].includes(task.status));

      const withStatus = await sh(`${seedCurl} -s -w '\\n%{http_code}'`, { ...cron, TOKEN: token });
      const lines = withStatus.stdout.trim().split('\n');
      assert.equal(lines.at(-1), '202');
      const again = JSON.parse(lines.slice(0, -1).join('\n')) as Task;
      assert.notEqual(again.id, task.id);

      // The agent task then fails on the node for want of an LLM provider, with the reason in the task.
      const res = await waitFor('the report task to end', async () => {
        const x = (await (await fetch(`${base}/api/tasks/${task.id}`, { headers: auth() })).json()) as Task;
        return x.status === 'failed' ? x : null;
      });
      assert.equal(res.error?.code, 'GW_ERR_LLM_NOT_CONFIGURED');
      assert.match(res.error!.message, NO_LLM);
    });

    test('without async it waits: 200 with the finished task, for success, failure and timeout', async () => {
      const post = (body: unknown) =>
        fetch(`${base}/api/tasks`, { method: 'POST', headers: auth(), body: JSON.stringify(body) });
      const ok = await post({ skill: 'shell', args: { command: 'echo from rest' } });
      assert.equal(ok.status, 200);
      const okTask = (await ok.json()) as Task;
      assert.equal(okTask.status, 'succeeded');
      assert.equal((okTask.result as { stdout: string }).stdout, 'from rest\n');

      const bad = await post({ skill: 'echo', args: { fail: 'nope' } });
      assert.equal(bad.status, 200);
      const badTask = (await bad.json()) as Task;
      assert.equal(badTask.status, 'failed');
      assert.match(badTask.error!.message, /nope/);

      const slow = await post({ skill: 'shell', args: { command: 'sleep 30' }, timeout: 1 });
      assert.equal(slow.status, 200);
      assert.equal(((await slow.json()) as Task).status, 'timed_out');
    });

    test('GET /api/tasks/:id, GET /api/tasks, POST /api/tasks/:id/cancel and GET /api/nodes', async () => {
      const gate = join(g.home, 'rest-gate');
      const t = await submit(c, {
        skill: 'shell',
        args: { command: `while [ ! -f '${gate}' ]; do sleep 0.05; done` },
      });
      const one = await fetch(`${base}/api/tasks/${t.id}`, { headers: auth() });
      assert.equal(one.status, 200);
      assert.equal(((await one.json()) as Task).id, t.id);

      const list = await fetch(`${base}/api/tasks?limit=2`, { headers: auth() });
      assert.equal(list.status, 200);
      const page = (await list.json()) as { tasks: Task[]; next_cursor: string | null };
      assert.equal(page.tasks.length, 2);
      assert.ok(page.next_cursor, 'more pages');
      const next = (await (
        await fetch(`${base}/api/tasks?limit=2&cursor=${encodeURIComponent(page.next_cursor)}`, {
          headers: auth(),
        })
      ).json()) as { tasks: Task[] };
      assert.equal(
        next.tasks.some((x) => page.tasks.some((y) => y.id === x.id)),
        false,
        'pages do not overlap',
      );
      const succeeded = (await (
        await fetch(`${base}/api/tasks?status=succeeded`, { headers: auth() })
      ).json()) as { tasks: Task[] };
      assert.ok(succeeded.tasks.length > 0 && succeeded.tasks.every((x) => x.status === 'succeeded'));

      await waitForTask(c, t.id, (x) => x.status === 'running');
      const cancel = await fetch(`${base}/api/tasks/${t.id}/cancel`, {
        method: 'POST',
        headers: auth(),
        body: JSON.stringify({ reason: 'via REST' }),
      });
      assert.equal(cancel.status, 200);
      const cancelled = (await cancel.json()) as Task;
      assert.equal(cancelled.status, 'cancelled');
      assert.match(cancelled.error!.message, /via REST/);
      const twice = await fetch(`${base}/api/tasks/${t.id}/cancel`, { method: 'POST', headers: auth() });
      assert.equal(twice.status, 409);
      assert.equal(
        ((await twice.json()) as { error: { code: string } }).error.code,
        'GW_ERR_TASK_NOT_ACTIVE',
      );

      const nodes = await fetch(`${base}/api/nodes`, { headers: auth() });
      assert.equal(nodes.status, 200);
      const n = ((await nodes.json()) as { nodes: NodeInfo[] }).nodes;
      assert.equal(n.length, 1);
      assert.deepEqual(n[0]!.capabilities, ['shell', 'echo', 'file']);
      assert.equal(n[0]!.concurrency, 4);
    });

    test('an idempotency_key returns the existing task, over REST and over WebSocket', async () => {
      const before = (await listAll(c)).length;
      const body = {
        skill: 'echo',
        args: { message: 'once' },
        async: true,
        idempotency_key: 'daily-2026-01-01',
      };
      const post = () =>
        fetch(`${base}/api/tasks`, { method: 'POST', headers: auth(), body: JSON.stringify(body) });
      const a = (await (await post()).json()) as Task;
      const b = (await (await post()).json()) as Task;
      assert.equal(b.id, a.id);
      const viaWs = await submit(c, {
        skill: 'echo',
        args: { message: 'other' },
        idempotency_key: 'daily-2026-01-01',
      });
      assert.equal(viaWs.id, a.id);
      assert.deepEqual(viaWs.args, { message: 'once' }, 'the first submission wins');
      // Racing resubmissions (a retrying cron and a human) still make one task.
      const racing = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          i % 2
            ? submit(c, { skill: 'echo', args: { message: `r${i}` }, idempotency_key: 'race-key' })
            : fetch(`${base}/api/tasks`, {
                method: 'POST',
                headers: auth(),
                body: JSON.stringify({ skill: 'echo', args: {}, async: true, idempotency_key: 'race-key' }),
              }).then(async (r) => (await r.json()) as Task),
        ),
      );
      assert.equal(new Set(racing.map((x) => x.id)).size, 1);
      assert.equal((await listAll(c)).length, before + 2);
    });
  });
});
