import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStores, openSqliteDatabase, type Stores } from '../store/index.js';
import { createMemoryLogger } from '../observability/index.js';
import { GatewayError, type Task } from '../protocol/index.js';
import { Scheduler } from './scheduler.js';
import type { NodeHandle } from './node-pool.js';

interface FakeNode extends NodeHandle {
  sent: Array<{ event: string; payload: any }>;
  closed: number | null;
}

function fakeNode(id: string, capabilities: string[], concurrency = 1, tags: string[] = []): FakeNode {
  const n: FakeNode = {
    id,
    capabilities,
    tags,
    concurrency,
    connectedAt: new Date(),
    local: false,
    sent: [],
    closed: null,
    send: (event, payload) => n.sent.push({ event, payload }),
    close: (code) => {
      n.closed = code;
    },
  };
  return n;
}

const assigned = (n: FakeNode) =>
  n.sent.filter((s) => s.event === 'task.assigned').map((s) => s.payload.task as Task);
const until = async (pred: () => boolean | Promise<boolean>, ms = 3000) => {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('Scheduler', () => {
  let dir: string;
  let stores: Stores;
  let clock: number;
  let s: Scheduler;
  const make = (over: Partial<ConstructorParameters<typeof Scheduler>[0]> = {}) =>
    new Scheduler({
      tasks: stores.tasks,
      logger: createMemoryLogger().logger,
      defaultTimeout: 0,
      queueTimeout: 0,
      longTaskWarning: 0,
      lease: 2,
      maxAttempts: 2,
      now: () => clock,
      sweepIntervalMs: 3_600_000, // tests call sweep through the clock instead
      ...over,
    });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sched-test-'));
    stores = createSqliteStores(openSqliteDatabase({ dataDir: dir, synchronous: 'normal' }));
    clock = Date.now();
    s = make();
    await s.start();
  });
  afterEach(async () => {
    await s.stop();
    await stores.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const sweep = (sch: Scheduler) => (sch as unknown as { sweep(): Promise<void> }).sweep();

  test('dispatches by priority, then age, to a node with a free slot', async () => {
    const a = await s.submit({ skill: 'echo', priority: 'low' }, 'api');
    clock += 1;
    const b = await s.submit({ skill: 'echo', priority: 'critical' }, 'api');
    clock += 1;
    const c = await s.submit({ skill: 'echo', priority: 'normal' }, 'api');
    const node = fakeNode('n1', ['echo'], 1);
    await s.nodeConnected(node, []);
    await until(() => assigned(node).length === 1);
    assert.equal(assigned(node)[0]!.id, b.task.id, 'critical first');
    await s.complete('n1', b.task.id, 'ok');
    await until(() => assigned(node).length === 2);
    assert.equal(assigned(node)[1]!.id, c.task.id, 'then normal');
    await s.complete('n1', c.task.id, 'ok');
    await until(() => assigned(node).length === 3);
    assert.equal(assigned(node)[2]!.id, a.task.id, 'then low');
  });

  test('routes by capability and tag; a node without them never gets the task', async () => {
    const shell = fakeNode('shell-node', ['shell'], 2);
    const browser = fakeNode('browser-node', ['browser'], 2, ['gpu']);
    await s.nodeConnected(shell, []);
    await s.nodeConnected(browser, []);
    const t1 = await s.submit({ skill: 'browser', args: {}, tags: ['gpu'] }, 'api');
    const t2 = await s.submit({ skill: 'shell', args: {} }, 'api');
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
    await s.nodeConnected(node, []);
    const a = await s.submit({ skill: 'echo' }, 'api');
    const b = await s.submit({ skill: 'echo', depends_on: [a.task.id] }, 'api');
    const c = await s.submit({ skill: 'echo', depends_on: [b.task.id] }, 'api');
    assert.equal(b.task.status, 'waiting');
    await until(() => assigned(node).length === 1);
    assert.equal(assigned(node)[0]!.id, a.task.id);
    await s.complete('n1', a.task.id, 1);
    await until(() => assigned(node).length === 2);
    assert.equal(assigned(node)[1]!.id, b.task.id);
    await s.fail('n1', b.task.id, { code: 'GW_ERR_SKILL_FAILED', message: 'boom', retryable: false });
    await until(async () => (await s.get(c.task.id))!.status === 'failed');
    const cc = (await s.get(c.task.id))!;
    assert.equal(cc.error?.code, 'GW_ERR_TASK_DEPENDENCY_FAILED');
    assert.match(cc.error!.message, new RegExp(b.task.id));
    assert.equal(assigned(node).length, 2, 'the dependent never ran');
  });

  test('rejects unknown dependencies at submit and stores nothing', async () => {
    const before = (await s.list({})).tasks.length;
    await assert.rejects(
      s.submit({ skill: 'echo', depends_on: ['task-nope'] }, 'api'),
      (e: GatewayError) => e.code === 'GW_ERR_TASK_DEPENDENCY_UNKNOWN',
    );
    assert.equal((await s.list({})).tasks.length, before);
  });

  test('a task submitted after its dependency failed fails at once', async () => {
    const node = fakeNode('n1', ['echo'], 1);
    await s.nodeConnected(node, []);
    const a = await s.submit({ skill: 'echo' }, 'api');
    await until(() => assigned(node).length === 1);
    await s.fail('n1', a.task.id, { code: 'GW_ERR_SKILL_FAILED', message: 'x', retryable: false });
    const b = await s.submit({ skill: 'echo', depends_on: [a.task.id] }, 'api');
    assert.equal(b.task.status, 'failed');
    assert.equal(b.task.error?.code, 'GW_ERR_TASK_DEPENDENCY_FAILED');
  });

  test('idempotency_key returns the existing task', async () => {
    const a = await s.submit({ skill: 'echo', idempotency_key: 'k1' }, 'api');
    const b = await s.submit({ skill: 'echo', idempotency_key: 'k1' }, 'api');
    assert.equal(b.task.id, a.task.id);
    assert.equal(b.created, false);
  });

  test('re-queues a leased task when its node vanishes, then fails it at the retry limit', async () => {
    const n1 = fakeNode('n1', ['echo'], 1);
    await s.nodeConnected(n1, []);
    const t = await s.submit({ skill: 'echo' }, 'api');
    await until(() => assigned(n1).length === 1);
    s.nodeDisconnected(n1);
    clock += 2500; // past the 2 s lease
    await sweep(s);
    let now = (await s.get(t.task.id))!;
    assert.equal(now.status, 'queued');
    assert.equal(now.attempt, 1);
    const n2 = fakeNode('n2', ['echo'], 1);
    await s.nodeConnected(n2, []);
    await until(() => assigned(n2).length === 1);
    assert.equal(assigned(n2)[0]!.attempt, 2);
    s.nodeDisconnected(n2);
    clock += 2500;
    await sweep(s);
    now = (await s.get(t.task.id))!;
    assert.equal(now.status, 'failed');
    assert.equal(now.error?.code, 'GW_ERR_TASK_NODE_LOST');
  });

  test('a node that reconnects within the lease keeps its task; one that lost it gets it re-queued', async () => {
    const n1 = fakeNode('n1', ['echo'], 2);
    await s.nodeConnected(n1, []);
    const kept = await s.submit({ skill: 'echo' }, 'api');
    const lost = await s.submit({ skill: 'echo' }, 'api');
    await until(() => assigned(n1).length === 2);
    s.nodeDisconnected(n1);
    const again = fakeNode('n1', ['echo'], 2);
    await s.nodeConnected(again, [kept.task.id]);
    const k = (await s.get(kept.task.id))!;
    assert.equal(k.status, 'running');
    assert.equal(k.attempt, 1, 'not run twice');
    const l = (await s.get(lost.task.id))!;
    // The lost one is re-queued and, since the node has a free slot, handed out again as attempt 2.
    await until(async () => (await s.get(lost.task.id))!.attempt === 2);
    assert.equal(l.node_id === null || l.node_id === 'n1', true);
    assert.ok(await s.complete('n1', kept.task.id, 'done').then((r) => r.accepted));
  });

  test('ignores a late result from a node that no longer holds the task', async () => {
    const n1 = fakeNode('n1', ['echo'], 1);
    await s.nodeConnected(n1, []);
    const t = await s.submit({ skill: 'echo' }, 'api');
    await until(() => assigned(n1).length === 1);
    const res = await s.complete('other-node', t.task.id, 'x');
    assert.equal(res.accepted, false);
    assert.equal((await s.get(t.task.id))!.status, 'running');
  });

  test('task.started checks the assignment; only a start long after the claim renews the lease', async () => {
    const n1 = fakeNode('n1', ['echo'], 2);
    await s.nodeConnected(n1, []);
    const prompt = await s.submit({ skill: 'echo' }, 'api');
    const late = await s.submit({ skill: 'echo' }, 'api');
    await until(() => assigned(n1).length === 2);
    const claimedAt = clock;
    const leaseEnd = claimedAt + 2000; // lease: 2 s
    clock = claimedAt + 100;
    await s.started('n1', prompt.task.id);
    clock = claimedAt + 1000; // past a third of the lease
    await s.started('n1', late.task.id);
    // The bookkeeping writes are not awaited by started(); the next write lands after them.
    await stores.tasks.appendLog(late.task.id, { ts: new Date().toISOString(), level: 'info', message: 'x' });
    const expiring = (await stores.tasks.expiredLeases(leaseEnd)).map((t) => t.id);
    assert.deepEqual(expiring, [prompt.task.id], 'the late start moved its lease on; the prompt one did not');
    assert.deepEqual(
      (await stores.tasks.expiredLeases(clock + 2000)).map((t) => t.id).sort(),
      [prompt.task.id, late.task.id].sort(),
    );
    assert.match((await s.logs(prompt.task.id)).map((l) => l.message).join('\n'), /started on n1/);

    await assert.rejects(s.started('n2', prompt.task.id), { code: 'GW_ERR_TASK_NOT_ASSIGNED' });
    await assert.rejects(s.started('n1', 'task-none'), { code: 'GW_ERR_TASK_NOT_FOUND' });
    // Once the gateway ended it (cancel), the node's slot is still held, but the task is not its to start.
    await s.cancel(late.task.id);
    await assert.rejects(s.started('n1', late.task.id), { code: 'GW_ERR_TASK_NOT_ASSIGNED' });
  });

  test('task.started during a reconnect, before the task is re-attached, is accepted (the row decides)', async () => {
    const n1 = fakeNode('n1', ['echo'], 1);
    await s.nodeConnected(n1, []);
    const t = await s.submit({ skill: 'echo' }, 'api');
    await until(() => assigned(n1).length === 1);
    s.nodeDisconnected(n1);
    const again = fakeNode('n1', ['echo'], 1);
    const attaching = s.nodeConnected(again, [t.task.id]); // re-attaches after a store read
    await s.started('n1', t.task.id);
    await attaching;
    assert.ok((await s.complete('n1', t.task.id, 'ok')).accepted);
    assert.equal((await s.get(t.task.id))!.status, 'succeeded');
  });

  test('cancelling a running task tells its node and ends it cancelled', async () => {
    const n1 = fakeNode('n1', ['echo'], 1);
    await s.nodeConnected(n1, []);
    const t = await s.submit({ skill: 'echo' }, 'api');
    await until(() => assigned(n1).length === 1);
    const c = await s.cancel(t.task.id, 'operator said so');
    assert.equal(c.status, 'cancelled');
    assert.deepEqual(n1.sent.at(-1), {
      event: 'task.cancel',
      payload: { id: t.task.id, reason: 'operator said so' },
    });
    await assert.rejects(s.cancel(t.task.id), (e: GatewayError) => e.code === 'GW_ERR_TASK_NOT_ACTIVE');
  });

  test('times out a running task and stops it on the node', async () => {
    const n1 = fakeNode('n1', ['echo'], 1);
    await s.nodeConnected(n1, []);
    const t = await s.submit({ skill: 'echo', timeout: 5 }, 'api');
    await until(() => assigned(n1).length === 1);
    clock += 4000;
    await s.renew('n1', t.task.id);
    await sweep(s);
    assert.equal((await s.get(t.task.id))!.status, 'running');
    clock += 1500;
    await s.renew('n1', t.task.id);
    await sweep(s);
    const done = (await s.get(t.task.id))!;
    assert.equal(done.status, 'timed_out');
    assert.equal(done.error?.details?.which, 'execution');
    assert.equal(n1.sent.at(-1)?.event, 'task.cancel');
  });

  test('fails a task that no capable node starts within queue_timeout, with the reason', async () => {
    await s.stop();
    s = make({ queueTimeout: 10 });
    await s.start();
    const t = await s.submit({ skill: 'browser', args: {} }, 'api');
    clock += 11_000;
    await sweep(s);
    const done = (await s.get(t.task.id))!;
    assert.equal(done.status, 'failed');
    assert.equal(done.error?.code, 'GW_ERR_TASK_TIMEOUT');
    assert.match(done.error!.message, /no connected node offers \[browser\]/);
  });

  test('warns once about a long-running task', async () => {
    await s.stop();
    const { logger, records } = createMemoryLogger();
    let hooks = 0;
    s = make({ longTaskWarning: 3, logger, hooks: { onLongRunning: () => hooks++ } });
    await s.start();
    const n1 = fakeNode('n1', ['echo'], 1);
    await s.nodeConnected(n1, []);
    const t = await s.submit({ skill: 'echo' }, 'api');
    await until(() => assigned(n1).length === 1);
    clock += 3500;
    await s.renew('n1', t.task.id);
    await sweep(s);
    await sweep(s);
    assert.equal(hooks, 1);
    assert.equal(records.filter((r) => r.event === 'task_long_running').length, 1);
  });

  test('rebuilds its queue from the store after a restart and keeps dispatching', async () => {
    const t = await s.submit({ skill: 'echo' }, 'api');
    await s.stop();
    s = make();
    await s.start();
    const n1 = fakeNode('n1', ['echo'], 1);
    await s.nodeConnected(n1, []);
    await until(() => assigned(n1).length === 1);
    assert.equal(assigned(n1)[0]!.id, t.task.id);
    assert.equal(s.queuedByPriority().normal, 0);
  });

  test('after a restart, dependents of a task that ended just before the crash are settled', async () => {
    const a = await s.submit({ skill: 'echo' }, 'api');
    const bad = await s.submit({ skill: 'echo' }, 'api');
    const b = await s.submit({ skill: 'echo', depends_on: [a.task.id] }, 'api');
    const c = await s.submit({ skill: 'echo', depends_on: [bad.task.id] }, 'api');
    await s.stop();
    // The store moved on, the scheduler died before telling the dependents.
    const at = new Date(clock).toISOString();
    await stores.tasks.update(
      a.task.id,
      { status: 'succeeded', finished_at: at },
      { expectStatus: ['queued'] },
    );
    await stores.tasks.update(
      bad.task.id,
      { status: 'failed', finished_at: at },
      { expectStatus: ['queued'] },
    );
    s = make();
    await s.start();
    assert.equal((await s.get(b.task.id))!.status, 'queued');
    const failed = (await s.get(c.task.id))!;
    assert.equal(failed.status, 'failed');
    assert.match(failed.error!.message, new RegExp(bad.task.id));
  });

  test('queue_timeout counts from when a re-queued task was queued again, not from its creation', async () => {
    await s.stop();
    s = make({ queueTimeout: 10 });
    await s.start();
    const n1 = fakeNode('n1', ['echo'], 1);
    await s.nodeConnected(n1, []);
    const t = await s.submit({ skill: 'echo' }, 'api');
    await until(() => assigned(n1).length === 1);
    clock += 60_000; // ran a minute, then its node vanished and the lease lapsed
    s.nodeDisconnected(n1);
    await sweep(s);
    assert.equal((await s.get(t.task.id))!.status, 'queued');
    clock += 5_000;
    await sweep(s);
    assert.equal((await s.get(t.task.id))!.status, 'queued', 'five seconds in the queue is within 10 s');
    clock += 6_000;
    await sweep(s);
    assert.equal((await s.get(t.task.id))!.status, 'failed');
  });

  test('a cancelled running task keeps its slot until the node reports it stopped', async () => {
    const n1 = fakeNode('n1', ['echo'], 1);
    await s.nodeConnected(n1, []);
    const a = await s.submit({ skill: 'echo' }, 'api');
    await until(() => assigned(n1).length === 1);
    const b = await s.submit({ skill: 'echo' }, 'api');
    await s.cancel(a.task.id);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(assigned(n1).length, 1, 'no second task while the first is being stopped');
    assert.deepEqual(
      await s.fail('n1', a.task.id, { code: 'GW_ERR_TASK_CANCELLED', message: 'stopped', retryable: false }),
      { accepted: false },
    );
    await until(() => assigned(n1).length === 2);
    assert.equal(assigned(n1)[1]!.id, b.task.id);
  });

  test('waitForEnd resolves when the task ends', async () => {
    const n1 = fakeNode('n1', ['echo'], 1);
    await s.nodeConnected(n1, []);
    const t = await s.submit({ skill: 'echo' }, 'api');
    const waiting = s.waitForEnd(t.task.id);
    await until(() => assigned(n1).length === 1);
    await s.complete('n1', t.task.id, { ok: 1 });
    const done = await waiting;
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.result, { ok: 1 });
  });

  test('a replaced node connection is closed with 4409', async () => {
    const a = fakeNode('same', ['echo'], 1);
    const b = fakeNode('same', ['echo'], 1);
    await s.nodeConnected(a, []);
    await s.nodeConnected(b, []);
    assert.equal(a.closed, 4409);
    assert.equal(s.nodes.size, 1);
  });

  test('a drain waits for tasks on connected nodes, not for those of a node that left', async () => {
    const stays = fakeNode('stays', ['echo'], 1);
    const leaves = fakeNode('leaves', ['shell'], 1);
    await s.nodeConnected(stays, []);
    await s.nodeConnected(leaves, []);
    const a = await s.submit({ skill: 'echo' }, 'api');
    const b = await s.submit({ skill: 'shell', args: {} }, 'api');
    await until(() => assigned(stays).length === 1 && assigned(leaves).length === 1);
    s.nodeDisconnected(leaves);
    const t0 = Date.now();
    const drained = s.drain(Date.now() + 10_000);
    await new Promise((r) => setTimeout(r, 300));
    let done = false;
    void drained.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(done, false, 'still waiting for the task on the connected node');
    await s.complete('stays', a.task.id, 'ok');
    await drained;
    assert.ok(Date.now() - t0 < 5_000, 'the drain did not wait for the deadline');
    // The departed node's task is left running for re-attach or lease expiry, not lost.
    assert.equal((await s.mustGet(b.task.id)).status, 'running');
  });

  test('claims that commit after a drain began are handed back, not sent, and cost no attempt', async () => {
    const t = await s.submit({ skill: 'echo' }, 'api'); // no node yet: its dispatch pass finds none
    await new Promise((r) => setImmediate(r));
    const node = fakeNode('n1', ['echo'], 4);
    s.nodes.add(node); // registered without the dispatch kick nodeConnected would give
    // One pass issues its claims, which commit at the next turn; the drain begins before they do.
    const pass = (s as unknown as { dispatch(): Promise<void> }).dispatch();
    const drained = s.drain(Date.now());
    await pass;
    await drained;
    assert.equal(assigned(node).length, 0, 'no task.assigned after the drain began');
    const back = await s.mustGet(t.task.id);
    assert.equal(back.status, 'queued');
    assert.equal(back.node_id, null);
    assert.equal(back.attempt, t.task.attempt);
    assert.equal(back.started_at, null);
  });

  describe('a submit while nothing is queued and a node is free', () => {
    const events = (sch: Scheduler) => {
      const seen: Array<{ id: string; status: string }> = [];
      sch.subscribe({ id: 'watcher', emit: (_e, p) => seen.push(p as { id: string; status: string }) });
      return seen;
    };

    test('is stored running on that node, with a lease, and announced once as running', async () => {
      const node = fakeNode('n1', ['echo'], 2);
      await s.nodeConnected(node, []);
      const seen = events(s);
      const t = await s.submit({ skill: 'echo' }, 'api');
      assert.equal(t.task.status, 'running');
      assert.equal(t.task.node_id, 'n1');
      assert.equal(t.task.attempt, 1);
      assert.equal(t.task.started_at, new Date(clock).toISOString());
      assert.deepEqual(
        assigned(node).map((a) => a.id),
        [t.task.id],
        'sent to the node once, without a claim',
      );
      assert.equal(s.nodes.freeSlots('n1'), 1, 'its slot is taken');
      assert.deepEqual(
        seen.map((e) => e.status),
        ['running'],
      );
      // The lease is the one a claim would give: the task is recovered when the node goes silent.
      assert.equal((await stores.tasks.expiredLeases(clock + 1999)).length, 0);
      assert.deepEqual(
        (await stores.tasks.expiredLeases(clock + 2000)).map((x) => x.id),
        [t.task.id],
      );
      await s.started('n1', t.task.id);
      await s.complete('n1', t.task.id, 'ok');
      assert.deepEqual(
        seen.map((e) => e.status),
        ['running', 'succeeded'],
      );
      assert.equal(s.nodes.freeSlots('n1'), 2);
    });

    test('queues behind a queued task instead of overtaking it, and still runs', async () => {
      const node = fakeNode('n1', ['echo'], 2);
      await s.nodeConnected(node, []);
      const blocked = await s.submit({ skill: 'echo', capabilities: ['gpu'] }, 'api'); // no node has gpu
      assert.equal(blocked.task.status, 'queued');
      const t = await s.submit({ skill: 'echo', priority: 'low' }, 'api');
      assert.equal(t.task.status, 'queued', 'a queued task exists, so the new one queues');
      await until(() => assigned(node).length === 1);
      assert.equal(assigned(node)[0]!.id, t.task.id, 'claimed by the dispatch pass');
      assert.equal((await s.mustGet(blocked.task.id)).status, 'queued');
    });

    test('without a free capable node it queues', async () => {
      const node = fakeNode('n1', ['shell'], 1);
      await s.nodeConnected(node, []);
      const t = await s.submit({ skill: 'echo' }, 'api');
      assert.equal(t.task.status, 'queued');
      assert.equal(assigned(node).length, 0);
    });

    test('without an idempotency key it is sent before its insert commits; with one, only after', async () => {
      const node = fakeNode('n1', ['echo'], 2);
      await s.nodeConnected(node, []);
      const sentAtInsert: number[] = [];
      const insert = stores.tasks.insert.bind(stores.tasks);
      stores.tasks.insert = (task, options) => {
        sentAtInsert.push(assigned(node).length);
        return insert(task, options);
      };
      try {
        await s.submit({ skill: 'echo' }, 'api');
        await s.submit({ skill: 'echo', idempotency_key: 'once' }, 'api');
      } finally {
        stores.tasks.insert = insert;
      }
      assert.deepEqual(sentAtInsert, [1, 1], 'the first was with the node when its insert was queued');
      assert.equal(assigned(node).length, 2, 'the keyed one went once committed');
    });

    test('a failed insert of a task already sent is cancelled on the node, whose slot stays taken until it stops', async () => {
      const node = fakeNode('n1', ['echo'], 2);
      await s.nodeConnected(node, []);
      // The node reconnects while the insert is pending: the cancel must reach the new connection.
      const again = fakeNode('n1', ['echo'], 2);
      stores.tasks.insert = () => {
        s.nodes.add(again);
        return Promise.reject(new GatewayError('GW_ERR_STORE_UNAVAILABLE'));
      };
      await assert.rejects(
        s.submit({ skill: 'echo' }, 'api'),
        (e: GatewayError) => e.code === 'GW_ERR_STORE_UNAVAILABLE',
      );
      const [sent] = assigned(node);
      assert.ok(sent, 'it had been sent');
      assert.equal(node.sent.filter((m) => m.event === 'task.cancel').length, 0);
      const cancel = again.sent.find((m) => m.event === 'task.cancel');
      assert.equal(cancel?.payload.id, sent.id);
      assert.match(cancel?.payload.reason, /could not store/);
      assert.equal(s.runningCount, 0, 'not counted as running');
      assert.equal(s.nodes.freeSlots('n1'), 1, 'the slot is taken while the node may still run it');
      await assert.rejects(
        s.fail('n1', sent.id, { code: 'GW_ERR_TASK_CANCELLED', message: 'stopped', retryable: false }),
        (e: GatewayError) => e.code === 'GW_ERR_TASK_NOT_FOUND',
      );
      assert.equal(s.nodes.freeSlots('n1'), 2, 'its report frees the slot');
    });

    test('progress and a reconnect that arrive before the insert commits find the task', async () => {
      const n1 = fakeNode('n1', ['echo'], 1);
      await s.nodeConnected(n1, []);
      const again = fakeNode('n1', ['echo'], 1);
      const early: Array<Promise<unknown>> = [];
      const insert = stores.tasks.insert.bind(stores.tasks);
      stores.tasks.insert = (task, options) => {
        const res = insert(task, options);
        // Both before the commit at the end of this turn.
        early.push(s.progress('n1', task.id, 'half way', {}));
        s.nodeDisconnected(n1);
        early.push(s.nodeConnected(again, [task.id]));
        return res;
      };
      let id: string;
      try {
        id = (await s.submit({ skill: 'echo' }, 'api')).task.id;
      } finally {
        stores.tasks.insert = insert;
      }
      await Promise.all(early);
      assert.deepEqual(
        again.sent.filter((m) => m.event === 'task.cancel'),
        [],
        'the reconnected node keeps the task',
      );
      const t = await s.mustGet(id);
      assert.equal(t.status, 'running');
      assert.equal(t.node_id, 'n1');
      assert.ok(
        (await s.logs(id)).some((l) => l.message === 'half way'),
        'the progress line is in the log',
      );
      await s.complete('n1', id, 'ok');
      assert.equal((await s.mustGet(id)).status, 'succeeded');
    });

    test('a submit while a dependent is being released does not take its slot', async () => {
      const node = fakeNode('n1', ['echo'], 1);
      await s.nodeConnected(node, []);
      const d = await s.submit({ skill: 'echo' }, 'api');
      const w = await s.submit({ skill: 'echo', priority: 'critical', depends_on: [d.task.id] }, 'api');
      assert.equal(w.task.status, 'waiting');
      // The slot is free from D's end on; W becomes queued only after a store round trip.
      let late: Promise<{ task: Task }> | undefined;
      s.once('task:end', () => {
        late = s.submit({ skill: 'echo', priority: 'low' }, 'api');
      });
      await s.complete('n1', d.task.id, 'ok');
      const l = await late!;
      assert.equal(l.task.status, 'queued', 'it queues instead of taking the slot');
      await until(() => assigned(node).length === 2);
      assert.equal(assigned(node)[1]!.id, w.task.id, 'the released critical dependent runs first');
      await s.complete('n1', w.task.id, 'ok');
      await until(() => assigned(node).length === 3);
      assert.equal(assigned(node)[2]!.id, l.task.id);
    });

    test('a node that leaves before a keyed insert commits does not get it; the task queues for the next', async () => {
      const n1 = fakeNode('n1', ['echo'], 1);
      await s.nodeConnected(n1, []);
      const seen = events(s);
      // The node leaves once the insert is queued, which is after the task was given its slot and
      // before the insert commits (at the next turn).
      const insert = stores.tasks.insert.bind(stores.tasks);
      stores.tasks.insert = (task, options) => {
        const res = insert(task, options);
        s.nodeDisconnected(n1);
        return res;
      };
      const pending = s.submit({ skill: 'echo', idempotency_key: 'k' }, 'api');
      try {
        assert.equal((await pending).task.node_id, 'n1', 'it was given the node');
      } finally {
        stores.tasks.insert = insert;
      }
      await until(async () => (await s.get((await pending).task.id))!.status === 'queued');
      const id = (await pending).task.id;
      const back = await s.mustGet(id);
      assert.equal(back.node_id, null);
      assert.equal(back.attempt, 0, 'the attempt is not counted');
      assert.equal(back.started_at, null);
      assert.equal(assigned(n1).length, 0);
      assert.deepEqual(
        seen.map((e) => e.status),
        ['queued'],
      );
      const n2 = fakeNode('n2', ['echo'], 1);
      await s.nodeConnected(n2, []);
      await until(() => assigned(n2).length === 1);
      assert.equal(assigned(n2)[0]!.id, id);
      assert.equal(assigned(n2)[0]!.attempt, 1);
    });

    test('a repeated idempotency key or a failed insert gives the slot back', async () => {
      const node = fakeNode('n1', ['echo'], 2);
      await s.nodeConnected(node, []);
      const a = await s.submit({ skill: 'echo', idempotency_key: 'k' }, 'api');
      const b = await s.submit({ skill: 'echo', idempotency_key: 'k' }, 'api');
      assert.equal(b.created, false);
      assert.equal(b.task.id, a.task.id);
      assert.equal(s.nodes.freeSlots('n1'), 1, 'only the first task holds a slot');
      const insert = stores.tasks.insert.bind(stores.tasks);
      stores.tasks.insert = () => Promise.reject(new GatewayError('GW_ERR_STORE_UNAVAILABLE'));
      try {
        await assert.rejects(
          s.submit({ skill: 'echo', idempotency_key: 'k2' }, 'api'),
          (e: GatewayError) => e.code === 'GW_ERR_STORE_UNAVAILABLE',
        );
      } finally {
        stores.tasks.insert = insert;
      }
      assert.equal(s.nodes.freeSlots('n1'), 1);
      assert.equal(assigned(node).length, 1);
    });
  });
});
