/** @module The TaskStore contract as tests, written once and run against every backend. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError, TASK_STATUSES, type Task } from '../../protocol/index.js';
import type { ClaimOptions, TaskStore } from '../types.js';
import { isoAgo, makeTask } from './task-fixtures.js';

export type MakeTaskStore = () => Promise<{ tasks: TaskStore; cleanup(): Promise<void> }>;

const MIN = 60_000;

function hasCode(code: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof GatewayError, `expected a GatewayError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  };
}

/** Claim options for a node with no declared capabilities and aging off, unless overridden. */
function claim(over: Partial<ClaimOptions> = {}): ClaimOptions {
  return {
    capabilities: [],
    tags: [],
    nodeId: 'node-a',
    leaseMs: 30_000,
    now: Date.now(),
    agingMs: 0,
    ...over,
  };
}

async function drain(tasks: TaskStore, over: Partial<ClaimOptions> = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let t = await tasks.claimNext(claim(over)); t !== null; t = await tasks.claimNext(claim(over))) {
    ids.push(t.id);
  }
  return ids;
}

export function runTaskStoreConformance(name: string, makeStore: MakeTaskStore): void {
  /** Gives each test a fresh store and always cleans it up. */
  const withStore = (fn: (tasks: TaskStore) => Promise<void>) => async () => {
    const { tasks, cleanup } = await makeStore();
    try {
      await fn(tasks);
    } finally {
      await cleanup();
    }
  };

  describe(`TaskStore conformance: ${name}`, () => {
    describe('insert and get', () => {
      test(
        'returns a stored task exactly as inserted, optional fields included',
        withStore(async (tasks) => {
          const t = makeTask({ task: undefined, skill: 'shell', args: { cmd: 'ls', n: 1 }, tags: ['gpu'] });
          delete t.task;
          const res = await tasks.insert(t);
          assert.equal(res.created, true);
          assert.deepEqual(res.task, t);
          assert.deepEqual(await tasks.get(t.id), t);
        }),
      );

      test(
        'answers null for an unknown id',
        withStore(async (tasks) => {
          assert.equal(await tasks.get('no-such-task'), null);
        }),
      );

      test(
        'rejects an invalid task and a duplicate id with GW_ERR_TASK_INVALID',
        withStore(async (tasks) => {
          const bad = { ...makeTask(), priority: 'urgent' } as unknown as Task;
          await assert.rejects(tasks.insert(bad), hasCode('GW_ERR_TASK_INVALID'));
          const t = makeTask();
          await tasks.insert(t);
          await assert.rejects(tasks.insert({ ...t, task: 'other' }), hasCode('GW_ERR_TASK_INVALID'));
          assert.equal((await tasks.get(t.id))?.task, t.task);
        }),
      );

      test(
        'keeps depends_on in submitted order without duplicates',
        withStore(async (tasks) => {
          const t = makeTask({ status: 'waiting', depends_on: ['c', 'a', 'b', 'a'] });
          const res = await tasks.insert(t);
          assert.deepEqual(res.task.depends_on, ['c', 'a', 'b']);
          assert.deepEqual((await tasks.get(t.id))?.depends_on, ['c', 'a', 'b']);
        }),
      );
    });

    describe('idempotency', () => {
      test(
        'returns the existing task for a repeated key and stores nothing new',
        withStore(async (tasks) => {
          const first = makeTask();
          const second = makeTask({ task: 'something else' });
          const a = await tasks.insert(first, { idempotencyKey: 'daily-report-2024-01-01' });
          const b = await tasks.insert(second, { idempotencyKey: 'daily-report-2024-01-01' });
          assert.equal(a.created, true);
          assert.equal(b.created, false);
          assert.equal(b.task.id, first.id);
          assert.equal(b.task.idempotency_key, 'daily-report-2024-01-01');
          assert.equal(await tasks.get(second.id), null);
        }),
      );

      test(
        'honours the idempotency_key carried by the task itself',
        withStore(async (tasks) => {
          const a = await tasks.insert(makeTask({ idempotency_key: 'k1' }));
          const b = await tasks.insert(makeTask({ idempotency_key: 'k1' }));
          assert.equal(b.created, false);
          assert.equal(b.task.id, a.task.id);
        }),
      );

      test(
        'creates exactly one task from many concurrent inserts with one key',
        withStore(async (tasks) => {
          const results = await Promise.all(
            Array.from({ length: 25 }, () => tasks.insert(makeTask(), { idempotencyKey: 'same' })),
          );
          assert.equal(results.filter((r) => r.created).length, 1);
          assert.equal(new Set(results.map((r) => r.task.id)).size, 1);
          assert.equal((await tasks.list()).tasks.length, 1);
        }),
      );
    });

    describe('list', () => {
      test(
        'pages newest first with a cursor that visits every task once',
        withStore(async (tasks) => {
          const base = Date.now();
          const ids: string[] = [];
          for (let i = 0; i < 7; i++) {
            const t = makeTask({ created_at: isoAgo((7 - i) * 1000, base) });
            await tasks.insert(t);
            ids.unshift(t.id);
          }
          const seen: string[] = [];
          let cursor: string | undefined;
          let pages = 0;
          do {
            const page = await tasks.list({ limit: 3, cursor });
            seen.push(...page.tasks.map((t) => t.id));
            cursor = page.next_cursor ?? undefined;
            pages++;
          } while (cursor !== undefined);
          assert.deepEqual(seen, ids);
          assert.equal(pages, 3);
        }),
      );

      test(
        'keeps later pages stable while new tasks arrive',
        withStore(async (tasks) => {
          const base = Date.now() - 60_000;
          for (let i = 0; i < 4; i++)
            await tasks.insert(makeTask({ created_at: isoAgo((4 - i) * 1000, base) }));
          const first = await tasks.list({ limit: 2 });
          await tasks.insert(makeTask());
          await tasks.insert(makeTask());
          const second = await tasks.list({ limit: 2, cursor: first.next_cursor ?? undefined });
          const ids = [...first.tasks, ...second.tasks].map((t) => t.id);
          assert.equal(new Set(ids).size, 4);
          assert.equal(second.next_cursor, null);
        }),
      );

      test(
        'filters by one or several statuses and by workspace, and defaults to 50 per page',
        withStore(async (tasks) => {
          for (let i = 0; i < 52; i++) await tasks.insert(makeTask({ workspace: 'bulk' }));
          await tasks.insert(makeTask({ status: 'waiting', workspace: 'w1' }));
          await tasks.insert(makeTask({ status: 'succeeded', workspace: 'w1' }));
          assert.equal((await tasks.list()).tasks.length, 50);
          assert.notEqual((await tasks.list()).next_cursor, null);
          assert.equal((await tasks.list({ status: 'waiting' })).tasks.length, 1);
          assert.equal((await tasks.list({ status: ['waiting', 'succeeded'] })).tasks.length, 2);
          assert.equal((await tasks.list({ workspace: 'w1', status: 'queued' })).tasks.length, 0);
          const w1 = await tasks.list({ workspace: 'w1' });
          assert.equal(w1.tasks.length, 2);
          assert.equal(w1.next_cursor, null);
        }),
      );

      test(
        'rejects a foreign cursor and an out-of-range limit',
        withStore(async (tasks) => {
          await assert.rejects(
            tasks.list({ cursor: 'bm90LWEtY3Vyc29y' }),
            hasCode('GW_ERR_PROTOCOL_INVALID_PARAMS'),
          );
          await assert.rejects(tasks.list({ limit: 0 }), hasCode('GW_ERR_PROTOCOL_INVALID_PARAMS'));
          await assert.rejects(tasks.list({ limit: 1001 }), hasCode('GW_ERR_PROTOCOL_INVALID_PARAMS'));
        }),
      );
    });

    describe('update', () => {
      test(
        'applies a patch, including results and errors, and returns the new task',
        withStore(async (tasks) => {
          const t = makeTask();
          await tasks.insert(t);
          const error = { code: 'GW_ERR_TASK_FAILED', message: 'boom', retryable: false };
          const done = await tasks.update(t.id, {
            status: 'failed',
            error,
            result: { partial: [1, 2] },
            finished_at: new Date().toISOString(),
          });
          assert.equal(done?.status, 'failed');
          assert.deepEqual(done?.error, error);
          assert.deepEqual(done?.result, { partial: [1, 2] });
          assert.deepEqual(await tasks.get(t.id), done);
        }),
      );

      test(
        'returns null and changes nothing when the expected status does not match',
        withStore(async (tasks) => {
          const t = makeTask();
          await tasks.insert(t);
          assert.equal(
            await tasks.update(t.id, { status: 'succeeded' }, { expectStatus: ['running'] }),
            null,
          );
          assert.equal((await tasks.get(t.id))?.status, 'queued');
          assert.equal(await tasks.update('missing', { status: 'cancelled' }), null);
        }),
      );

      test(
        'lets exactly one of two racing compare-and-set transitions win',
        withStore(async (tasks) => {
          const t = makeTask();
          await tasks.insert(t);
          const [a, b] = await Promise.all([
            tasks.update(t.id, { status: 'cancelled' }, { expectStatus: ['queued'] }),
            tasks.update(t.id, { status: 'succeeded' }, { expectStatus: ['queued'] }),
          ]);
          assert.equal([a, b].filter((x) => x !== null).length, 1);
          assert.equal((await tasks.get(t.id))?.status, (a ?? b)?.status);
        }),
      );

      test(
        'rejects fields that are fixed at insert and invalid values',
        withStore(async (tasks) => {
          const t = makeTask();
          await tasks.insert(t);
          const patch = { workspace: 'elsewhere' } as unknown as Parameters<TaskStore['update']>[1];
          await assert.rejects(tasks.update(t.id, patch), hasCode('GW_ERR_TASK_INVALID'));
          const bad = { status: 'exploded' } as unknown as Parameters<TaskStore['update']>[1];
          await assert.rejects(tasks.update(t.id, bad), hasCode('GW_ERR_TASK_INVALID'));
          assert.equal((await tasks.get(t.id))?.workspace, 'default');
        }),
      );
    });

    describe('claimNext', () => {
      test(
        'marks the claimed task running with node, attempt, start time and lease',
        withStore(async (tasks) => {
          assert.equal(await tasks.claimNext(claim()), null);
          const t = makeTask();
          await tasks.insert(t);
          const now = Date.now();
          const got = await tasks.claimNext(claim({ nodeId: 'node-7', now, leaseMs: 5000 }));
          assert.equal(got?.id, t.id);
          assert.equal(got?.status, 'running');
          assert.equal(got?.node_id, 'node-7');
          assert.equal(got?.attempt, 1);
          assert.equal(got?.started_at, new Date(now).toISOString());
          assert.deepEqual(await tasks.get(t.id), got);
          assert.deepEqual(await tasks.expiredLeases(now + 4999), []);
          assert.deepEqual(
            (await tasks.expiredLeases(now + 5000)).map((x) => x.id),
            [t.id],
          );
          assert.equal(await tasks.claimNext(claim()), null);
        }),
      );

      test(
        'routes by capabilities and tags: a task goes only to a node that has all of them',
        withStore(async (tasks) => {
          const browser = makeTask({ capabilities: ['browser'] });
          const gpu = makeTask({ capabilities: ['shell'], tags: ['gpu', 'eu'] });
          await tasks.insert(browser);
          await tasks.insert(gpu);
          assert.equal(
            await tasks.claimNext(claim({ capabilities: ['shell', 'file'], tags: ['gpu'] })),
            null,
          );
          const g = await tasks.claimNext(claim({ capabilities: ['shell'], tags: ['eu', 'gpu', 'x'] }));
          assert.equal(g?.id, gpu.id);
          const b = await tasks.claimNext(claim({ capabilities: ['shell', 'browser', 'file'] }));
          assert.equal(b?.id, browser.id);
          const plain = makeTask();
          await tasks.insert(plain);
          assert.equal(
            (await tasks.claimNext(claim({ capabilities: ['anything'], tags: ['x'] })))?.id,
            plain.id,
          );
        }),
      );

      test(
        'orders by priority, then by age, oldest first',
        withStore(async (tasks) => {
          const base = Date.now();
          const lowOld = makeTask({ priority: 'low', created_at: isoAgo(50_000, base) });
          const normalNew = makeTask({ priority: 'normal', created_at: isoAgo(10_000, base) });
          const critical = makeTask({ priority: 'critical', created_at: isoAgo(1_000, base) });
          const normalOld = makeTask({ priority: 'normal', created_at: isoAgo(40_000, base) });
          const high = makeTask({ priority: 'high', created_at: isoAgo(5_000, base) });
          for (const t of [lowOld, normalNew, critical, normalOld, high]) await tasks.insert(t);
          const order = await drain(tasks, { now: base, agingMs: 10 * MIN });
          assert.deepEqual(order, [critical.id, high.id, normalOld.id, normalNew.id, lowOld.id]);
        }),
      );

      test(
        'ages waiting tasks one priority level per agingMs so low priority cannot starve',
        withStore(async (tasks) => {
          const now = Date.now();
          const starving = makeTask({ priority: 'low', created_at: isoAgo(35 * MIN, now) });
          const fresh = makeTask({ priority: 'critical', created_at: isoAgo(1000, now) });
          await tasks.insert(starving);
          await tasks.insert(fresh);
          assert.deepEqual(await drain(tasks, { now, agingMs: 10 * MIN }), [starving.id, fresh.id]);
        }),
      );

      test(
        'ages partially: 15 minutes lifts low to normal but not past high',
        withStore(async (tasks) => {
          const now = Date.now();
          const low = makeTask({ priority: 'low', created_at: isoAgo(15 * MIN, now) });
          const normal = makeTask({ priority: 'normal', created_at: isoAgo(1000, now) });
          const high = makeTask({ priority: 'high', created_at: isoAgo(1000, now) });
          for (const t of [normal, high, low]) await tasks.insert(t);
          assert.deepEqual(await drain(tasks, { now, agingMs: 10 * MIN }), [high.id, low.id, normal.id]);
        }),
      );

      test(
        'ignores age for ranking when aging is off',
        withStore(async (tasks) => {
          const now = Date.now();
          const low = makeTask({ priority: 'low', created_at: isoAgo(600 * MIN, now) });
          const normal = makeTask({ priority: 'normal', created_at: isoAgo(1000, now) });
          await tasks.insert(low);
          await tasks.insert(normal);
          assert.deepEqual(await drain(tasks, { now, agingMs: 0 }), [normal.id, low.id]);
        }),
      );

      test(
        'never hands one task to two interleaved claimers',
        withStore(async (tasks) => {
          const ids = new Set<string>();
          for (let i = 0; i < 20; i++) {
            const t = makeTask();
            ids.add(t.id);
            await tasks.insert(t);
          }
          const got = await Promise.all(
            Array.from({ length: 50 }, (_, i) => tasks.claimNext(claim({ nodeId: `node-${i % 5}` }))),
          );
          const claimed = got.filter((t): t is Task => t !== null).map((t) => t.id);
          assert.equal(claimed.length, 20);
          assert.deepEqual(new Set(claimed), ids);
        }),
      );

      test(
        'starts queue age when dependencies release a waiting task',
        withStore(async (tasks) => {
          const now = Date.now();
          const released = makeTask({
            status: 'waiting',
            created_at: isoAgo(120 * MIN, now),
            depends_on: ['x'],
          });
          const queued = makeTask({ created_at: isoAgo(1 * MIN, now) });
          await tasks.insert(released);
          await tasks.insert(queued);
          await tasks.update(released.id, { status: 'queued' }, { expectStatus: ['waiting'] });
          assert.deepEqual(await drain(tasks, { now: Date.now() + 1000 }), [queued.id, released.id]);
        }),
      );

      test(
        'gives a re-queued task its place back, with the attempt counted',
        withStore(async (tasks) => {
          const base = Date.now();
          const older = makeTask({ created_at: isoAgo(20_000, base) });
          const newer = makeTask({ created_at: isoAgo(10_000, base) });
          await tasks.insert(older);
          await tasks.insert(newer);
          assert.equal((await tasks.claimNext(claim({ now: base })))?.id, older.id);
          await tasks.update(older.id, { status: 'queued', node_id: null }, { expectStatus: ['running'] });
          const again = await tasks.claimNext(claim({ now: base + 1000, nodeId: 'node-b' }));
          assert.equal(again?.id, older.id);
          assert.equal(again?.attempt, 2);
          assert.equal(again?.node_id, 'node-b');
        }),
      );

      test(
        'claims only queued tasks',
        withStore(async (tasks) => {
          for (const status of TASK_STATUSES.filter((s) => s !== 'queued'))
            await tasks.insert(makeTask({ status }));
          assert.equal(await tasks.claimNext(claim()), null);
        }),
      );
    });

    describe('leases', () => {
      test(
        'renews only for the node holding the running task, and the renewal moves the expiry',
        withStore(async (tasks) => {
          const t = makeTask();
          await tasks.insert(t);
          const now = Date.now();
          await tasks.claimNext(claim({ nodeId: 'holder', now, leaseMs: 1000 }));
          assert.equal(await tasks.renewLease(t.id, 'intruder', 1000, now + 500), false);
          assert.equal(await tasks.renewLease('missing', 'holder', 1000, now + 500), false);
          assert.equal(await tasks.renewLease(t.id, 'holder', 10_000, now + 500), true);
          assert.deepEqual(await tasks.expiredLeases(now + 5000), []);
          assert.equal((await tasks.expiredLeases(now + 10_500)).length, 1);
          await tasks.update(t.id, { status: 'succeeded' });
          assert.equal(await tasks.renewLease(t.id, 'holder', 1000, now + 600), false);
          assert.deepEqual(await tasks.expiredLeases(now + 100_000), [], 'a finished task holds no lease');
        }),
      );

      test(
        'lists expired leases oldest first and nothing else',
        withStore(async (tasks) => {
          const now = Date.now();
          const a = makeTask({ created_at: isoAgo(3000, now) });
          const b = makeTask({ created_at: isoAgo(2000, now) });
          const c = makeTask({ created_at: isoAgo(1000, now) });
          for (const t of [a, b, c]) await tasks.insert(t);
          await tasks.claimNext(claim({ now, leaseMs: 3000 }));
          await tasks.claimNext(claim({ now, leaseMs: 1000 }));
          assert.deepEqual(
            (await tasks.expiredLeases(now + 3000)).map((t) => t.id),
            [b.id, a.id],
          );
          assert.deepEqual(
            (await tasks.expiredLeases(now + 1000)).map((t) => t.id),
            [b.id],
          );
        }),
      );
      test(
        'a task inserted running with leaseExpiresMs holds that lease; a queued one ignores it',
        withStore(async (tasks) => {
          const now = Date.now();
          const running = makeTask({
            status: 'running',
            node_id: 'holder',
            attempt: 1,
            started_at: new Date(now).toISOString(),
          });
          await tasks.insert(running, { leaseExpiresMs: now + 1000 });
          const queued = makeTask();
          await tasks.insert(queued, { leaseExpiresMs: now + 1000 });
          assert.deepEqual(await tasks.expiredLeases(now + 999), []);
          assert.deepEqual(
            (await tasks.expiredLeases(now + 1000)).map((t) => t.id),
            [running.id],
          );
          assert.equal(await tasks.renewLease(running.id, 'holder', 5000, now + 500), true);
          assert.deepEqual(await tasks.expiredLeases(now + 1000), []);
          assert.equal((await tasks.claimNext(claim({ now })))?.id, queued.id, 'the queued one is claimable');
        }),
      );
    });

    describe('onCommitted', () => {
      test(
        'is called once, before insert resolves, with the result, and the row is readable by then',
        withStore(async (tasks) => {
          const t = makeTask({ idempotency_key: 'once' });
          const calls: Array<{ created: boolean; id: string; readable: Promise<Task | null> }> = [];
          let resolved = false;
          const res = await tasks.insert(t, {
            onCommitted: (r) => {
              assert.equal(resolved, false, 'called before the promise resolves');
              calls.push({ created: r.created, id: r.task.id, readable: tasks.get(r.task.id) });
            },
          });
          resolved = true;
          assert.equal(calls.length, 1);
          assert.equal(calls[0]!.created, true);
          assert.equal(calls[0]!.id, res.task.id);
          assert.equal((await calls[0]!.readable)?.id, t.id);
          // A repeated key: called with the existing task and created false.
          const seen: boolean[] = [];
          const again = await tasks.insert(makeTask({ idempotency_key: 'once' }), {
            onCommitted: (r) => seen.push(r.created),
          });
          assert.equal(again.task.id, t.id);
          assert.deepEqual(seen, [false]);
        }),
      );

      test(
        'is not called for an insert that fails',
        withStore(async (tasks) => {
          const t = makeTask();
          await tasks.insert(t);
          let called = 0;
          await assert.rejects(
            tasks.insert({ ...t, task: 'other' }, { onCommitted: () => called++ }),
            hasCode('GW_ERR_TASK_INVALID'),
          );
          assert.equal(called, 0);
        }),
      );
    });

    describe('counts, logs and dependents', () => {
      test(
        'counts every status, zeros included',
        withStore(async (tasks) => {
          await tasks.insert(makeTask());
          await tasks.insert(makeTask());
          await tasks.insert(makeTask({ status: 'failed' }));
          const counts = await tasks.countByStatus();
          assert.deepEqual(Object.keys(counts).sort(), [...TASK_STATUSES].sort());
          assert.equal(counts.queued, 2);
          assert.equal(counts.failed, 1);
          assert.equal(counts.running, 0);
        }),
      );

      test(
        'keeps log lines in append order and refuses lines for unknown tasks',
        withStore(async (tasks) => {
          const t = makeTask();
          await tasks.insert(t);
          const lines = Array.from({ length: 5 }, (_, i) => ({
            ts: new Date(Date.now() + i).toISOString(),
            level: i === 3 ? ('error' as const) : ('info' as const),
            message: `step ${i} ✓`,
          }));
          for (const l of lines) await tasks.appendLog(t.id, l);
          assert.deepEqual(await tasks.logs(t.id), lines);
          assert.deepEqual(await tasks.logs('missing'), []);
          await assert.rejects(
            tasks.appendLog('missing', { ts: new Date().toISOString(), level: 'info', message: 'x' }),
            hasCode('GW_ERR_TASK_NOT_FOUND'),
          );
          const bad = { ts: 'now', level: 'loud', message: 'x' } as unknown as Parameters<
            TaskStore['appendLog']
          >[1];
          await assert.rejects(tasks.appendLog(t.id, bad), hasCode('GW_ERR_TASK_INVALID'));
        }),
      );

      test(
        'finds the tasks that depend on a task',
        withStore(async (tasks) => {
          const parent = makeTask();
          const other = makeTask();
          const c1 = makeTask({ status: 'waiting', depends_on: [parent.id] });
          const c2 = makeTask({ status: 'waiting', depends_on: [other.id, parent.id] });
          const unrelated = makeTask({ status: 'waiting', depends_on: [other.id] });
          for (const t of [parent, other, c1, c2, unrelated]) await tasks.insert(t);
          assert.deepEqual(
            (await tasks.dependents(parent.id)).map((t) => t.id),
            [c1.id, c2.id],
          );
          assert.deepEqual(
            (await tasks.dependents(other.id)).map((t) => t.id),
            [c2.id, unrelated.id],
          );
          assert.deepEqual(await tasks.dependents(c1.id), []);
          assert.deepEqual((await tasks.dependents(parent.id))[1]?.depends_on, [other.id, parent.id]);
        }),
      );
    });
  });
}
