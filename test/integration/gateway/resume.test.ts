/**
 * @module Session resume against a real gateway: events missed during a short disconnect are replayed
 * in seq order without gaps; an unknown, foreign or overflowed session answers `resumed: false`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Cleanup,
  operator,
  sleep,
  startTestGateway,
  type Frame,
  type RawClient,
  type TestGateway,
} from './support/harness.js';

/** Three events per echo task (queued, running, succeeded): ten fit three missed tasks, not four. */
const CONFIG = `
gateway:
  websocket:
    replay_buffer: 10
    session_ttl: 30
`;

const isUpdate = (f: Frame) => f.type === 'event' && f.event === 'task.updated';

describe('resume after a short disconnect', () => {
  const cleanup = new Cleanup();
  let gw: TestGateway;
  let opToken: string;
  before(async () => {
    gw = await startTestGateway(cleanup, { config: CONFIG });
    opToken = gw.token('operator');
  });
  after(() => cleanup.run());

  /** Submits echo tasks through a separate client and waits until all of them succeeded. */
  async function runTasksElsewhere(n: number): Promise<string[]> {
    const { client } = await operator(gw.wsUrl, opToken, cleanup);
    assert.equal((await client.request('task.subscribe', {})).ok, true);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await client.request('task.submit', { skill: 'echo', args: { message: `m${i}` } });
      assert.equal(res.ok, true, JSON.stringify(res));
      ids.push(res.payload.id as string);
    }
    for (const id of ids) {
      await client.waitFor(
        (f) => isUpdate(f) && f.payload.id === id && f.payload.status === 'succeeded',
        15_000,
      );
    }
    client.close();
    return ids;
  }

  /** A subscribed operator session that has seen at least one event; returns it and its last seq. */
  async function subscribedSession(): Promise<{ client: RawClient; session: string; lastSeq: number }> {
    const { client, hello } = await operator(gw.wsUrl, opToken, cleanup);
    assert.equal((await client.request('task.subscribe', {})).ok, true);
    const res = await client.request('task.submit', { skill: 'echo', args: { message: 'before' } });
    const id = res.payload.id as string;
    await client.waitFor(
      (f) => isUpdate(f) && f.payload.id === id && f.payload.status === 'succeeded',
      15_000,
    );
    const seqs = client.frames.filter((f) => f.type === 'event').map((f) => f.seq as number);
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => i + 1),
      'live seq starts at 1 and increases by one',
    );
    return { client, session: hello.payload.session.id as string, lastSeq: Math.max(...seqs) };
  }

  async function dropped(client: RawClient): Promise<void> {
    client.ws.terminate(); // no close handshake: like a network drop
    await client.closed;
  }

  test('missed task.updated events are replayed in seq order without gaps, then live events continue', async () => {
    const { client, session, lastSeq } = await subscribedSession();
    await dropped(client);
    const ids = await runTasksElsewhere(3);

    const { client: back, hello } = await operator(gw.wsUrl, opToken, cleanup, {
      resume: { session, last_seq: lastSeq },
    });
    assert.equal(hello.payload.session.resumed, true);
    assert.equal(hello.payload.session.id, session);
    await back.waitFor((f) => isUpdate(f) && f.payload.id === ids[2] && f.payload.status === 'succeeded');
    const replayed = back.frames.filter((f) => f.type === 'event');
    // The response comes first, then the replay.
    assert.equal(back.frames[0]?.type, 'res');
    assert.deepEqual(
      replayed.map((f) => f.seq),
      replayed.map((_, i) => lastSeq + 1 + i),
      'replayed seqs continue right after last_seq, one by one',
    );
    for (const id of ids) {
      const statuses = replayed
        .filter((f) => isUpdate(f) && f.payload.id === id)
        .map((f) => f.payload.status);
      // A task that found the local node free was stored running; one that did not queued first.
      assert.deepEqual(
        statuses[0] === 'queued' ? statuses : ['queued', ...statuses],
        ['queued', 'running', 'succeeded'],
        `events of ${id} in order: ${statuses.join(', ')}`,
      );
    }

    // The resumed session is the live one: the next event carries the next seq.
    const top = replayed[replayed.length - 1]!.seq as number;
    const sub = await back.request('task.submit', { skill: 'echo', args: { message: 'after' } });
    const next = await back.waitFor((f) => isUpdate(f) && f.payload.id === sub.payload.id);
    assert.equal(next.seq, top + 1);
    await back.waitFor(
      (f) => isUpdate(f) && f.payload.id === sub.payload.id && f.payload.status === 'succeeded',
    );
    back.close();
  });

  test('resuming with last_seq equal to the newest seq replays nothing and is still resumed', async () => {
    const { client, session, lastSeq } = await subscribedSession();
    await dropped(client);
    const { client: back, hello } = await operator(gw.wsUrl, opToken, cleanup, {
      resume: { session, last_seq: lastSeq },
    });
    assert.equal(hello.payload.session.resumed, true);
    await sleep(200);
    assert.equal(back.frames.filter((f) => f.type === 'event').length, 0);
    back.close();
  });

  test('an unknown session gives resumed: false and a fresh session', async () => {
    const { client, hello } = await operator(gw.wsUrl, opToken, cleanup, {
      resume: { session: 'no-such-session', last_seq: 5 },
    });
    assert.equal(hello.payload.session.resumed, false);
    assert.notEqual(hello.payload.session.id, 'no-such-session');
    assert.equal((await client.request('health', {})).ok, true);
    client.close();
  });

  test('another credential cannot take over a session: resumed: false', async () => {
    const { client, session, lastSeq } = await subscribedSession();
    await dropped(client);
    const other = gw.token('operator');
    const { client: thief, hello } = await operator(gw.wsUrl, other, cleanup, {
      resume: { session, last_seq: lastSeq },
    });
    assert.equal(hello.payload.session.resumed, false);
    assert.notEqual(hello.payload.session.id, session);
    thief.close();
  });

  test('missed events beyond replay_buffer give resumed: false (the client must refetch)', async () => {
    const { client, session, lastSeq } = await subscribedSession();
    await dropped(client);
    await runTasksElsewhere(6); // at least 12 events (2 or 3 per task) > replay_buffer 10
    const { client: back, hello } = await operator(gw.wsUrl, opToken, cleanup, {
      resume: { session, last_seq: lastSeq },
    });
    assert.equal(hello.payload.session.resumed, false);
    assert.notEqual(hello.payload.session.id, session);
    await sleep(200);
    assert.equal(back.frames.filter((f) => f.type === 'event').length, 0, 'no partial replay with a gap');
    back.close();
  });

  test('resuming while the old socket is still half-open keeps the new connection live after the old one closes', async () => {
    // The client noticed the drop first and reconnected; the gateway learns of the old socket only later.
    const { client: old, session, lastSeq } = await subscribedSession();
    const { client: back, hello } = await operator(gw.wsUrl, opToken, cleanup, {
      resume: { session, last_seq: lastSeq },
    });
    assert.equal(hello.payload.session.resumed, true);
    await dropped(old);
    await sleep(100);
    const ids = await runTasksElsewhere(1);
    const done = await back.waitFor(
      (f) => isUpdate(f) && f.payload.id === ids[0] && f.payload.status === 'succeeded',
      5000,
    );
    assert.equal(done.payload.status, 'succeeded');
    back.close();
  });

  test('a last_seq from the future gives resumed: false', async () => {
    const { client, session, lastSeq } = await subscribedSession();
    await dropped(client);
    const { client: back, hello } = await operator(gw.wsUrl, opToken, cleanup, {
      resume: { session, last_seq: lastSeq + 100 },
    });
    assert.equal(hello.payload.session.resumed, false);
    back.close();
  });
});
