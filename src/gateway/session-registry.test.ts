import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { SessionRegistry } from './session-registry.js';

describe('SessionRegistry', () => {
  test('numbers events per session from 1 and replays what a client missed, in order', () => {
    const reg = new SessionRegistry({ replayBuffer: 10, ttlMs: 60_000 });
    const s = reg.create('token:a');
    const seen: number[] = [];
    s.sink = { send: (f) => seen.push(f.seq) };
    s.emit('x', 1);
    s.emit('x', 2);
    reg.detach(s);
    s.emit('x', 3);
    s.emit('x', 4);
    assert.deepEqual(seen, [1, 2], 'nothing is delivered while detached');
    const back = reg.resume(s.id, 'token:a');
    assert.equal(back, s);
    assert.deepEqual(
      s.eventsAfter(2)?.map((f) => f.seq),
      [3, 4],
    );
    assert.deepEqual(s.eventsAfter(4), []);
    reg.closeAll();
  });

  test('says so (null) when missed events already left the buffer', () => {
    const reg = new SessionRegistry({ replayBuffer: 3, ttlMs: 60_000 });
    const s = reg.create('p');
    for (let i = 0; i < 6; i++) s.emit('x');
    assert.equal(s.eventsAfter(1), null, 'seq 2 and 3 are gone');
    assert.deepEqual(
      s.eventsAfter(3)?.map((f) => f.seq),
      [4, 5, 6],
    );
    assert.equal(s.eventsAfter(9), null, 'a seq from the future is not ours');
    reg.closeAll();
  });

  test('resumes only for the same principal, and only within the TTL', async () => {
    const expired: string[] = [];
    const reg = new SessionRegistry({ replayBuffer: 10, ttlMs: 30 });
    reg.onExpire((s) => expired.push(s.id));
    const s = reg.create('token:a');
    reg.detach(s);
    assert.equal(reg.resume(s.id, 'token:b'), null);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(reg.resume(s.id, 'token:a'), null);
    assert.deepEqual(expired, [s.id]);
  });
});
