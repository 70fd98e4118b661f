import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthThrottle, throttleKey } from './auth-throttle.js';

function clocked(options: ConstructorParameters<typeof AuthThrottle>[0] = {}) {
  let now = 1_000_000;
  const throttle = new AuthThrottle({ ...options, now: () => now });
  return {
    throttle,
    advance(ms: number) {
      now += ms;
    },
    fail(addr: string, times = 1) {
      for (let i = 0; i < times; i++) throttle.recordFailure(addr);
    },
  };
}

describe('AuthThrottle', () => {
  test('allows up to maxFailures - 1 failures, blocks on the maxFailures-th for baseBlockMs', () => {
    const { throttle, advance, fail } = clocked();
    fail('10.0.0.1', 4);
    assert.deepEqual(throttle.check('10.0.0.1'), { allowed: true });
    assert.deepEqual(throttle.recordFailure('10.0.0.1'), { allowed: false, retryAfterMs: 1000 });
    assert.deepEqual(throttle.check('10.0.0.1'), { allowed: false, retryAfterMs: 1000 });
    advance(400);
    assert.deepEqual(throttle.check('10.0.0.1'), { allowed: false, retryAfterMs: 600 });
    advance(600);
    assert.deepEqual(throttle.check('10.0.0.1'), { allowed: true });
  });

  test('other addresses are unaffected by one address being blocked', () => {
    const { throttle, fail } = clocked();
    fail('10.0.0.1', 5);
    assert.equal(throttle.check('10.0.0.1').allowed, false);
    assert.deepEqual(throttle.check('10.0.0.2'), { allowed: true });
  });

  test('each further failure doubles the block, up to maxBlockMs', () => {
    const { throttle, advance } = clocked({ maxFailures: 3, baseBlockMs: 1000, maxBlockMs: 10_000 });
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) {
      const d = throttle.recordFailure('a');
      if (!d.allowed) {
        seen.push(d.retryAfterMs);
        // The caller refuses attempts while blocked, so the next failure comes after the block.
        advance(d.retryAfterMs);
      }
    }
    assert.deepEqual(seen, [1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  test('a success clears the history at once', () => {
    const { throttle, fail } = clocked();
    fail('a', 7);
    assert.equal(throttle.check('a').allowed, false);
    throttle.recordSuccess('a');
    assert.deepEqual(throttle.check('a'), { allowed: true });
    assert.equal(throttle.size, 0);
    fail('a', 4);
    assert.deepEqual(throttle.check('a'), { allowed: true }, 'counting restarts from zero');
  });

  test('failures below the threshold are forgotten after the window', () => {
    const { throttle, advance, fail } = clocked({ windowMs: 60_000 });
    fail('a', 4);
    advance(59_999);
    assert.deepEqual(
      throttle.recordFailure('a'),
      { allowed: false, retryAfterMs: 1000 },
      'still in the window',
    );

    const b = clocked({ windowMs: 60_000 });
    b.fail('b', 4);
    b.advance(60_000);
    assert.deepEqual(b.throttle.recordFailure('b'), { allowed: true }, 'window over: counting anew');
    assert.equal(b.throttle.size, 1);
  });

  test('after a block the history is kept for a window, so the next failure escalates', () => {
    const { throttle, advance, fail } = clocked({ windowMs: 60_000, baseBlockMs: 1000 });
    fail('a', 5);
    advance(1000 + 59_999);
    assert.deepEqual(throttle.recordFailure('a'), { allowed: false, retryAfterMs: 2000 });
  });

  test('recovers fully once an address has been quiet for a window after its block', () => {
    const { throttle, advance, fail } = clocked({ windowMs: 60_000, baseBlockMs: 1000 });
    fail('a', 6);
    advance(2000 + 60_000);
    assert.deepEqual(throttle.check('a'), { allowed: true });
    assert.equal(throttle.size, 0, 'the entry was dropped');
    fail('a', 4);
    assert.deepEqual(throttle.check('a'), { allowed: true });
  });

  test('loopback addresses are throttled like any other', () => {
    const { throttle, fail } = clocked();
    for (const addr of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      fail(addr, 5);
      assert.equal(throttle.check(addr).allowed, false, addr);
    }
  });

  test('tracks at most maxTracked addresses, forgetting the least recently failing', () => {
    const { throttle, fail } = clocked({ maxTracked: 3 });
    fail('a', 5);
    fail('b', 1);
    fail('c', 1);
    fail('a', 1); // refreshes a
    fail('d', 1); // evicts b, the stalest
    assert.equal(throttle.size, 3);
    assert.equal(throttle.check('a').allowed, false, 'the attacker that keeps failing stays tracked');
    fail('b', 4);
    assert.deepEqual(throttle.check('b'), { allowed: true }, 'b was forgotten and counts from zero');
    for (let i = 0; i < 10_000; i++) throttle.recordFailure(`flood-${i}`);
    assert.equal(throttle.size, 3);
  });

  test('groups IPv6 addresses by /64 and IPv4-mapped addresses with their IPv4 form', () => {
    const { throttle } = clocked();
    for (let i = 1; i <= 5; i++) throttle.recordFailure(`2001:db8:1:2::${i.toString(16)}`);
    assert.equal(throttle.check('2001:db8:1:2:ffff:ffff:ffff:ffff').allowed, false);
    assert.equal(throttle.check('2001:db8:1:3::1').allowed, true);
    for (let i = 0; i < 3; i++) throttle.recordFailure('::ffff:192.0.2.7');
    for (let i = 0; i < 2; i++) throttle.recordFailure('192.0.2.7');
    assert.equal(throttle.check('192.0.2.7').allowed, false);
  });

  test('rejects nonsensical options', () => {
    assert.throws(() => new AuthThrottle({ maxFailures: 0 }), /maxFailures/);
    assert.throws(() => new AuthThrottle({ windowMs: -1 }), /windowMs/);
    assert.throws(() => new AuthThrottle({ maxTracked: 1.5 }), /maxTracked/);
  });
});

describe('throttleKey', () => {
  test('normalises the address forms a socket or proxy header may carry', () => {
    assert.equal(throttleKey('192.0.2.1'), '192.0.2.1');
    assert.equal(throttleKey('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(throttleKey('::FFFF:c000:0201'), '192.0.2.1');
    assert.equal(throttleKey('2001:DB8::1'), '2001:db8:0:0:0:0:0:0/64');
    assert.equal(throttleKey('[2001:db8:aaaa:bbbb:1:2:3:4]'), '2001:db8:aaaa:bbbb:0:0:0:0/64');
    assert.equal(throttleKey('fe80::1%eth0'), 'fe80:0:0:0:0:0:0:0/64');
    assert.equal(throttleKey('::1', 128), '0:0:0:0:0:0:0:1/128');
    assert.equal(throttleKey('2001:db8:abcd:ef12::', 56), '2001:db8:abcd:ef00:0:0:0:0/56');
    assert.equal(throttleKey(undefined), 'unknown');
    assert.equal(throttleKey(''), 'unknown');
    assert.equal(throttleKey('not-an-ip'), 'not-an-ip');
  });
});
