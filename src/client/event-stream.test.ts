import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { EventStream } from './event-stream.js';

const frame = (event: string, seq: number) => ({ type: 'event' as const, event, seq, payload: { seq } });

describe('EventStream', () => {
  test('delivers each seq once and drops replayed ones', () => {
    const s = new EventStream();
    const got: number[] = [];
    const emit = (_n: string, _p: unknown, seq: number) => got.push(seq);
    assert.equal(s.deliver(frame('a', 1), emit), true);
    assert.equal(s.deliver(frame('a', 2), emit), true);
    assert.equal(s.deliver(frame('a', 1), emit), false);
    assert.equal(s.deliver(frame('a', 2), emit), false);
    assert.equal(s.deliver(frame('a', 3), emit), true);
    assert.deepEqual(got, [1, 2, 3]);
    assert.equal(s.lastSeq, 3);
  });

  test('delivers seq 0 of a gateway that numbers from 0, and seq 1 again after reset()', () => {
    const s = new EventStream();
    const got: number[] = [];
    const emit = (_n: string, _p: unknown, seq: number) => got.push(seq);
    s.deliver(frame('a', 0), emit);
    s.deliver(frame('a', 1), emit);
    s.reset();
    assert.equal(s.lastSeq, undefined);
    s.deliver(frame('a', 1), emit);
    assert.deepEqual(got, [0, 1, 1]);
  });

  test('per-name handlers see only their name, and a self-unsubscribing handler does not skip others', () => {
    const s = new EventStream();
    const calls: string[] = [];
    const off = s.subscribe('x', () => {
      calls.push('first');
      off();
    });
    s.subscribe('x', () => calls.push('second'));
    s.subscribe('y', () => calls.push('y'));
    s.deliver(frame('x', 1), () => {});
    s.deliver(frame('x', 2), () => {});
    assert.deepEqual(calls, ['first', 'second', 'second']);
  });
});
