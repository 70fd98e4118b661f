/** @module The in-process peer (the built-in local node's transport) and the node runtime's link over it. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../protocol/index.js';
import { InProcessLink } from '../nodes/node-link.js';
import { InProcessConnection } from './in-process-connection.js';
import { RpcRouter, type CallContext } from './rpc-router.js';
import { SessionRegistry } from './session-registry.js';

function setup() {
  const router = new RpcRouter();
  const sessions = new SessionRegistry({ replayBuffer: 100, ttlMs: 60_000 });
  const errors: object[] = [];
  const opened: InProcessConnection[] = [];
  const closed: Array<[InProcessConnection, number]> = [];
  const attach = () =>
    new InProcessConnection(
      {
        router,
        sessions,
        log: { error: (o) => errors.push(o) },
        onOpen: (p) => opened.push(p),
        onClose: (p, code) => closed.push([p, code]),
      },
      {
        role: 'node',
        principal: 'local:n1',
        clientName: 'openclaw-local-node',
        node: { id: 'n1', capabilities: ['echo'], tags: [], concurrency: 2, running: [] },
      },
    );
  return { router, sessions, errors, opened, closed, attach };
}

const isCode = (code: string) => (err: unknown) =>
  err instanceof GatewayError && err.code === code
    ? true
    : assert.fail(`expected ${code}, got ${String(err)}`);

describe('InProcessConnection', () => {
  test('calls go through the router as the peer: its role, node id and session; params are validated', async () => {
    const s = setup();
    let seen: CallContext | null = null;
    s.router.register('task.started', (p, ctx) => {
      seen = ctx;
      return { ok: true, id: p.id };
    });
    s.router.register('task.list', () => ({ tasks: [] }));
    const peer = s.attach();
    assert.deepEqual(await peer.request('task.started', { id: 't1' }), { ok: true, id: 't1' });
    assert.equal(seen!.role, 'node');
    assert.equal(seen!.nodeId, 'n1');
    assert.equal(seen!.session, peer.session);
    assert.equal(seen!.remoteAddress, 'in-process');
    await assert.rejects(peer.request('task.list', {}), isCode('GW_ERR_AUTH_FORBIDDEN_ROLE'));
    await assert.rejects(peer.request('task.started', {}), isCode('GW_ERR_PROTOCOL_INVALID_PARAMS'));
    await assert.rejects(peer.request('no.such', {}), isCode('GW_ERR_PROTOCOL_UNKNOWN_METHOD'));
  });

  test('a handler runs on a later microtask, and its answer arrives as JSON would carry it', async () => {
    const s = setup();
    const answer = { ok: true, when: new Date(0), gone: undefined as unknown, nested: { n: 1 } };
    let ran = false;
    s.router.register('task.started', () => {
      ran = true;
      return answer;
    });
    const peer = s.attach();
    const pending = peer.request('task.started', { id: 't1' });
    assert.equal(ran, false, 'not inside the caller’s own stack');
    const got = (await pending) as Record<string, unknown>;
    assert.deepEqual(got, { ok: true, when: '1970-01-01T00:00:00.000Z', nested: { n: 1 } });
    (got.nested as { n: number }).n = 2;
    assert.equal(answer.nested.n, 1, 'the peer got a copy');
  });

  test('a handler that throws a non-catalogue error answers GW_ERR_GATEWAY_INTERNAL and is logged', async () => {
    const s = setup();
    s.router.register('task.started', () => {
      throw new TypeError('boom');
    });
    await assert.rejects(s.attach().request('task.started', { id: 't1' }), isCode('GW_ERR_GATEWAY_INTERNAL'));
    assert.equal(s.errors.length, 1);
    assert.equal((s.errors[0] as { event: string }).event, 'rpc_handler_error');
  });

  test('events are delivered later and as copies, in order; none after close', async () => {
    const s = setup();
    const peer = s.attach();
    const got: Array<[string, unknown]> = [];
    peer.onEvent((e, p) => got.push([e, p]));
    const payload = { task: { id: 't1', args: { a: 1 } } };
    peer.emit('task.assigned', payload);
    peer.emit('task.cancel', { id: 't1', reason: 'x' });
    assert.deepEqual(got, [], 'not delivered synchronously');
    payload.task.args.a = 2; // the gateway's object changes after the send
    await Promise.resolve();
    assert.deepEqual(got, [
      ['task.assigned', { task: { id: 't1', args: { a: 1 } } }],
      ['task.cancel', { id: 't1', reason: 'x' }],
    ]);
    assert.equal(peer.session.lastSeq, 2, 'events are sequenced on the session');
    peer.close(1000, 'bye');
    peer.emit('task.cancel', { id: 't2', reason: 'late' });
    await Promise.resolve();
    assert.equal(got.length, 2);
  });

  test('start() announces it; close() announces once, and calls after it, or in flight, fail as unreachable', async () => {
    const s = setup();
    let handled = 0;
    s.router.register('task.started', () => ++handled);
    const peer = s.attach();
    peer.start();
    assert.deepEqual(s.opened, [peer]);
    const reasons: string[] = [];
    peer.onClose((code, reason) => reasons.push(`${code} ${reason}`));
    const inFlight = peer.request('task.started', { id: 't1' }); // queued behind this turn
    peer.close(4409, 'replaced');
    peer.close(1000, 'again');
    await assert.rejects(inFlight, isCode('GW_ERR_GATEWAY_UNREACHABLE'));
    await assert.rejects(peer.request('task.started', { id: 't1' }), isCode('GW_ERR_GATEWAY_UNREACHABLE'));
    assert.equal(handled, 0, 'nothing ran for a closed peer');
    assert.deepEqual(reasons, ['4409 replaced']);
    assert.deepEqual(s.closed, [[peer, 4409]]);
    assert.equal(peer.isOpen, false);
  });
});

describe('InProcessLink', () => {
  test('connects on connect(), routes events by name, and reports a close by the gateway once', async () => {
    const s = setup();
    s.router.register('task.started', () => ({ ok: true }));
    let peer: InProcessConnection | null = null;
    const lost: string[] = [];
    const link = new InProcessLink(
      () => {
        peer = s.attach();
        peer.start();
        return peer;
      },
      { maxMessageSize: 1000, onLost: (code, reason) => lost.push(`${code} ${reason}`) },
    );
    assert.equal(link.state, 'idle');
    await assert.rejects(link.request('task.started', { id: 't1' }), isCode('GW_ERR_GATEWAY_UNREACHABLE'));
    await link.connect();
    assert.equal(link.state, 'open');
    assert.equal(link.connectResult.policy.max_message_size, 1000);
    assert.deepEqual(await link.request('task.started', { id: 't1' }), { ok: true });
    const cancels: unknown[] = [];
    const off = link.onEvent('task.cancel', (p) => cancels.push(p));
    peer!.emit('task.cancel', { id: 'a' });
    peer!.emit('task.assigned', { id: 'not for this handler' });
    await Promise.resolve();
    off();
    peer!.emit('task.cancel', { id: 'b' });
    await Promise.resolve();
    assert.deepEqual(cancels, [{ id: 'a' }]);
    peer!.close(4409, 'replaced by a newer connection of the same node');
    assert.equal(link.state, 'closed');
    assert.deepEqual(lost, ['4409 replaced by a newer connection of the same node']);
    await assert.rejects(link.connect(), isCode('GW_ERR_GATEWAY_UNREACHABLE'));
  });

  test('its own close() is not reported as lost', async () => {
    const s = setup();
    const lost: string[] = [];
    const link = new InProcessLink(s.attach, { maxMessageSize: 1000, onLost: (_c, r) => lost.push(r) });
    await link.connect();
    await link.close();
    assert.equal(link.state, 'closed');
    assert.deepEqual(lost, []);
  });

  test('a request the gateway does not answer in time fails with the retryable GW_ERR_GATEWAY_TIMEOUT', async () => {
    const s = setup();
    s.router.register('task.started', () => new Promise(() => {})); // a store that never answers
    const link = new InProcessLink(s.attach, { maxMessageSize: 1000, requestTimeoutMs: 50 });
    await link.connect();
    const t0 = Date.now();
    await assert.rejects(link.request('task.started', { id: 't1' }), (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.equal(err.code, 'GW_ERR_GATEWAY_TIMEOUT');
      assert.equal(err.retryable, true);
      assert.equal(err.details.method, 'task.started');
      return true;
    });
    assert.ok(Date.now() - t0 >= 45);
    // 0 waits as long as it takes (the agent's llm.chat calls).
    s.router.register('task.progress', async () => {
      await new Promise((r) => setTimeout(r, 80));
      return { ok: true };
    });
    assert.deepEqual(await link.request('task.progress', { id: 't1', message: 'm' }, { timeoutMs: 0 }), {
      ok: true,
    });
  });
});
