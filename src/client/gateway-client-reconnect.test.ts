import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../protocol/index.js';
import { nextEmit, sleep, startPair, waitFor } from './test-support/fixture.js';

const fast = { initialDelayMs: 20, maxDelayMs: 1000, multiplier: 2, jitter: false } as const;

describe('GatewayClient reconnect', () => {
  test('reconnects with growing delays and resumes with the missed events in order, once each', async (t) => {
    const { gw, client } = await startPair(t, { replayOverlap: 2 }, { reconnect: fast });
    const seqs: number[] = [];
    const names: string[] = [];
    client.on('event', (name, _payload, seq) => {
      names.push(name);
      seqs.push(seq);
    });
    const first = await client.connect();
    gw.emitEvent('e1');
    gw.emitEvent('e2');
    await waitFor(() => seqs.length === 2, 'the first two events');

    const disconnected = nextEmit(client, 'disconnected');
    const reconnected = nextEmit(client, 'reconnected');
    const delays: number[] = [];
    const at: number[] = [];
    client.on('reconnecting', ({ attempt, delayMs }) => {
      delays.push(delayMs);
      at.push(Date.now());
      // two refused attempts, then the gateway is back
      if (attempt === 3) gw.refuseUpgrades = false;
    });
    gw.refuseUpgrades = true;
    gw.dropAll();
    const [info] = await disconnected;
    assert.equal(info.code, 1006);
    // events the client misses while away, kept in the session's replay buffer
    gw.emitEvent('e3');
    gw.emitEvent('e4');
    gw.emitEvent('e5');

    const [result] = await reconnected;
    assert.deepEqual(delays, [20, 40, 80]);
    const gaps = at.slice(1).map((x, i) => x - (at[i] ?? x));
    assert.ok((gaps[0] ?? 0) >= 15 && (gaps[1] ?? 0) >= 35, `attempts came too fast: ${gaps.join(', ')}`);
    assert.equal(result.session.resumed, true);
    assert.equal(result.session.id, first.session.id);
    assert.deepEqual(gw.connects.at(-1)?.params.resume, { session: first.session.id, last_seq: 2 });

    await waitFor(() => seqs.length >= 5, 'the replayed events');
    gw.emitEvent('e6');
    await waitFor(() => seqs.length >= 6, 'a live event after the resume');
    await sleep(30);
    // the server replayed e1 and e2 again (replayOverlap); they must not be delivered twice
    assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(names, ['e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
    assert.equal(client.lastSeq, 6);
    assert.equal(client.state, 'open');
  });

  test('a resume the gateway cannot honour starts a fresh session whose events are not dropped', async (t) => {
    const { gw, client } = await startPair(t, { replayBuffer: 1 }, { reconnect: fast });
    const seqs: number[] = [];
    client.on('event', (_n, _p, seq) => seqs.push(seq));
    const first = await client.connect();
    gw.emitEvent('a');
    gw.emitEvent('b');
    await waitFor(() => seqs.length === 2, 'two events');
    gw.refuseUpgrades = true;
    gw.dropAll();
    await nextEmit(client, 'disconnected');
    gw.emitEvent('c'); // seq 3 and 4: seq 3 falls out of the one-event buffer
    gw.emitEvent('d');
    gw.refuseUpgrades = false;
    const [result] = await nextEmit(client, 'reconnected');
    assert.equal(result.session.resumed, false);
    assert.notEqual(result.session.id, first.session.id);
    gw.emitEvent('fresh'); // seq 1 of the new session, below the old lastSeq
    await waitFor(() => seqs.length === 3, 'the first event of the new session');
    assert.deepEqual(seqs, [1, 2, 1]);
  });

  test('pending requests reject with a retryable GW_ERR_GATEWAY_UNREACHABLE when the socket drops', async (t) => {
    const { gw, client } = await startPair(t, {}, { reconnect: fast });
    let received = false;
    gw.handle('slow', () => {
      received = true;
      return new Promise(() => {});
    });
    await client.connect();
    const pending = client.request('slow', {}, { timeoutMs: 5000 });
    await waitFor(() => received, 'the request to reach the server');
    const started = Date.now();
    gw.dropAll();
    await assert.rejects(pending, (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.equal(err.code, 'GW_ERR_GATEWAY_UNREACHABLE');
      assert.equal(err.retryable, true);
      return true;
    });
    assert.ok(Date.now() - started < 1000, 'must not wait for the request timeout');
    await nextEmit(client, 'reconnected');
  });

  for (const [code, expected] of [
    [4401, 'GW_ERR_AUTH_INVALID'],
    [4403, 'GW_ERR_AUTH_FORBIDDEN_ROLE'],
    [4400, 'GW_ERR_PROTOCOL_VERSION'],
  ] as const) {
    test(`close code ${code} is fatal: ${expected}, no reconnect`, async (t) => {
      const { gw, client } = await startPair(t, {}, { reconnect: fast });
      await client.connect();
      let reconnecting = 0;
      client.on('reconnecting', () => reconnecting++);
      const fatal = nextEmit(client, 'fatal');
      gw.closeAll(code, 'revoked');
      const [err] = await fatal;
      assert.equal(err.code, expected);
      await sleep(100);
      assert.equal(reconnecting, 0);
      assert.equal(gw.upgrades, 1);
      assert.equal(client.state, 'closed');
    });
  }

  test('a token refused on reconnect is fatal after that one attempt', async (t) => {
    const { gw, client } = await startPair(t, {}, { reconnect: fast });
    await client.connect();
    gw.token = 'rotated';
    const fatal = nextEmit(client, 'fatal');
    gw.dropAll();
    const [err] = await fatal;
    assert.equal(err.code, 'GW_ERR_AUTH_INVALID');
    await sleep(150);
    assert.equal(gw.connects.length, 2);
    assert.equal(client.state, 'closed');
  });

  test('maxRetries is honoured: that many attempts, then fatal GW_ERR_GATEWAY_UNREACHABLE', async (t) => {
    const { gw, client } = await startPair(t, {}, { reconnect: { ...fast, maxRetries: 2 } });
    await client.connect();
    const attempts: number[] = [];
    client.on('reconnecting', ({ attempt }) => attempts.push(attempt));
    const fatal = nextEmit(client, 'fatal');
    gw.refuseUpgrades = true;
    gw.dropAll();
    const [err] = await fatal;
    assert.equal(err.code, 'GW_ERR_GATEWAY_UNREACHABLE');
    assert.deepEqual(attempts, [1, 2]);
    assert.equal(gw.upgrades, 3);
    await sleep(150);
    assert.equal(gw.upgrades, 3);
    await assert.rejects(client.request('health'), /client was closed/);
  });

  test('reconnect disabled: a drop is fatal', async (t) => {
    const { gw, client } = await startPair(t, {}, { reconnect: { enabled: false } });
    await client.connect();
    const fatal = nextEmit(client, 'fatal');
    gw.dropAll();
    const [err] = await fatal;
    assert.equal(err.code, 'GW_ERR_GATEWAY_UNREACHABLE');
    assert.equal(gw.upgrades, 1);
  });

  test('close() while waiting to reconnect stops reconnecting', async (t) => {
    const { gw, client } = await startPair(t, {}, { reconnect: { ...fast, initialDelayMs: 150 } });
    await client.connect();
    let reconnected = false;
    client.on('reconnected', () => (reconnected = true));
    const reconnecting = nextEmit(client, 'reconnecting');
    gw.dropAll();
    await reconnecting;
    const waiter = client.connect(); // waits for the next session; close() must end that wait
    const started = Date.now();
    await client.close();
    assert.ok(Date.now() - started < 100, 'close() must not wait out the backoff');
    await assert.rejects(waiter, /client was closed/);
    await sleep(300);
    assert.equal(gw.upgrades, 1);
    assert.equal(reconnected, false);
    assert.equal(client.state, 'closed');
  });

  test('connect() while reconnecting resolves with the resumed session', async (t) => {
    const { gw, client } = await startPair(t, {}, { reconnect: fast });
    await client.connect();
    const reconnecting = nextEmit(client, 'reconnecting');
    gw.dropAll();
    await reconnecting;
    const result = await client.connect();
    assert.equal(result.session.resumed, true);
    assert.equal(client.state, 'open');
  });

  test('an invalid frame from the gateway closes with 1007 and reconnects', async (t) => {
    const { gw, client } = await startPair(t, {}, { reconnect: fast });
    await client.connect();
    const disconnected = nextEmit(client, 'disconnected');
    const reconnected = nextEmit(client, 'reconnected');
    gw.connections[0]?.ws.send('this is not json');
    const [info] = await disconnected;
    assert.equal(info.code, 1007);
    assert.match(info.reason, /invalid frame/);
    await reconnected;
  });
});
