import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../protocol/index.js';
import { GatewayClient } from './gateway-client.js';
import { closedPort, nextEmit, sleep, startPair, waitFor } from './test-support/fixture.js';

function isGatewayError(code: string) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof GatewayError, `expected a GatewayError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  };
}

describe('GatewayClient handshake', () => {
  test('connects, sends the token in the header and the frame, and tracks the session', async (t) => {
    const { gw, client } = await startPair(
      t,
      {},
      {
        client: { name: 'openclaw-cli', version: '9.9.9' },
        headers: { Authorization: 'Bearer stale', 'X-Request-Id': 'abc' },
      },
    );
    const result = await client.connect();
    assert.equal(result.protocol, 1);
    assert.equal(result.server.name, 'openclaw-gateway');
    assert.equal(result.session.resumed, false);
    assert.equal(client.state, 'open');
    assert.equal(client.sessionId, result.session.id);
    assert.equal(client.lastSeq, 0);
    const seen = gw.connects[0];
    assert.ok(seen);
    assert.equal(seen.authorization, 'Bearer test-token');
    assert.equal(seen.params.auth?.token, 'test-token');
    assert.deepEqual(seen.params.protocol, { min: 1, max: 1 });
    assert.deepEqual(seen.params.client, { name: 'openclaw-cli', version: '9.9.9' });
    assert.equal(seen.params.resume, undefined);
    assert.equal(gw.connections[0]?.headers['x-request-id'], 'abc');
    // a second connect() on an open client is the same session, not a new socket
    assert.equal(await client.connect(), result);
    assert.equal(gw.upgrades, 1);
  });

  test('authInHeader false keeps the token out of the upgrade headers', async (t) => {
    const node = { id: 'node-1', capabilities: ['shell', 'file'], concurrency: 2 };
    const { gw, client } = await startPair(t, {}, { authInHeader: false, role: 'node', node });
    await client.connect();
    assert.equal(gw.connects[0]?.authorization, undefined);
    assert.equal(gw.connects[0]?.params.role, 'node');
    assert.deepEqual(gw.connects[0]?.params.node, node);
  });

  test('a wrong token rejects with GW_ERR_AUTH_INVALID and is not retried', async (t) => {
    const { gw, client } = await startPair(t, {}, { token: 'wrong', reconnect: { initialDelayMs: 10 } });
    let reconnecting = 0;
    client.on('reconnecting', () => reconnecting++);
    await assert.rejects(client.connect(), isGatewayError('GW_ERR_AUTH_INVALID'));
    await sleep(100);
    assert.equal(gw.upgrades, 1);
    assert.equal(reconnecting, 0);
    assert.equal(client.state, 'idle');
  });

  test('a missing token rejects with GW_ERR_AUTH_REQUIRED', async (t) => {
    const { client } = await startPair(t, {}, { token: undefined });
    await assert.rejects(client.connect(), isGatewayError('GW_ERR_AUTH_REQUIRED'));
  });

  test('an HTTP 401 at the upgrade becomes the GatewayError from its JSON body', async (t) => {
    const { client } = await startPair(t, { checkHeaderAtUpgrade: true }, { token: 'nope' });
    await assert.rejects(client.connect(), (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.equal(err.code, 'GW_ERR_AUTH_INVALID');
      assert.match(err.message, /bad header/);
      return true;
    });
  });

  test('a gateway that is down rejects with GW_ERR_GATEWAY_UNREACHABLE naming the url and ECONNREFUSED', async () => {
    const port = await closedPort();
    const url = `ws://127.0.0.1:${port}/ws?token=s3cret`;
    const client = new GatewayClient({ url, role: 'operator', token: 's3cret' });
    await assert.rejects(client.connect(), (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.equal(err.code, 'GW_ERR_GATEWAY_UNREACHABLE');
      assert.equal(err.retryable, true);
      assert.match(err.message, /ECONNREFUSED/);
      assert.equal(err.details['url'], `ws://127.0.0.1:${port}/ws`);
      assert.doesNotMatch(err.message + JSON.stringify(err.details), /s3cret/);
      return true;
    });
    await client.close();
  });

  test('connect({ retry: true }) keeps trying until the gateway accepts', async (t) => {
    const { gw, client } = await startPair(t, {}, { reconnect: { initialDelayMs: 10, jitter: false } });
    gw.refuseUpgrades = true;
    const attempts: number[] = [];
    client.on('reconnecting', ({ attempt }) => {
      attempts.push(attempt);
      if (attempt === 2) gw.refuseUpgrades = false;
    });
    const result = await client.connect({ retry: true });
    assert.equal(result.session.resumed, false);
    assert.deepEqual(attempts, [1, 2]);
    assert.equal(gw.upgrades, 3);
  });

  test('a gateway that never answers connect fails with GW_ERR_PROTOCOL_HANDSHAKE_TIMEOUT', async (t) => {
    const { gw, client } = await startPair(t, {}, { handshakeTimeoutMs: 150 });
    gw.answerConnect = false;
    const started = Date.now();
    await assert.rejects(client.connect(), isGatewayError('GW_ERR_PROTOCOL_HANDSHAKE_TIMEOUT'));
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 140 && elapsed < 1500, `took ${elapsed} ms`);
  });

  test('close() during the handshake rejects connect() and resolves', async (t) => {
    const { gw, client } = await startPair(t);
    gw.answerConnect = false;
    const connecting = assert.rejects(client.connect(), isGatewayError('GW_ERR_GATEWAY_UNREACHABLE'));
    await waitFor(() => gw.connects.length === 1, 'the connect frame');
    assert.equal(gw.socketCount, 1);
    await client.close();
    await connecting;
    await waitFor(() => gw.socketCount === 0, 'the server to see the socket go');
    assert.equal(client.state, 'closed');
    await assert.rejects(client.connect(), /client was closed/);
  });

  test('rejects unusable options at construction', () => {
    assert.throws(() => new GatewayClient({ url: 'http://x', role: 'operator' }), TypeError);
    const url = 'ws://127.0.0.1:1';
    assert.throws(() => new GatewayClient({ url, role: 'node', reconnect: { maxRetries: -2 } }), RangeError);
    assert.throws(() => new GatewayClient({ url, role: 'node', reconnect: { multiplier: 0 } }), RangeError);
    assert.throws(() => new GatewayClient({ url, role: 'node', keepalive: { intervalMs: 0 } }), RangeError);
    assert.throws(
      () => new GatewayClient({ url, role: 'node', reconnect: { maxDelayMs: 2 ** 32 } }),
      RangeError,
    );
    assert.throws(() => new GatewayClient({ url, role: 'node', handshakeTimeoutMs: 0 }), RangeError);
  });
});

describe('GatewayClient requests', () => {
  test('resolves with the payload of the response', async (t) => {
    const { client } = await startPair(t);
    await client.connect();
    assert.deepEqual(await client.request('health'), { status: 'ok', uptime_ms: 1, version: 'test' });
    assert.deepEqual(await client.request('task.get', { id: 't1' }), {
      method: 'task.get',
      params: { id: 't1' },
    });
  });

  test('an error response rejects with the GatewayError it carries', async (t) => {
    const { gw, client } = await startPair(t);
    gw.handle('task.get', (p) => {
      throw new GatewayError('GW_ERR_TASK_NOT_FOUND', { id: p['id'] });
    });
    await client.connect();
    await assert.rejects(client.request('task.get', { id: 'nope' }), (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.equal(err.code, 'GW_ERR_TASK_NOT_FOUND');
      assert.equal(err.details['id'], 'nope');
      assert.equal(err.message, 'task nope not found');
      return true;
    });
  });

  test('an unanswered request times out with GW_ERR_GATEWAY_TIMEOUT and the session stays usable', async (t) => {
    const { gw, client } = await startPair(t, {}, { requestTimeoutMs: 5000 });
    let answer: ((v: unknown) => void) | undefined;
    gw.handle('slow', () => new Promise((resolve) => (answer = resolve)));
    await client.connect();
    const started = Date.now();
    await assert.rejects(client.request('slow', {}, { timeoutMs: 80 }), (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.equal(err.code, 'GW_ERR_GATEWAY_TIMEOUT');
      assert.equal(err.retryable, true);
      assert.equal(err.details['method'], 'slow');
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 75 && elapsed < 1000, `took ${elapsed} ms`);
    answer?.('late'); // a late answer must be dropped, not crash or resolve anything
    assert.deepEqual(await client.request('echo', { a: 1 }), { method: 'echo', params: { a: 1 } });
  });

  test('a request while not connected fails at once with a retryable GW_ERR_GATEWAY_UNREACHABLE', async (t) => {
    const { client } = await startPair(t);
    await assert.rejects(client.request('health'), (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.equal(err.code, 'GW_ERR_GATEWAY_UNREACHABLE');
      assert.equal(err.retryable, true);
      return true;
    });
  });

  test('close() fails pending requests and resolves once the socket is closed', async (t) => {
    const { gw, client } = await startPair(t);
    gw.handle('slow', () => new Promise(() => {}));
    await client.connect();
    const pending = assert.rejects(client.request('slow'), /client was closed/);
    const disconnected = nextEmit(client, 'disconnected');
    await client.close();
    assert.equal(client.state, 'closed');
    await pending;
    const [info] = await disconnected;
    assert.equal(info.code, 1000);
    await waitFor(() => gw.socketCount === 0, 'the server to see the close');
  });
});

describe('GatewayClient server-initiated requests and events', () => {
  test('answers gateway requests with its handlers, and unknown methods with UNKNOWN_METHOD', async (t) => {
    const { gw, client } = await startPair(t);
    client.handle('node.exec', async (p) => ({ doubled: Number(p['n']) * 2 }));
    client.handle('node.deny', () => {
      throw new GatewayError('GW_ERR_SKILL_DENIED', { reason: 'rm -rf is not allowed' });
    });
    client.handle('node.crash', () => {
      throw new Error('secret internal detail');
    });
    await client.connect();
    const [conn] = gw.connections;
    assert.ok(conn);
    assert.deepEqual(await gw.request(conn, 'node.exec', { n: 21 }), {
      type: 'res',
      id: 'srv-1',
      ok: true,
      payload: { doubled: 42 },
    });
    const unknown = await gw.request(conn, 'node.nope');
    assert.equal(unknown.ok, false);
    assert.equal(!unknown.ok && unknown.error.code, 'GW_ERR_PROTOCOL_UNKNOWN_METHOD');
    const denied = await gw.request(conn, 'node.deny', {});
    assert.equal(!denied.ok && denied.error.code, 'GW_ERR_SKILL_DENIED');
    assert.equal(!denied.ok && denied.error.message, 'rm -rf is not allowed');
    const crashed = await gw.request(conn, 'node.crash', {});
    assert.equal(!crashed.ok && crashed.error.code, 'GW_ERR_GATEWAY_INTERNAL');
    assert.doesNotMatch(JSON.stringify(crashed), /secret internal detail/);
  });

  test('delivers events to on("event") and onEvent, tracks lastSeq, and unsubscribes', async (t) => {
    const { gw, client } = await startPair(t);
    const all: Array<[string, unknown, number]> = [];
    const updated: unknown[] = [];
    client.on('event', (name, payload, seq) => all.push([name, payload, seq]));
    const off = client.onEvent('task.updated', (payload) => updated.push(payload));
    await client.connect();
    gw.emitEvent('task.updated', { id: 'a' });
    gw.emitEvent('node.updated', { id: 'n' });
    await waitFor(() => all.length === 2, 'two events');
    off();
    gw.emitEvent('task.updated', { id: 'b' });
    await waitFor(() => all.length === 3, 'the third event');
    assert.deepEqual(all, [
      ['task.updated', { id: 'a' }, 1],
      ['node.updated', { id: 'n' }, 2],
      ['task.updated', { id: 'b' }, 3],
    ]);
    assert.deepEqual(updated, [{ id: 'a' }]);
    assert.equal(client.lastSeq, 3);
  });
});
