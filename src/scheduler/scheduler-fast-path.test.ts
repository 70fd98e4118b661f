/**
 * @module Unit tests of the scheduler's submit fast path: a task submitted while nothing is queued
 * and a capable node is free is stored running on that node, and (without an idempotency key) sent
 * to it before its insert commits; every race with that early send.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError, type Task } from '../protocol/index.js';
import type { Scheduler } from './scheduler.js';
import { assigned, fakeNode, until, useScheduler } from './test-support/scheduler-fixture.js';

describe('Scheduler: a submit while nothing is queued and a node is free', () => {
  const f = useScheduler();
  const events = (sch: Scheduler) => {
    const seen: Array<{ id: string; status: string }> = [];
    sch.subscribe({ id: 'watcher', emit: (_e, p) => seen.push(p as { id: string; status: string }) });
    return seen;
  };

  test('is stored running on that node, with a lease, and announced once as running', async () => {
    const node = fakeNode('n1', ['echo'], 2);
    await f.s.nodeConnected(node, []);
    const seen = events(f.s);
    const t = await f.s.submit({ skill: 'echo' }, 'api');
    assert.equal(t.task.status, 'running');
    assert.equal(t.task.node_id, 'n1');
    assert.equal(t.task.attempt, 1);
    assert.equal(t.task.started_at, new Date(f.clock).toISOString());
    assert.deepEqual(
      assigned(node).map((a) => a.id),
      [t.task.id],
      'sent to the node once, without a claim',
    );
    assert.equal(f.s.nodes.freeSlots('n1'), 1, 'its slot is taken');
    assert.deepEqual(
      seen.map((e) => e.status),
      ['running'],
    );
    // The lease is the one a claim would give: the task is recovered when the node goes silent.
    assert.equal((await f.stores.tasks.expiredLeases(f.clock + 1999)).length, 0);
    assert.deepEqual(
      (await f.stores.tasks.expiredLeases(f.clock + 2000)).map((x) => x.id),
      [t.task.id],
    );
    await f.s.started('n1', t.task.id);
    await f.s.complete('n1', t.task.id, 'ok');
    assert.deepEqual(
      seen.map((e) => e.status),
      ['running', 'succeeded'],
    );
    assert.equal(f.s.nodes.freeSlots('n1'), 2);
  });

  test('queues behind a queued task instead of overtaking it, and still runs', async () => {
    const node = fakeNode('n1', ['echo'], 2);
    await f.s.nodeConnected(node, []);
    const blocked = await f.s.submit({ skill: 'echo', capabilities: ['gpu'] }, 'api'); // no node has gpu
    assert.equal(blocked.task.status, 'queued');
    const t = await f.s.submit({ skill: 'echo', priority: 'low' }, 'api');
    assert.equal(t.task.status, 'queued', 'a queued task exists, so the new one queues');
    await until(() => assigned(node).length === 1);
    assert.equal(assigned(node)[0]!.id, t.task.id, 'claimed by the dispatch pass');
    assert.equal((await f.s.mustGet(blocked.task.id)).status, 'queued');
  });

  test('without a free capable node it queues', async () => {
    const node = fakeNode('n1', ['shell'], 1);
    await f.s.nodeConnected(node, []);
    const t = await f.s.submit({ skill: 'echo' }, 'api');
    assert.equal(t.task.status, 'queued');
    assert.equal(assigned(node).length, 0);
  });

  test('without an idempotency key it is sent before its insert commits; with one, only after', async () => {
    const node = fakeNode('n1', ['echo'], 2);
    await f.s.nodeConnected(node, []);
    const sentAtInsert: number[] = [];
    const insert = f.stores.tasks.insert.bind(f.stores.tasks);
    f.stores.tasks.insert = (task, options) => {
      sentAtInsert.push(assigned(node).length);
      return insert(task, options);
    };
    try {
      await f.s.submit({ skill: 'echo' }, 'api');
      await f.s.submit({ skill: 'echo', idempotency_key: 'once' }, 'api');
    } finally {
      f.stores.tasks.insert = insert;
    }
    assert.deepEqual(sentAtInsert, [1, 1], 'the first was with the node when its insert was queued');
    assert.equal(assigned(node).length, 2, 'the keyed one went once committed');
  });

  test('a failed insert of a task already sent is cancelled on the node, whose slot stays taken until it stops', async () => {
    const node = fakeNode('n1', ['echo'], 2);
    await f.s.nodeConnected(node, []);
    // The node reconnects while the insert is pending: the cancel must reach the new connection.
    const again = fakeNode('n1', ['echo'], 2);
    f.stores.tasks.insert = () => {
      f.s.nodes.add(again);
      return Promise.reject(new GatewayError('GW_ERR_STORE_UNAVAILABLE'));
    };
    await assert.rejects(
      f.s.submit({ skill: 'echo' }, 'api'),
      (e: GatewayError) => e.code === 'GW_ERR_STORE_UNAVAILABLE',
    );
    const [sent] = assigned(node);
    assert.ok(sent, 'it had been sent');
    assert.equal(node.sent.filter((m) => m.event === 'task.cancel').length, 0);
    const cancel = again.sent.find((m) => m.event === 'task.cancel');
    assert.equal(cancel?.payload.id, sent.id);
    assert.match(cancel?.payload.reason, /could not store/);
    assert.equal(f.s.runningCount, 0, 'not counted as running');
    assert.equal(f.s.nodes.freeSlots('n1'), 1, 'the slot is taken while the node may still run it');
    await assert.rejects(
      f.s.fail('n1', sent.id, { code: 'GW_ERR_TASK_CANCELLED', message: 'stopped', retryable: false }),
      (e: GatewayError) => e.code === 'GW_ERR_TASK_NOT_FOUND',
    );
    assert.equal(f.s.nodes.freeSlots('n1'), 2, 'its report frees the slot');
  });

  test('progress and a reconnect that arrive before the insert commits find the task', async () => {
    const n1 = fakeNode('n1', ['echo'], 1);
    await f.s.nodeConnected(n1, []);
    const again = fakeNode('n1', ['echo'], 1);
    const early: Array<Promise<unknown>> = [];
    const insert = f.stores.tasks.insert.bind(f.stores.tasks);
    f.stores.tasks.insert = (task, options) => {
      const res = insert(task, options);
      // Both before the commit at the end of this turn.
      early.push(f.s.progress('n1', task.id, 'half way', {}));
      f.s.nodeDisconnected(n1);
      early.push(f.s.nodeConnected(again, [task.id]));
      return res;
    };
    let id: string;
    try {
      id = (await f.s.submit({ skill: 'echo' }, 'api')).task.id;
    } finally {
      f.stores.tasks.insert = insert;
    }
    await Promise.all(early);
    assert.deepEqual(
      again.sent.filter((m) => m.event === 'task.cancel'),
      [],
      'the reconnected node keeps the task',
    );
    const t = await f.s.mustGet(id);
    assert.equal(t.status, 'running');
    assert.equal(t.node_id, 'n1');
    assert.ok(
      (await f.s.logs(id)).some((l) => l.message === 'half way'),
      'the progress line is in the log',
    );
    await f.s.complete('n1', id, 'ok');
    assert.equal((await f.s.mustGet(id)).status, 'succeeded');
  });

  test('a submit while a dependent is being released does not take its slot', async () => {
    const node = fakeNode('n1', ['echo'], 1);
    await f.s.nodeConnected(node, []);
    const d = await f.s.submit({ skill: 'echo' }, 'api');
    const w = await f.s.submit({ skill: 'echo', priority: 'critical', depends_on: [d.task.id] }, 'api');
    assert.equal(w.task.status, 'waiting');
    // The slot is free from D's end on; W becomes queued only after a store round trip.
    let late: Promise<{ task: Task }> | undefined;
    f.s.once('task:end', () => {
      late = f.s.submit({ skill: 'echo', priority: 'low' }, 'api');
    });
    await f.s.complete('n1', d.task.id, 'ok');
    const l = await late!;
    assert.equal(l.task.status, 'queued', 'it queues instead of taking the slot');
    await until(() => assigned(node).length === 2);
    assert.equal(assigned(node)[1]!.id, w.task.id, 'the released critical dependent runs first');
    await f.s.complete('n1', w.task.id, 'ok');
    await until(() => assigned(node).length === 3);
    assert.equal(assigned(node)[2]!.id, l.task.id);
  });

  test('a node that leaves before a keyed insert commits does not get it; the task queues for the next', async () => {
    const n1 = fakeNode('n1', ['echo'], 1);
    await f.s.nodeConnected(n1, []);
    const seen = events(f.s);
    // The node leaves once the insert is queued, which is after the task was given its slot and
    // before the insert commits (at the next turn).
    const insert = f.stores.tasks.insert.bind(f.stores.tasks);
    f.stores.tasks.insert = (task, options) => {
      const res = insert(task, options);
      f.s.nodeDisconnected(n1);
      return res;
    };
    const pending = f.s.submit({ skill: 'echo', idempotency_key: 'k' }, 'api');
    try {
      assert.equal((await pending).task.node_id, 'n1', 'it was given the node');
    } finally {
      f.stores.tasks.insert = insert;
    }
    await until(async () => (await f.s.get((await pending).task.id))!.status === 'queued');
    const id = (await pending).task.id;
    const back = await f.s.mustGet(id);
    assert.equal(back.node_id, null);
    assert.equal(back.attempt, 0, 'the attempt is not counted');
    assert.equal(back.started_at, null);
    assert.equal(assigned(n1).length, 0);
    assert.deepEqual(
      seen.map((e) => e.status),
      ['queued'],
    );
    const n2 = fakeNode('n2', ['echo'], 1);
    await f.s.nodeConnected(n2, []);
    await until(() => assigned(n2).length === 1);
    assert.equal(assigned(n2)[0]!.id, id);
    assert.equal(assigned(n2)[0]!.attempt, 1);
  });

  test('a repeated idempotency key or a failed insert gives the slot back', async () => {
    const node = fakeNode('n1', ['echo'], 2);
    await f.s.nodeConnected(node, []);
    const a = await f.s.submit({ skill: 'echo', idempotency_key: 'k' }, 'api');
    const b = await f.s.submit({ skill: 'echo', idempotency_key: 'k' }, 'api');
    assert.equal(b.created, false);
    assert.equal(b.task.id, a.task.id);
    assert.equal(f.s.nodes.freeSlots('n1'), 1, 'only the first task holds a slot');
    const insert = f.stores.tasks.insert.bind(f.stores.tasks);
    f.stores.tasks.insert = () => Promise.reject(new GatewayError('GW_ERR_STORE_UNAVAILABLE'));
    try {
      await assert.rejects(
        f.s.submit({ skill: 'echo', idempotency_key: 'k2' }, 'api'),
        (e: GatewayError) => e.code === 'GW_ERR_STORE_UNAVAILABLE',
      );
    } finally {
      f.stores.tasks.insert = insert;
    }
    assert.equal(f.s.nodes.freeSlots('n1'), 1);
    assert.equal(assigned(node).length, 1);
  });
});
