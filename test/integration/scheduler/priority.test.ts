/** @module Integration: under contention, queued tasks start by priority (critical..low), then by age. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayClient } from '../../../src/client/index.js';
import {
  startTestGateway,
  submit,
  waitFor,
  waitForTask,
  type TestGateway,
} from '../../support/scheduler-harness.js';

describe('priority order under contention (local node, concurrency 1)', () => {
  let g: TestGateway;
  let c: GatewayClient;

  before(async () => {
    g = await startTestGateway({
      gateway: { local_node: { capabilities: ['shell', 'echo'], concurrency: 1 } },
    });
    c = await g.operator();
  });
  after(async () => g?.close());

  test('starts queued tasks critical, high, normal, low, and oldest first within a priority', async () => {
    const dir = g.home;
    const order = join(dir, 'order.txt');
    const gate = join(dir, 'go');
    writeFileSync(order, '');
    // The blocker holds the only slot until the test opens the gate, so everything after it queues.
    const blocker = await submit(c, {
      skill: 'shell',
      args: { command: `while [ ! -f '${gate}' ]; do sleep 0.05; done; echo blocker >> '${order}'` },
    });
    await waitForTask(c, blocker.id, (t) => t.status === 'running');

    const plan = ['low', 'normal', 'high', 'critical', 'low', 'critical', 'normal', 'high'] as const;
    const names: string[] = [];
    const ids: string[] = [];
    for (const [i, priority] of plan.entries()) {
      const name = `${priority}-${i}`;
      names.push(name);
      const t = await submit(c, {
        skill: 'shell',
        priority,
        args: { command: `echo ${name} >> '${order}'` },
      });
      assert.equal(t.status, 'queued', `${name} must queue behind the blocker`);
      assert.equal(t.priority, priority);
      ids.push(t.id);
    }
    writeFileSync(gate, '');
    for (const id of ids) assert.equal((await waitForTask(c, id)).status, 'succeeded');

    const ran = readFileSync(order, 'utf8').trim().split('\n');
    assert.deepEqual(ran, [
      'blocker',
      'critical-3',
      'critical-5',
      'high-2',
      'high-7',
      'normal-1',
      'normal-6',
      'low-0',
      'low-4',
    ]);
  });

  test('a cancelled task keeps its slot until the node has stopped it, so concurrency 1 means one at a time', async () => {
    const pidFile = join(g.home, 'stubborn.pid');
    // Ignores SIGTERM, so the node needs its kill grace (SIGKILL after 2 s) to stop it.
    const stubborn = await submit(c, {
      skill: 'shell',
      args: { command: `trap '' TERM; echo $$ > '${pidFile}'; while :; do sleep 0.1; done` },
    });
    await waitForTask(c, stubborn.id, (t) => t.status === 'running');
    await waitFor('the pid file', () => readFileSync(pidFile, 'utf8').trim().length > 0);
    const next = await submit(c, {
      skill: 'shell',
      args: {
        command: `if kill -0 $(cat '${pidFile}') 2>/dev/null && ! grep -q '^State:.*Z' /proc/$(cat '${pidFile}')/status; then echo overlap; else echo alone; fi`,
      },
    });
    assert.equal(
      ((await c.request('task.cancel', { id: stubborn.id })) as { status: string }).status,
      'cancelled',
    );
    const done = await waitForTask(c, next.id, undefined, 20_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(
      (done.result as { stdout: string }).stdout,
      'alone\n',
      'the next task started only after the cancelled one was gone',
    );
  });

  test('a slot freed by a finished task goes to the most urgent task waiting, not the first submitted', async () => {
    const gate = join(g.home, 'go2');
    const blocker = await submit(c, {
      skill: 'shell',
      args: { command: `while [ ! -f '${gate}' ]; do sleep 0.05; done` },
    });
    await waitForTask(c, blocker.id, (t) => t.status === 'running');
    const low = await submit(c, { skill: 'echo', priority: 'low', args: { message: 'low' } });
    const crit = await submit(c, { skill: 'echo', priority: 'critical', args: { message: 'critical' } });
    writeFileSync(gate, '');
    const [l, k] = await Promise.all([waitForTask(c, low.id), waitForTask(c, crit.id)]);
    assert.equal(l.status, 'succeeded');
    assert.equal(k.status, 'succeeded');
    assert.ok(
      Date.parse(k.started_at!) <= Date.parse(l.started_at!),
      `critical started ${k.started_at}, low started ${l.started_at}`,
    );
    // The echo skill hands back its args, so the result is the proof the task itself ran.
    assert.deepEqual(k.result, { message: 'critical' });
    await waitFor('idle node', async () => {
      const n = (await c.request('node.list', {})) as { nodes: Array<{ running: number }> };
      return n.nodes[0]?.running === 0;
    });
  });
});
