/** @module Integration: `depends_on` chains, failing and cancelled dependencies, and bad dependency ids. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayClient } from '../../../src/client/index.js';
import {
  listAll,
  rpcError,
  startTestGateway,
  submit,
  waitForTask,
  type TestGateway,
} from '../../support/scheduler-harness.js';

describe('task dependencies (local node, concurrency 4)', () => {
  let g: TestGateway;
  let c: GatewayClient;

  before(async () => {
    // Four slots: without dependencies B and C would start at once, so their order proves the wait.
    g = await startTestGateway({
      gateway: { local_node: { capabilities: ['shell', 'echo'], concurrency: 4 } },
      // Short, so a dependent that waits longer than this shows whether waiting counts as queueing.
      tasks: { queue_timeout: 2 },
    });
    c = await g.operator();
  });
  after(async () => g?.close());

  test('A -> B -> C run in order, each after the previous one succeeded', async () => {
    const log = join(g.home, 'chain.txt');
    writeFileSync(log, '');
    const step = (name: string, sleep: number) => ({
      skill: 'shell',
      args: { command: `echo start-${name} >> '${log}'; sleep ${sleep}; echo end-${name} >> '${log}'` },
    });
    const a = await submit(c, step('A', 0.6));
    const b = await submit(c, { ...step('B', 0.3), depends_on: [a.id], priority: 'critical' });
    const cc = await submit(c, { ...step('C', 0.1), depends_on: [b.id], priority: 'critical' });
    assert.equal(b.status, 'waiting');
    assert.equal(cc.status, 'waiting');
    assert.deepEqual(cc.depends_on, [b.id]);

    const [ta, tb, tc] = [
      await waitForTask(c, a.id),
      await waitForTask(c, b.id),
      await waitForTask(c, cc.id),
    ];
    assert.deepEqual(
      [ta.status, tb.status, tc.status],
      ['succeeded', 'succeeded', 'succeeded'],
      JSON.stringify([ta.error, tb.error, tc.error]),
    );
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [
      'start-A',
      'end-A',
      'start-B',
      'end-B',
      'start-C',
      'end-C',
    ]);
    assert.ok(Date.parse(tb.started_at!) >= Date.parse(ta.finished_at!));
    assert.ok(Date.parse(tc.started_at!) >= Date.parse(tb.finished_at!));
  });

  test('a dependent that waited longer than queue_timeout still runs: the wait is not queue time', async () => {
    const gateA = join(g.home, 'slow-gate-a');
    const gateRest = join(g.home, 'slow-gate-rest');
    const hold = (gate: string) => ({
      skill: 'shell',
      args: { command: `while [ ! -f '${gate}' ]; do sleep 0.05; done` },
    });
    const a = await submit(c, hold(gateA));
    const b = await submit(c, { skill: 'echo', args: { message: 'b' }, depends_on: [a.id] });
    // Three more fill the node's four slots.
    const fillers = [
      await submit(c, hold(gateRest)),
      await submit(c, hold(gateRest)),
      await submit(c, hold(gateRest)),
    ];
    for (const f of fillers) await waitForTask(c, f.id, (t) => t.status === 'running');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal((await waitForTask(c, b.id, () => true)).status, 'waiting');
    // A critical task takes A's slot, so B has to sit in the queue for a while once A is done.
    const taker = await submit(c, { ...hold(gateRest), priority: 'critical' });
    writeFileSync(gateA, '');
    await waitForTask(c, taker.id, (t) => t.status === 'running');
    assert.equal((await waitForTask(c, b.id, () => true)).status, 'queued');
    await new Promise((r) => setTimeout(r, 1000));
    writeFileSync(gateRest, '');
    const tb = await waitForTask(c, b.id);
    assert.equal(tb.status, 'succeeded', JSON.stringify(tb.error));
  });

  test('a failing dependency fails its dependents, naming it, and the failure propagates down the chain', async () => {
    const gate = join(g.home, 'fail-gate');
    const a = await submit(c, {
      skill: 'shell',
      args: { command: `while [ ! -f '${gate}' ]; do sleep 0.05; done; exit 3` },
    });
    const b = await submit(c, { skill: 'echo', args: { message: 'b' }, depends_on: [a.id] });
    const cc = await submit(c, { skill: 'echo', args: { message: 'c' }, depends_on: [b.id] });
    const ok = await submit(c, { skill: 'echo', args: { message: 'ok' } });
    const both = await submit(c, { skill: 'echo', args: { message: 'both' }, depends_on: [ok.id, a.id] });
    assert.equal(b.status, 'waiting');
    writeFileSync(gate, '');

    const ta = await waitForTask(c, a.id);
    assert.equal(ta.status, 'failed', `a shell command exiting 3 fails its task: ${JSON.stringify(ta)}`);
    const tb = await waitForTask(c, b.id);
    assert.equal(tb.status, 'failed');
    assert.equal(tb.error?.code, 'GW_ERR_TASK_DEPENDENCY_FAILED');
    assert.match(tb.error!.message, new RegExp(`dependency ${a.id} ended failed`));
    assert.equal(tb.started_at, null, 'a dependent of a failed task never runs');
    const tc = await waitForTask(c, cc.id);
    assert.equal(tc.error?.code, 'GW_ERR_TASK_DEPENDENCY_FAILED');
    assert.match(tc.error!.message, new RegExp(b.id));
    const tboth = await waitForTask(c, both.id);
    assert.equal(tboth.status, 'failed');
    assert.match(tboth.error!.message, new RegExp(a.id));

    // Submitted after its dependency already failed: it fails at once, never queued.
    const late = await submit(c, { skill: 'echo', args: {}, depends_on: [a.id] });
    assert.equal(late.status, 'failed');
    assert.equal(late.error?.code, 'GW_ERR_TASK_DEPENDENCY_FAILED');
  });

  test('cancelling a dependency fails the waiting dependent and says it was cancelled', async () => {
    const a = await submit(c, { skill: 'echo', args: { delay_ms: 30_000 } });
    const b = await submit(c, { skill: 'echo', args: {}, depends_on: [a.id] });
    await waitForTask(c, a.id, (t) => t.status === 'running');
    await c.request('task.cancel', { id: a.id });
    const tb = await waitForTask(c, b.id);
    assert.equal(tb.status, 'failed');
    assert.match(tb.error!.message, new RegExp(`dependency ${a.id} ended cancelled`));
  });

  test('unknown dependency ids are rejected at submit and nothing is stored', async () => {
    const before = (await listAll(c)).length;
    const known = await submit(c, { skill: 'echo', args: {} });
    const e = await rpcError(c, 'task.submit', {
      skill: 'echo',
      args: {},
      depends_on: [known.id, 'task-does-not-exist'],
    });
    assert.equal(e.code, 'GW_ERR_TASK_DEPENDENCY_UNKNOWN');
    assert.match(e.message, /task-does-not-exist/);
    // Task ids are minted by the gateway, so a task can only name tasks that already exist: a new
    // task cannot depend on itself or on anything submitted after it, and no cycle can form.
    const selfish = await rpcError(c, 'task.submit', {
      skill: 'echo',
      args: {},
      idempotency_key: 'self-dep',
      depends_on: ['self-dep'],
    });
    assert.equal(selfish.code, 'GW_ERR_TASK_DEPENDENCY_UNKNOWN');
    assert.equal((await listAll(c)).length, before + 1);
  });

  test('a dependency listed twice counts once', async () => {
    const a = await submit(c, { skill: 'echo', args: { message: 'a' } });
    const b = await submit(c, { skill: 'echo', args: {}, depends_on: [a.id, a.id] });
    assert.deepEqual(b.depends_on, [a.id]);
    assert.equal((await waitForTask(c, b.id)).status, 'succeeded');
  });
});
