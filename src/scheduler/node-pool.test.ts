/** @module NodePool: slots held per node, including tasks the gateway waits for a node to stop. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NodePool, type NodeHandle } from './node-pool.js';

function handle(id: string, concurrency = 2): NodeHandle {
  return {
    id,
    capabilities: ['echo'],
    tags: [],
    concurrency,
    connectedAt: new Date(),
    local: false,
    send: () => {},
    close: () => {},
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('NodePool', () => {
  test('a task being stopped takes its slot but is no live assignment, on that node only', () => {
    const pool = new NodePool();
    pool.add(handle('a'));
    pool.add(handle('b'));
    pool.holdUntilStopped('a', 't1', 60_000, () => {});
    pool.hold('b', 't1'); // re-queued and given to b while a still runs its old copy
    assert.equal(pool.assigned('a', 't1'), false);
    assert.equal(pool.assigned('b', 't1'), true, 'a stop awaited on a does not concern b');
    assert.equal(pool.freeSlots('a'), 1);
    assert.equal(pool.heldCount, 2);
    pool.release('a', 't1'); // a reported its copy over
    assert.equal(pool.freeSlots('a'), 2);
    assert.equal(pool.assigned('b', 't1'), true);
    pool.clearTimers();
  });

  test('the stop timer frees the slot and calls back; a release before it cancels it', async () => {
    const pool = new NodePool();
    pool.add(handle('a'));
    let freed = 0;
    pool.holdUntilStopped('a', 't1', 30, () => freed++);
    pool.holdUntilStopped('a', 't2', 30, () => freed++);
    pool.release('a', 't2');
    await sleep(80);
    assert.equal(freed, 1, 'only the one the node never reported');
    assert.equal(pool.freeSlots('a'), 2);
  });

  test('a new assignment of the same task ends the wait for its old copy', async () => {
    const pool = new NodePool();
    pool.add(handle('a'));
    let freed = 0;
    pool.holdUntilStopped('a', 't1', 30, () => freed++);
    pool.hold('a', 't1');
    assert.equal(pool.assigned('a', 't1'), true);
    await sleep(80);
    assert.equal(freed, 0);
    assert.equal(pool.freeSlots('a'), 1, 'the new assignment keeps its slot');
  });

  test('a node that leaves drops its timers; a timer of its old entry never frees the new one', async () => {
    const pool = new NodePool();
    const first = handle('a');
    pool.add(first);
    let freed = 0;
    pool.holdUntilStopped('a', 't1', 30, () => freed++);
    assert.equal(pool.remove(first), true);
    pool.add(handle('a'));
    pool.hold('a', 't1'); // it reconnected still running t1, re-attached
    await sleep(80);
    assert.equal(freed, 0);
    assert.equal(pool.assigned('a', 't1'), true);
    // A node that is not connected holds nothing.
    pool.holdUntilStopped('gone', 't9', 10, () => freed++);
    await sleep(30);
    assert.equal(freed, 0);
    assert.equal(pool.freeSlots('gone'), 0);
  });
});
