/**
 * @module Integration: leases across real node processes. A node killed with SIGKILL loses its task to
 * another node once the lease lapses (attempt 2, then the retry limit); a node whose connection drops
 * and comes back inside the lease keeps its task, which runs once; a node restarted under the same id
 * gives its lost task back at once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayClient } from '../../../src/client/index.js';
import { isTerminal } from '../../../src/protocol/index.js';
import { startNodeProcess, type NodeProcess, type NodeProcessOptions } from '../../support/node-process.js';
import {
  killGroup,
  startTestGateway,
  submit,
  waitFor,
  waitForTask,
  type TestGateway,
} from '../../support/scheduler-harness.js';

/** Lines of a run log written by `runCommand`: one per execution, "<task id> <shell pid>". */
function runs(path: string): Array<{ id: string; pid: number }> {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [id, pid] = l.split(' ');
      return { id: id!, pid: Number(pid) };
    });
}

/** Logs its start, then holds until the test creates `gate`, so no timing depends on machine load. */
function runCommand(log: string, gate: string): string {
  return `echo "$OPENCLAW_TASK_ID $$" >> '${log}'; while [ ! -f '${gate}' ]; do sleep 0.05; done; echo finished`;
}

class Fleet {
  readonly nodes: NodeProcess[] = [];
  constructor(private readonly g: TestGateway) {}
  async start(nodeId: string, extra: Partial<NodeProcessOptions> = {}): Promise<NodeProcess> {
    const n = await startNodeProcess({
      gateway: this.g.gw.wsUrl,
      nodeId,
      capabilities: ['shell', 'echo'],
      token: this.g.token('node', nodeId),
      concurrency: 2,
      ...extra,
    });
    this.nodes.push(n);
    return n;
  }
  async close(runLog: string): Promise<void> {
    // A SIGKILLed node cannot stop its shell: the orphaned process groups are ended here.
    for (const r of runs(runLog)) killGroup(r.pid);
    await Promise.all(this.nodes.map((n) => n.stop('SIGKILL')));
    for (const n of this.nodes) n.cleanup();
  }
}

describe('kill -9 a node mid-task (tasks.lease: 2, max_attempts: 2, queue_timeout: 2)', () => {
  let g: TestGateway;
  let c: GatewayClient;
  let fleet: Fleet;
  let runLog: string;

  before(async () => {
    g = await startTestGateway({
      gateway: { local_node: { enabled: false } },
      // queue_timeout shorter than the first attempt: a re-queued task must get a fresh queue clock.
      tasks: { lease: 2, max_attempts: 2, queue_timeout: 2 },
    });
    c = await g.operator();
    fleet = new Fleet(g);
    runLog = join(g.home, 'runs.log');
  });
  after(async () => {
    await fleet?.close(runLog);
    await g?.close();
  });

  test('the task completes on another node after the lease expires, with attempt 2', async () => {
    const a = await fleet.start('node-a');
    const gate = join(g.home, 'gate-1');
    const t = await submit(c, { skill: 'shell', args: { command: runCommand(runLog, gate) } });
    const running = await waitForTask(c, t.id, (x) => x.status === 'running');
    assert.equal(running.node_id, 'node-a');
    assert.equal(running.attempt, 1);
    await waitFor('the first run to start', () => runs(runLog).length === 1);
    await fleet.start('node-b');

    const killedAt = Date.now();
    await a.stop('SIGKILL');
    await g.gw.waitForLog((l) => l.event === 'node_disconnected' && l.node_id === 'node-a', 5000);
    // Until the lease lapses the task stays with node-a: it might only have lost its connection.
    const held = await c.request('task.get', { id: t.id });
    assert.equal((held as { node_id: string }).node_id, 'node-a');

    const second = await waitForTask(c, t.id, (x) => x.attempt >= 2 || isTerminal(x.status), 15_000);
    assert.equal(second.node_id, 'node-b', JSON.stringify(second));
    assert.equal(second.attempt, 2);
    writeFileSync(gate, '');
    const done = await waitForTask(c, t.id, undefined, 15_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.node_id, 'node-b');
    assert.equal(done.attempt, 2);
    assert.equal((done.result as { stdout: string }).stdout, 'finished\n');
    const requeued = await g.gw.waitForLog((l) => l.event === 'task_requeued' && l.task_id === t.id);
    assert.match(String(requeued.reason), /lease expired/);
    const restartedAfter = Date.parse(done.started_at!) - killedAt;
    // Not at once (the node might have come back), and not much later than lease + sweep.
    assert.ok(
      restartedAfter >= 1000 && restartedAfter < 10_000,
      `second attempt started ${restartedAfter} ms after the kill`,
    );
    const logs = (await c.request('task.logs', { id: t.id })) as { logs: Array<{ message: string }> };
    assert.ok(
      logs.logs.some((l) => /re-queued after attempt 1: its lease expired/.test(l.message)),
      JSON.stringify(logs.logs),
    );
    assert.deepEqual(
      runs(runLog).map((r) => r.id),
      [t.id, t.id],
      'at-least-once: the killed node ran it, then node-b',
    );
  });

  test('a task that loses its node on every attempt fails at max_attempts, naming the lost node', async () => {
    const b = fleet.nodes.find((n) => n.id === 'node-b')!;
    const never = join(g.home, 'gate-never');
    const t = await submit(c, { skill: 'shell', args: { command: runCommand(runLog, never) } });
    assert.equal((await waitForTask(c, t.id, (x) => x.status === 'running')).node_id, 'node-b');
    const cNode = await fleet.start('node-c');
    await b.stop('SIGKILL');
    const second = await waitForTask(c, t.id, (x) => x.status === 'running' && x.attempt === 2);
    assert.equal(second.node_id, 'node-c');
    await cNode.stop('SIGKILL');
    const failed = await waitForTask(c, t.id, undefined, 10_000);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'GW_ERR_TASK_NODE_LOST');
    assert.match(failed.error!.message, /node node-c was lost .*retry limit \(2\)/);
  });
});

describe('a node that drops and comes back (tasks.lease: 10)', () => {
  let g: TestGateway;
  let c: GatewayClient;
  let fleet: Fleet;
  let runLog: string;

  before(async () => {
    // Fast gateway pings, so a stopped node's connection is declared dead within about a second.
    g = await startTestGateway({
      gateway: {
        local_node: { enabled: false },
        websocket: { ping_interval: 0.4, ping_timeout: 0.4 },
      },
      tasks: { lease: 10, queue_timeout: 0 },
    });
    c = await g.operator();
    fleet = new Fleet(g);
    runLog = join(g.home, 'runs.log');
  });
  after(async () => {
    await fleet?.close(runLog);
    await g?.close();
  });

  test('reconnecting inside the lease keeps the task on the node, and it runs once', async () => {
    // What this does: SIGSTOP freezes the node process (its shell child, in its own process group,
    // keeps running); the gateway's ping goes unanswered and it closes the connection; SIGCONT lets
    // the node notice, reconnect and declare the task it still runs, which the gateway re-attaches.
    const n = await fleet.start('node-s');
    const gate = join(g.home, 'gate-s');
    const t = await submit(c, { skill: 'shell', args: { command: runCommand(runLog, gate) } });
    await waitForTask(c, t.id, (x) => x.status === 'running');
    await waitFor('the run to start', () => runs(runLog).length === 1);

    n.child.kill('SIGSTOP');
    try {
      await g.gw.waitForLog((l) => l.event === 'node_disconnected' && l.node_id === 'node-s', 5000);
      const during = await c.request('node.list', {});
      assert.deepEqual((during as { nodes: unknown[] }).nodes, [], 'the node is gone from node.list');
    } finally {
      n.child.kill('SIGCONT');
    }
    await g.gw.waitForLog((l) => l.event === 'task_reattached' && l.task_id === t.id, 10_000);
    writeFileSync(gate, '');
    const done = await waitForTask(c, t.id, undefined, 15_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.node_id, 'node-s');
    assert.equal(done.attempt, 1, 'never re-queued');
    assert.equal((done.result as { stdout: string }).stdout, 'finished\n');
    assert.deepEqual(runs(runLog), [runs(runLog)[0]], 'the command ran exactly once');
    assert.equal(runs(runLog)[0]!.id, t.id);
  });

  test('a node restarted under the same id gets its lost task back at once, without waiting for the lease', async () => {
    // Option two of the brief: kill -9 and start again with the same --node-id. The new process does
    // not hold the task, so the gateway re-queues it on connect (the old shell keeps running orphaned,
    // which is the at-least-once cost of a SIGKILL).
    const before = runs(runLog).length;
    const gate = join(g.home, 'gate-r');
    const n = await fleet.start('node-r', { concurrency: 1, tags: ['restart'] });
    const t = await submit(c, {
      skill: 'shell',
      tags: ['restart'],
      args: { command: runCommand(runLog, gate) },
    });
    await waitForTask(c, t.id, (x) => x.status === 'running');
    await waitFor('the run to start', () => runs(runLog).length === before + 1);
    const killedAt = Date.now();
    await n.stop('SIGKILL');
    await fleet.start('node-r', { concurrency: 1, tags: ['restart'] });
    const again = await waitForTask(c, t.id, (x) => x.attempt === 2 && x.status === 'running', 15_000);
    writeFileSync(gate, '');
    const done = await waitForTask(c, t.id, undefined, 15_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.node_id, 'node-r');
    assert.equal(done.attempt, 2);
    const took = Date.parse(again.started_at!) - killedAt;
    assert.ok(took < 10_000, `re-run started ${took} ms after the kill, before the 10 s lease ran out`);
    const requeued = await g.gw.waitForLog((l) => l.event === 'task_requeued' && l.task_id === t.id);
    assert.match(String(requeued.reason), /reconnected without it/);
    assert.equal(runs(runLog).filter((r) => r.id === t.id).length, 2);
  });
});
