/**
 * @module Integration: kill -9 the gateway while a remote node runs tasks and `openclaw task run`
 * waits, then restart it on the same port: the node re-attaches what it still runs, delivers what it
 * finished during the outage, nothing runs twice, and the waiting CLI still gets its result.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, cliEnv } from '../../support/gateway-process.js';
import { startNodeProcess, type NodeProcess } from '../../support/node-process.js';
import {
  killGroup,
  pidGone,
  startTestGateway,
  submit,
  waitFor,
  waitForTask,
  type TestGateway,
} from '../../support/scheduler-harness.js';

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

/** Appends "<task id> <pid>" to `log`, waits for `gate`, prints `out`. */
function gated(log: string, gate: string, out: string): string {
  return `echo "$OPENCLAW_TASK_ID $$" >> '${log}'; while [ ! -f '${gate}' ]; do sleep 0.05; done; echo ${out}`;
}

describe('kill -9 the gateway with a remote node mid-task, restart on the same port', () => {
  let g: TestGateway;
  let node: NodeProcess | undefined;
  let runLog: string;

  before(async () => {
    g = await startTestGateway({
      gateway: { local_node: { enabled: false } },
      tasks: { lease: 30, queue_timeout: 0 },
    });
    runLog = join(g.home, 'runs.log');
  });
  after(async () => {
    for (const l of lines(runLog)) killGroup(Number(l.split(' ')[1]));
    await node?.stop('SIGKILL');
    node?.cleanup();
    await g?.close();
  });

  test('running tasks are re-attached, results from the outage are kept, the CLI gets its answer', async () => {
    node = await startNodeProcess({
      gateway: g.gw.wsUrl,
      nodeId: 'node-x',
      capabilities: ['shell'],
      token: g.token('node', 'node-x'),
      concurrency: 4,
    });
    const c1 = await g.operator();
    const gateStill = join(g.home, 'gate-still');
    const gateOutage = join(g.home, 'gate-outage');
    const gateCli = join(g.home, 'gate-cli');
    // Still running when the gateway comes back.
    const still = await submit(c1, { skill: 'shell', args: { command: gated(runLog, gateStill, 'still') } });
    // Finishes while the gateway is down: its result must be delivered after the reconnect.
    const outage = await submit(c1, {
      skill: 'shell',
      args: { command: gated(runLog, gateOutage, 'outage') },
    });
    // Followed by a CLI that must survive the restart.
    const env = cliEnv(g.home, { OPENCLAW_CONFIG: join(g.home, 'config.yaml') });
    const cli = spawn(
      process.execPath,
      [
        CLI,
        'task',
        'run',
        '--gateway',
        g.gw.wsUrl,
        '--timeout',
        '120',
        '--skill',
        'shell',
        '--args',
        JSON.stringify({ command: gated(runLog, gateCli, 'from-cli') }),
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let cliOut = '';
    let cliErr = '';
    cli.stdout.on('data', (d: Buffer) => (cliOut += d.toString()));
    cli.stderr.on('data', (d: Buffer) => (cliErr += d.toString()));
    const cliExit = new Promise<number | null>((r) => cli.on('exit', (code) => r(code)));
    try {
      await waitFor('three runs started', () => lines(runLog).length === 3, 20_000);
      const cliTask = lines(runLog)
        .map((l) => l.split(' ')[0]!)
        .find((id) => id !== still.id && id !== outage.id)!;

      await g.gw.stop('SIGKILL');
      writeFileSync(gateOutage, '');
      // The command ends while no gateway is there to hear it; the node has to keep the result.
      const outagePid = Number(
        lines(runLog)
          .find((l) => l.startsWith(`${outage.id} `))!
          .split(' ')[1],
      );
      await waitFor('the outage command to end', () => pidGone(outagePid));
      await new Promise((r) => setTimeout(r, 300));

      await g.restart({ samePort: true });
      await g.gw.waitForLog((l) => l.event === 'node_connected' && l.node_id === 'node-x', 15_000);
      const c2 = await g.operator();
      const o = await waitForTask(c2, outage.id);
      assert.equal(o.status, 'succeeded', JSON.stringify(o));
      assert.equal(o.attempt, 1);
      assert.equal((o.result as { stdout: string }).stdout, 'outage\n');

      const s = await waitForTask(c2, still.id, (t) => t.status === 'running');
      assert.equal(s.node_id, 'node-x');
      assert.equal(s.attempt, 1, 're-attached, not re-queued');
      writeFileSync(gateStill, '');
      const sDone = await waitForTask(c2, still.id);
      assert.equal(sDone.status, 'succeeded', JSON.stringify(sDone));
      assert.equal(sDone.attempt, 1);

      writeFileSync(gateCli, '');
      const code = await Promise.race([
        cliExit,
        new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000).unref()),
      ]);
      assert.equal(code, 0, `task run after a gateway restart: ${code}; stderr: ${cliErr}`);
      assert.equal(cliOut, 'from-cli\n');
      assert.equal((await waitForTask(c2, cliTask)).attempt, 1);

      const ids = lines(runLog).map((l) => l.split(' ')[0]);
      assert.equal(ids.length, 3, `each task ran once: ${ids.join(', ')}`);
    } finally {
      cli.kill('SIGKILL');
    }
  });
});
