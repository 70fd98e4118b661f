/** @module Tests of the per-provider limiter: windows, concurrency, FIFO fairness, bounds and cooldowns. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../protocol/index.js';
import { ProviderLimiter } from './rate-limiter.js';

const W = 200;

describe('ProviderLimiter', () => {
  test('admits at most R requests per window, counting from the end of each call', async () => {
    const lim = new ProviderLimiter({ provider: 'p', requestsPerWindow: 2, windowMs: W });
    const t0 = Date.now();
    const admitted: number[] = [];
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        const p = await lim.acquire(1);
        admitted.push(Date.now() - t0);
        p.release(1);
      }),
    );
    admitted.sort((a, b) => a - b);
    assert.equal(admitted.length, 5);
    // 2 at once, 2 one window later, 1 two windows later.
    assert.ok(admitted[1]! < W / 2 && admitted[2]! >= W && admitted[4]! >= 2 * W, JSON.stringify(admitted));
  });

  test('reserves the estimate against tokens per window and corrects it to the real count', async () => {
    const lim = new ProviderLimiter({ provider: 'p', tokensPerWindow: 100, windowMs: W });
    const a = await lim.acquire(60);
    let secondAt = 0;
    const t0 = Date.now();
    const second = lim.acquire(60).then((p) => {
      secondAt = Date.now() - t0;
      return p;
    });
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(secondAt, 0, 'the reservation of 60 + 60 exceeds 100');
    a.release(10); // the real usage was much lower: 10 + 60 fits now
    (await second).release(60);
    assert.ok(secondAt >= 25 && secondAt < W, `second admitted at ${secondAt}`);
  });

  test('lets a request larger than the whole budget through alone, into an empty window', async () => {
    const lim = new ProviderLimiter({ provider: 'p', tokensPerWindow: 100, windowMs: W });
    const big = await lim.acquire(500);
    big.release(500);
    const t0 = Date.now();
    (await lim.acquire(10)).release(10);
    assert.ok(Date.now() - t0 >= W - 5, 'the next call waits for the big one to leave the window');
  });

  test('caps concurrent calls per key and spreads calls over several keys', async () => {
    const lim = new ProviderLimiter({ provider: 'p', keys: 2, maxConcurrent: 1 });
    const a = await lim.acquire(1);
    const b = await lim.acquire(1);
    assert.notEqual(a.keyIndex, b.keyIndex);
    let third = false;
    const c = lim.acquire(1).then((p) => {
      third = true;
      return p;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(third, false);
    assert.equal(lim.inFlight, 2);
    b.release(1);
    const p = await c;
    assert.equal(p.keyIndex, b.keyIndex);
    a.release(1);
    p.release(1);
    assert.equal(lim.inFlight, 0);
  });

  test('serves waiters first come, first served, and lets a retry keep its place', async () => {
    const lim = new ProviderLimiter({ provider: 'p', maxConcurrent: 1 });
    const first = await lim.acquire(1);
    const order: string[] = [];
    const waits = ['a', 'b', 'c'].map((n) => lim.acquire(1).then((p) => (order.push(n), p.release(1))));
    const retry = lim.acquire(1, { ticket: first.ticket }).then((p) => (order.push('retry'), p.release(1)));
    first.release(1);
    await Promise.all([...waits, retry]);
    assert.deepEqual(order, ['retry', 'a', 'b', 'c']);
  });

  test('refuses callers beyond max_queue with GW_ERR_LLM_QUEUE_FULL', async () => {
    const lim = new ProviderLimiter({ provider: 'p', maxConcurrent: 1, maxQueue: 2 });
    const held = await lim.acquire(1);
    const queued = [lim.acquire(1), lim.acquire(1)];
    await assert.rejects(
      lim.acquire(1),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_LLM_QUEUE_FULL',
    );
    held.release(1);
    for (const q of queued) (await q).release(1);
  });

  test('gives up after the queue timeout and on abort, and the queue moves on', async () => {
    const lim = new ProviderLimiter({ provider: 'p', maxConcurrent: 1 });
    const held = await lim.acquire(1);
    await assert.rejects(
      lim.acquire(1, { timeoutMs: 50 }),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_LLM_QUEUE_TIMEOUT',
    );
    const ac = new AbortController();
    const aborted = lim.acquire(1, { signal: ac.signal });
    ac.abort(new Error('cancelled'));
    await assert.rejects(aborted, /cancelled/);
    assert.equal(lim.queued, 0);
    held.release(1);
    (await lim.acquire(1)).release(1);
  });

  test('blocks a key during a cooldown (Retry-After) and wakes up when it ends', async () => {
    const lim = new ProviderLimiter({ provider: 'p' });
    lim.cooldown(0, Date.now() + 120);
    const t0 = Date.now();
    (await lim.acquire(1)).release(1);
    assert.ok(Date.now() - t0 >= 115, `waited ${Date.now() - t0} ms`);
  });

  test('close rejects waiting calls', async () => {
    const lim = new ProviderLimiter({ provider: 'p', maxConcurrent: 1 });
    const held = await lim.acquire(1);
    const waiting = lim.acquire(1);
    lim.close(new GatewayError('GW_ERR_GATEWAY_DRAINING'));
    await assert.rejects(
      waiting,
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_GATEWAY_DRAINING',
    );
    await assert.rejects(lim.acquire(1), (e: unknown) => e instanceof GatewayError);
    held.release(1);
  });
});
