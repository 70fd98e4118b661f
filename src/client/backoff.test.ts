import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { computeBackoffMs } from './backoff.js';

const fixed = (r: number) => () => r;

describe('computeBackoffMs', () => {
  test('without jitter doubles from the initial delay and stops at the cap (seed defaults)', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => computeBackoffMs(n, { jitter: false }));
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  });

  test('never exceeds maxDelayMs, even for huge attempts where the power overflows', () => {
    for (const attempt of [50, 1100, Number.MAX_SAFE_INTEGER]) {
      for (const jitter of [false, true, 'full'] as const) {
        const d = computeBackoffMs(attempt, { maxDelayMs: 5000, jitter }, fixed(0.999999));
        assert.ok(d <= 5000 && d >= 0, `attempt ${attempt} jitter ${jitter} gave ${d}`);
      }
    }
    assert.equal(computeBackoffMs(2000, { jitter: false }), 60000);
  });

  test('equal jitter (the default) stays within [d/2, d]', () => {
    assert.equal(computeBackoffMs(3, {}, fixed(0)), 2000);
    assert.equal(computeBackoffMs(3, {}, fixed(0.5)), 3000);
    assert.equal(computeBackoffMs(3, {}, fixed(0.9999)), 4000);
    for (let i = 0; i < 500; i++) {
      const d = computeBackoffMs(4, { initialDelayMs: 100 });
      assert.ok(d >= 400 && d <= 800, `got ${d}`);
    }
  });

  test('full jitter spreads over [0, d] and actually varies', () => {
    assert.equal(computeBackoffMs(2, { jitter: 'full' }, fixed(0)), 0);
    assert.equal(computeBackoffMs(2, { jitter: 'full' }, fixed(0.25)), 500);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const d = computeBackoffMs(5, { initialDelayMs: 1000, jitter: 'full' });
      assert.ok(d >= 0 && d <= 16000);
      seen.add(d);
    }
    assert.ok(seen.size > 50, 'jitter must randomise the delay');
  });

  test('a random source outside [0, 1) cannot push the delay out of bounds', () => {
    assert.equal(computeBackoffMs(1, {}, fixed(7)), 1000);
    assert.equal(computeBackoffMs(1, {}, fixed(-3)), 500);
  });

  test('attempts below 1 or not finite count as the first retry', () => {
    assert.equal(computeBackoffMs(0, { jitter: false }), 1000);
    assert.equal(computeBackoffMs(-4, { jitter: false }), 1000);
    assert.equal(computeBackoffMs(Number.NaN, { jitter: false }), 1000);
  });

  test('honours custom initial delay, multiplier and a cap below the initial delay', () => {
    assert.equal(computeBackoffMs(3, { initialDelayMs: 10, multiplier: 3, jitter: false }), 90);
    assert.equal(computeBackoffMs(1, { initialDelayMs: 500, maxDelayMs: 200, jitter: false }), 200);
    assert.equal(computeBackoffMs(9, { initialDelayMs: 250, multiplier: 1, jitter: false }), 250);
  });

  test('rejects nonsense options instead of returning NaN', () => {
    assert.throws(() => computeBackoffMs(1, { multiplier: 0.5 }), RangeError);
    assert.throws(() => computeBackoffMs(1, { initialDelayMs: -1 }), RangeError);
    assert.throws(() => computeBackoffMs(1, { maxDelayMs: Number.NaN }), RangeError);
  });
});
