import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryLogger } from '../observability/index.js';
import { GatewayError } from '../protocol/index.js';
import { assigned, fakeNode, sweep, until, useScheduler } from './test-support/scheduler-fixture.js';

describe('Scheduler', () => {
  const f = useScheduler();

  test('dispatches by priority, then age, to a node with a free slot', async () => {
    const a = await f.s.submit({ skill: 'echo', priority: 'low' }, 'api');
    f.clock += 1;
    const b = await f.s.submit({ skill: 'echo', priority: 'critical' }, 'api');
    f.clock += 1;
    const c = await f.s.submit({ skill: 'echo', priority: 'normal' }, 'api');
    const node = fakeNode('n1', ['echo'], 1);
    await f.s.nodeConnected(node, []);
    await until(() => assigned(node).length === 1);
    assert.equal(assigned(node)[0]!.id, b.task.id, 'critical first');
    await f.s.complete('n1', b.task.id, 'ok');
    await until(() => assigned(node).length === 2);
    assert.equal(assigned(node)[1]!.id, c.task.id, 'then normal');
    await f.s.complete('n1', c.task.id, 'ok');
    await until(() => assigned(node).length === 3);
    assert.equal(assigned(node)[2]!.id, a.task.id, 'then low');
  });

  test('routes by capability and tag; a node without them never gets the task', async () => {
    const shell = fakeNode('shell-node', ['shell'], 2);
    const browser = fakeNode('browser-node', ['browser'], 2, ['gpu']);
    await f.s.nodeConnected(shell, []);
    await f.s.nodeConnected(browser, []);
    const t1 = await f.s.submit({ skill: 'browser', args: {}, tags: ['gpu'] }, 'api');
    const t2 = await f.s.submit({ skill: 'shell', args: {} }, 'api');
    await until(() => assigned(shell).length + assigned(browser).length === 2);
    assert.deepEqual(
      assigned(browser).map((t) => t.id),
      [t1.task.id],
    );
    assert.deepEqual(
      assigned(shell).map((t) => t.id),
      [t2.task.id],
    );
  });

  test('runs a dependency chain in order and fails dependents of a failed task, naming it', async () => {
    const node = fakeNode('n1', ['echo'], 4);
    await f.s.nodeConnected(node, []);
    const a = await f.s.submit({ skill: 'echo' }, 'api');
    const b = await f.s.submit({ skill: 'echo', depends_on: [a.task.id] }, 'api');
    const c = await f.s.submit({ skill: 'echo', depends_on: [b.task.id] }, 'api');
    assert.equal(b.task.status, 'waiting');
    await until(() => assigned(node).length === 1);
    assert.equal(assigned(node)[0]!.id, a.task.id);
    await f.s.complete('n1', a.task.id, 1);
    await until(() => assigned(node).length === 2);
    assert.equal(assigned(node)[1]!.id, b.task.id);
    await f.s.fail('n1', b.task.id, { code: 'GW_ERR_SKILL_FAILED', message: 'boom', retryable: false });
    await until(async () => (await f.s.get(c.task.id))!.status === 'failed');
    const cc = (await f.s.get(c.task.id))!;
    assert.equal(cc.error?.code, 'GW_ERR_TASK_DEPENDENCY_FAILED');
    assert.match(cc.error!.message, new RegExp(b.task.id));
    assert.equal(assigned(node).length, 2, 'the dependent never ran');
  });

  test('rejects unknown dependencies at submit and f.stores nothing', async () => {
    const before = (await f.s.list({})).tasks.length;
    await assert.rejects(
      f.s.submit({ skill: 'echo', depends_on: ['task-nope'] }, 'api'),
      (e: GatewayError) => e.code === 'GW_ERR_TASK_DEPENDENCY_UNKNOWN',
    );
    assert.equal((await f.s.list({})).tasks.length, before);
  });

  test('a task submitted after its dependency failed fails at once', async () => {
    const node = fakeNode('n1', ['echo'], 1);
    await f.s.nodeConnected(node, []);
    const a = await f.s.submit({ skill: 'echo' }, 'api');
    await until(() => assigned(node).length === 1);
    await f.s.fail('n1', a.task.id, { code: 'GW_ERR_SKILL_FAILED', message: 'x', retryable: false });
    const b = await f.s.submit({ skill: 'echo', depends_on: [a.task.id] }, 'api');
    assert.equal(b.task.status, 'failed');
    assert.equal(b.task.error?.code, 'GW_ERR_TASK_DEPENDENCY_FAILED');
  });

  test('idempotency_key returns the existing task', async () => {
    const a = await f.s.submit({ skill: 'echo', idempotency_key: 'k1' }, 'api');
    const b = await f.s.submit({ skill: 'echo', idempotency_key: 'k1' }, 'api');
    assert.equal(b.task.id, a.task.id);
    assert.equal(b.created, false);
  });

  test('re-queues a leased task when its node vanishes, then fails it at the retry limit', async () => {
    const n1 = fakeNode('n1', ['echo'], 1);
    await f.s.nodeConnected(n1, []);
    const t = await f.s.submit({ skill: 'echo' }, 'api');
    await until(() => assigned(n1).length === 1);
    f.s.nodeDisconnected(n1);
    f.clock += 2500; // past the 2 s lease
    await sweep(f.s);
    let now = (await f.s.get(t.task.id))!;
    assert.equal(now.status, 'queued');
    assert.equal(now.attempt, 1);
    const n2 = fakeNode('n2', ['echo'], 1);
    await f.s.nodeConnected(n2, []);
    await until(() => assigned(n2).length === 1);
    assert.equal(assigned(n2)[0]!.attempt, 2);
    f.s.nodeDisconnected(n2);
    f.clock += 2500;
    await sweep(f.s);
    now = (await f.s.get(t.task.id))!;
    assert.equal(now.status, 'failed');
    assert.equal(now.error?.code, 'GW_ERR_TASK_NODE_LOST');
  });

  test('a node that reconnects within the lease keeps its task; one that lost it gets it re-queued', async () => {
    const n1 = fakeNode('n1', ['echo'], 2);
    await f.s.nodeConnected(n1, []);
    const kept = await f.s.submit({ skill: 'echo' }, 'api');
    const lost = await f.s.submit({ skill: 'echo' }, 'api');
    await until(() => assigned(n1).length === 2);
    f.s.nodeDisconnected(n1);
    const again = fakeNode('n1', ['echo'], 2);
    await f.s.nodeConnected(again, [kept.task.id]);
    const k = (await f.s.get(kept.task.id))!;
    assert.equal(k.status, 'running');
    assert.equal(k.attempt, 1, 'not run twice');
    const l = (await f.s.get(lost.task.id))!;
    // The lost one is re-queued and, since the node has a free slot, handed out again as attempt 2.
    await until(async () => (await f.s.get(lost.task.id))!.attempt === 2);
    assert.equal(l.node_id === null || l.node_id === 'n1', true);
    assert.ok(await f.s.complete('n1', kept.task.id, 'done').then((r) => r.accepted));
  });

  test('ignores a late result from a node that no longer holds the task', async () => {
    const n1 = fakeNode('n1', ['echo'], 1);
    await f.s.nodeConnected(n1, []);
    const t = await f.s.submit({ skill: 'echo' }, 'api');
    await until(() => assigned(n1).length === 1);
    const res = await f.s.complete('other-node', t.task.id, 'x');
    assert.equal(res.accepted, false);
    assert.equal((await f.s.get(t.task.id))!.status, 'running');
  });

  test('task.started checks the assignment; only a start long after the claim renews the lease', async () => {
    const n1 = fakeNode('n1', ['echo'], 2);
    await f.s.nodeConnected(n1, []);
    const prompt = await f.s.submit({ skill: 'echo' }, 'api');
    const late = await f.s.submit({ skill: 'echo' }, 'api');
    await until(() => assigned(n1).length === 2);
    const claimedAt = f.clock;
    const leaseEnd = claimedAt + 2000; // lease: 2 s
    f.clock = claimedAt + 100;
    await f.s.started('n1', prompt.task.id);
    f.clock = claimedAt + 1000; // past a third of the lease
    await f.s.started('n1', late.task.id);
    // The bookkeeping writes are not awaited by started(); the next write lands after them.
    await f.stores.tasks.appendLog(late.task.id, {
      ts: new Date().toISOString(),
      level: 'info',
      message: 'x',
    });
    const expiring = (await f.stores.tasks.expiredLeases(leaseEnd)).map((t) => t.id);
    assert.deepEqual(expiring, [prompt.task.id], 'the late start moved its lease on; the prompt one did not');
    assert.deepEqual(
      (await f.stores.tasks.expiredLeases(f.clock + 2000)).map((t) => t.id).sort(),
      [prompt.task.id, late.task.id].sort(),
    );
    assert.match((await f.s.logs(prompt.task.id)).map((l) => l.message).join('\n'), /started on n1/);

    await assert.rejects(f.s.started('n2', prompt.task.id), { code: 'GW_ERR_TASK_NOT_ASSIGNED' });
    await assert.rejects(f.s.started('n1', 'task-none'), { code: 'GW_ERR_TASK_NOT_FOUND' });
    // Once the gateway ended it (cancel), the node's slot is still held, but the task is not its to start.
    await f.s.cancel(late.task.id);
    await assert.rejects(f.s.started('n1', late.task.id), { code: 'GW_ERR_TASK_NOT_ASSIGNED' });
  });

  test('task.started during a reconnect, before the task is re-attached, is accepted (the row decides)', async () => {
    const n1 = fakeNode('n1', ['echo'], 1);
    await f.s.nodeConnected(n1, []);
    const t = await f.s.submit({ skill: 'echo' }, 'api');
    await until(() => assigned(n1).length === 1);
    f.s.nodeDisconnected(n1);
    const again = fakeNode('n1', ['echo'], 1);
    const attaching = f.s.nodeConnected(again, [t.task.id]); // re-attaches after a store read
    await f.s.started('n1', t.task.id);
    await attaching;
    assert.ok((await f.s.complete('n1', t.task.id, 'ok')).accepted);
    assert.equal((await f.s.get(t.task.id))!.status, 'succeeded');
  });

  test('cancelling a running task tells its node and ends it cancelled', async () => {
    const n1 = fakeNode('n1', ['echo'], 1);
    await f.s.nodeConnected(n1, []);
    const t = await f.s.submit({ skill: 'echo' }, 'api');
    await until(() => assigned(n1).length === 1);
    const c = await f.s.cancel(t.task.id, 'operator said so');
    assert.equal(c.status, 'cancelled');
    assert.deepEqual(n1.sent.at(-1), {
      event: 'task.cancel',
      payload: { id: t.task.id, reason: 'operator said so' },
    });
    await assert.rejects(f.s.cancel(t.task.id), (e: GatewayError) => e.code === 'GW_ERR_TASK_NOT_ACTIVE');
  });

  test('times out a running task and stops it on the node', async () => {
    const n1 = fakeNode('n1', ['echo'], 1);
    await f.s.nodeConnected(n1, []);
    const t = await f.s.submit({ skill: 'echo', timeout: 5 }, 'api');
    await until(() => assigned(n1).length === 1);
    f.clock += 4000;
    await f.s.renew('n1', t.task.id);
    await sweep(f.s);
    assert.equal((await f.s.get(t.task.id))!.status, 'running');
    f.clock += 1500;
    await f.s.renew('n1', t.task.id);
    await sweep(f.s);
    const done = (await f.s.get(t.task.id))!;
    assert.equal(done.status, 'timed_out');
    assert.equal(done.error?.details?.which, 'execution');
    assert.equal(n1.sent.at(-1)?.event, 'task.cancel');
  });

  test('fails a task that no capable node starts within queue_timeout, with the reason', async () => {
    await f.s.stop();
    f.s = f.make({ queueTimeout: 10 });
    await f.s.start();
    const t = await f.s.submit({ skill: 'browser', args: {} }, 'api');
    f.clock += 11_000;
    await sweep(f.s);
    const done = (await f.s.get(t.task.id))!;
    assert.equal(done.status, 'failed');
    assert.equal(done.error?.code, 'GW_ERR_TASK_TIMEOUT');
    assert.match(done.error!.message, /no connected node offers \[browser\]/);
  });

  test('warns once about a long-running task', async () => {
    await f.s.stop();
    const { logger, records } = createMemoryLogger();
    let hooks = 0;
    f.s = f.make({ longTaskWarning: 3, logger, hooks: { onLongRunning: () => hooks++ } });
    await f.s.start();
    const n1 = fakeNode('n1', ['echo'], 1);
    await f.s.nodeConnected(n1, []);
    const t = await f.s.submit({ skill: 'echo' }, 'api');
    await until(() => assigned(n1).length === 1);
    f.clock += 3500;
    await f.s.renew('n1', t.task.id);
    await sweep(f.s);
    await sweep(f.s);
    assert.equal(hooks, 1);
    assert.equal(records.filter((r) => r.event === 'task_long_running').length, 1);
  });

  test('rebuilds its queue from the store after a restart and keeps dispatching', async () => {
    const t = await f.s.submit({ skill: 'echo' }, 'api');
    await f.s.stop();
    f.s = f.make();
    await f.s.start();
    const n1 = fakeNode('n1', ['echo'], 1);
    await f.s.nodeConnected(n1, []);
    await until(() => assigned(n1).length === 1);
    assert.equal(assigned(n1)[0]!.id, t.task.id);
    assert.equal(f.s.queuedByPriority().normal, 0);
  });

  test('after a restart, dependents of a task that ended just before the crash are settled', async () => {
    const a = await f.s.submit({ skill: 'echo' }, 'api');
    const bad = await f.s.submit({ skill: 'echo' }, 'api');
    const b = await f.s.submit({ skill: 'echo', depends_on: [a.task.id] }, 'api');
    const c = await f.s.submit({ skill: 'echo', depends_on: [bad.task.id] }, 'api');
    await f.s.stop();
    // The store moved on, the scheduler died before telling the dependents.
    const at = new Date(f.clock).toISOString();
    await f.stores.tasks.update(
      a.task.id,
      { status: 'succeeded', finished_at: at },
      { expectStatus: ['queued'] },
    );
    await f.stores.tasks.update(
      bad.task.id,
      { status: 'failed', finished_at: at },
      { expectStatus: ['queued'] },
    );
    f.s = f.make();
    await f.s.start();
    assert.equal((await f.s.get(b.task.id))!.status, 'queued');
    const failed = (await f.s.get(c.task.id))!;
    assert.equal(failed.status, 'failed');
    assert.match(failed.error!.message, new RegExp(bad.task.id));
  });

  test('queue_timeout counts from when a re-queued task was queued again, not from its creation', async () => {
    await f.s.stop();
    f.s = f.make({ queueTimeout: 10 });
    await f.s.start();
    const n1 = fakeNode('n1', ['echo'], 1);
    await f.s.nodeConnected(n1, []);
    const t = await f.s.submit({ skill: 'echo' }, 'api');
    await until(() => assigned(n1).length === 1);
    f.clock += 60_000; // ran a minute, then its node vanished and the lease lapsed
    f.s.nodeDisconnected(n1);
    await sweep(f.s);
    assert.equal((await f.s.get(t.task.id))!.status, 'queued');
    f.clock += 5_000;
    await sweep(f.s);
    assert.equal((await f.s.get(t.task.id))!.status, 'queued', 'five seconds in the queue is within 10 s');
    f.clock += 6_000;
    await sweep(f.s);
    assert.equal((await f.s.get(t.task.id))!.status, 'failed');
  });

  test('a cancelled running task keeps its slot until the node reports it stopped', async () => {
    const n1 = fakeNode('n1', ['echo'], 1);
    await f.s.nodeConnected(n1, []);
    const a = await f.s.submit({ skill: 'echo' }, 'api');
    await until(() => assigned(n1).length === 1);
    const b = await f.s.submit({ skill: 'echo' }, 'api');
    await f.s.cancel(a.task.id);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(assigned(n1).length, 1, 'no second task while the first is being stopped');
    assert.deepEqual(
      await f.s.fail('n1', a.task.id, {
        code: 'GW_ERR_TASK_CANCELLED',
        message: 'stopped',
        retryable: false,
      }),
      { accepted: false },
    );
    await until(() => assigned(n1).length === 2);
    assert.equal(assigned(n1)[1]!.id, b.task.id);
  });

  test('waitForEnd resolves when the task ends', async () => {
    const n1 = fakeNode('n1', ['echo'], 1);
    await f.s.nodeConnected(n1, []);
    const t = await f.s.submit({ skill: 'echo' }, 'api');
    const waiting = f.s.waitForEnd(t.task.id);
    await until(() => assigned(n1).length === 1);
    await f.s.complete('n1', t.task.id, { ok: 1 });
    const done = await waiting;
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.result, { ok: 1 });
  });

  test('a replaced node connection is closed with 4409', async () => {
    const a = fakeNode('same', ['echo'], 1);
    const b = fakeNode('same', ['echo'], 1);
    await f.s.nodeConnected(a, []);
    await f.s.nodeConnected(b, []);
    assert.equal(a.closed, 4409);
    assert.equal(f.s.nodes.size, 1);
  });

  test('a drain waits for tasks on connected nodes, not for those of a node that left', async () => {
    const stays = fakeNode('stays', ['echo'], 1);
    const leaves = fakeNode('leaves', ['shell'], 1);
    await f.s.nodeConnected(stays, []);
    await f.s.nodeConnected(leaves, []);
    const a = await f.s.submit({ skill: 'echo' }, 'api');
    const b = await f.s.submit({ skill: 'shell', args: {} }, 'api');
    await until(() => assigned(stays).length === 1 && assigned(leaves).length === 1);
    f.s.nodeDisconnected(leaves);
    const t0 = Date.now();
    const drained = f.s.drain(Date.now() + 10_000);
    await new Promise((r) => setTimeout(r, 300));
    let done = false;
    void drained.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(done, false, 'still waiting for the task on the connected node');
    await f.s.complete('stays', a.task.id, 'ok');
    await drained;
    assert.ok(Date.now() - t0 < 5_000, 'the drain did not wait for the deadline');
    // The departed node's task is left running for re-attach or lease expiry, not lost.
    assert.equal((await f.s.mustGet(b.task.id)).status, 'running');
  });

  test('claims that commit after a drain began are handed back, not sent, and cost no attempt', async () => {
    const t = await f.s.submit({ skill: 'echo' }, 'api'); // no node yet: its dispatch pass finds none
    await new Promise((r) => setImmediate(r));
    const node = fakeNode('n1', ['echo'], 4);
    f.s.nodes.add(node); // registered without the dispatch kick nodeConnected would give
    // One pass issues its claims, which commit at the next turn; the drain begins before they do.
    const pass = (f.s as unknown as { dispatch(): Promise<void> }).dispatch();
    const drained = f.s.drain(Date.now());
    await pass;
    await drained;
    assert.equal(assigned(node).length, 0, 'no task.assigned after the drain began');
    const back = await f.s.mustGet(t.task.id);
    assert.equal(back.status, 'queued');
    assert.equal(back.node_id, null);
    assert.equal(back.attempt, t.task.attempt);
    assert.equal(back.started_at, null);
  });
});
