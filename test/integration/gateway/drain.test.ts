/**
 * @module Graceful drain of a real gateway process: on SIGTERM/SIGINT `/ready` answers 503 draining
 * while a running task finishes, the result is persisted, sockets close with 1001 and the exit code is 0.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGatewayProcess } from '../../support/gateway-process.js';
import {
  Cleanup,
  eventually,
  operator,
  refusedUpgrade,
  startTestGateway,
  type Frame,
} from './support/harness.js';

const cleanup = new Cleanup();
after(() => cleanup.run());

const isUpdate = (id: string, status: string) => (f: Frame) =>
  f.type === 'event' && f.event === 'task.updated' && f.payload?.id === id && f.payload?.status === status;

async function drainsWith(signal: NodeJS.Signals, delayMs: number): Promise<void> {
  const gw = await startTestGateway(cleanup, { config: 'gateway:\n  drain_timeout: 20\n' });
  const token = gw.token('operator');
  const { client } = await operator(gw.wsUrl, token, cleanup);
  assert.equal((await client.request('task.subscribe', {})).ok, true);
  const sub = await client.request('task.submit', {
    skill: 'echo',
    args: { message: 'slow', delay_ms: delayMs },
  });
  assert.equal(sub.ok, true, JSON.stringify(sub));
  const id = sub.payload.id as string;
  await client.waitFor(isUpdate(id, 'running'), 10_000);
  assert.equal((await fetch(`${gw.httpUrl}/ready`)).status, 200);

  const t0 = Date.now();
  const exited = gw.stop(signal);
  const ready = await eventually(
    async () => {
      const res = await fetch(`${gw.httpUrl}/ready`);
      return res.status === 503 ? { status: res.status, body: await res.json() } : undefined;
    },
    5000,
    20,
  );
  assert.deepEqual(ready.body, { status: 'draining' });
  const notice = await client.waitFor((f) => f.type === 'event' && f.event === 'gateway.draining');
  assert.equal(notice.payload.reason, signal);
  assert.ok(
    !client.frames.some(isUpdate(id, 'succeeded')),
    '/ready went to 503 before the running task finished',
  );

  // While draining: liveness still answers, the API and new WebSocket connections are refused.
  const health = await fetch(`${gw.httpUrl}/health`);
  assert.equal(health.status, 200);
  assert.equal(((await health.json()) as { status: string }).status, 'draining');
  const api = await fetch(`${gw.httpUrl}/api/tasks`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(api.status, 503);
  assert.equal(((await api.json()) as Frame).error.code, 'GW_ERR_GATEWAY_DRAINING');
  assert.ok(api.headers.get('retry-after'));
  const upgrade = await refusedUpgrade(gw.wsUrl);
  assert.equal(upgrade.status, 503);

  // The task still finishes and its subscriber hears it; then the socket closes as "going away".
  const done = await client.waitFor(isUpdate(id, 'succeeded'), delayMs + 10_000);
  assert.deepEqual(done.payload.result, { message: 'slow', delay_ms: delayMs });
  assert.equal(await client.closeCode(10_000), 1001);
  const { code, signal: killedBy } = await exited;
  assert.equal(killedBy, null, `exited by signal ${String(killedBy)}: ${gw.stderr()}`);
  assert.equal(code, 0, gw.stderr());
  assert.ok(Date.now() - t0 < delayMs + 8000, 'drain took far longer than the task');
  assert.ok(gw.logs.some((l) => l.event === 'gateway_stopped'));

  // The result was persisted: a restarted gateway on the same HOME reports the task succeeded.
  const again = await startGatewayProcess({ home: gw.home, env: { OPENCLAW_AUTH_SECRET: gw.secret } });
  cleanup.add(() => again.stop('SIGKILL'));
  const { client: c2 } = await operator(again.wsUrl, token, cleanup);
  const got = await c2.request('task.get', { id });
  assert.equal(got.payload.status, 'succeeded');
  c2.close();
  assert.equal((await again.stop('SIGTERM')).code, 0);
}

describe('graceful drain', () => {
  test('SIGTERM: /ready 503 draining while a task runs, the task succeeds, exit 0', () =>
    drainsWith('SIGTERM', 3000));

  test('SIGINT drains the same way', () => drainsWith('SIGINT', 2000));

  test('drain is bounded by gateway.drain_timeout: a long task does not hold the exit', async () => {
    const gw = await startTestGateway(cleanup, { config: 'gateway:\n  drain_timeout: 1\n' });
    const { client } = await operator(gw.wsUrl, gw.token('operator'), cleanup);
    await client.request('task.subscribe', {});
    const sub = await client.request('task.submit', { skill: 'echo', args: { delay_ms: 60_000 } });
    await client.waitFor(isUpdate(sub.payload.id as string, 'running'), 10_000);
    const t0 = Date.now();
    const { code } = await gw.stop('SIGTERM');
    const took = Date.now() - t0;
    assert.equal(code, 0, gw.stderr());
    assert.ok(took >= 900, `exited after ${took} ms, before the 1 s drain bound`);
    assert.ok(took < 8000, `exited after ${took} ms; drain_timeout is 1 s`);
  });

  test('a submit during the drain is refused as retryable, like REST, and does not hold the exit', async () => {
    const gw = await startTestGateway(cleanup, { config: 'gateway:\n  drain_timeout: 20\n' });
    const token = gw.token('operator');
    const { client } = await operator(gw.wsUrl, token, cleanup);
    await client.request('task.subscribe', {});
    const first = await client.request('task.submit', { skill: 'echo', args: { delay_ms: 1500 } });
    await client.waitFor(isUpdate(first.payload.id as string, 'running'), 10_000);
    const t0 = Date.now();
    const exited = gw.stop('SIGTERM');
    await client.waitFor((f) => f.type === 'event' && f.event === 'gateway.draining');
    const late = await client.request('task.submit', { skill: 'echo', args: { message: 'late' } });
    assert.equal(late.ok, false, JSON.stringify(late));
    assert.equal(late.error.code, 'GW_ERR_GATEWAY_DRAINING');
    assert.equal(late.error.retryable, true);
    assert.equal((await exited).code, 0, gw.stderr());
    const took = Date.now() - t0;
    assert.ok(took < 8000, `drain took ${took} ms for a 1.5 s task (drain_timeout 20 s)`);

    // Nothing half-stored: the next start knows only the first task.
    const again = await startGatewayProcess({ home: gw.home, env: { OPENCLAW_AUTH_SECRET: gw.secret } });
    cleanup.add(() => again.stop('SIGKILL'));
    const { client: c2 } = await operator(again.wsUrl, token, cleanup);
    const list = await c2.request('task.list', {});
    assert.deepEqual(
      (list.payload.tasks as Array<{ id: string }>).map((t) => t.id),
      [first.payload.id],
    );
    c2.close();
    assert.equal((await again.stop('SIGTERM')).code, 0);
  });

  test('a second signal during the drain exits at once (code 1) without waiting for the task', async () => {
    const gw = await startTestGateway(cleanup, { config: 'gateway:\n  drain_timeout: 60\n' });
    const { client } = await operator(gw.wsUrl, gw.token('operator'), cleanup);
    await client.request('task.subscribe', {});
    const sub = await client.request('task.submit', { skill: 'echo', args: { delay_ms: 60_000 } });
    await client.waitFor(isUpdate(sub.payload.id as string, 'running'), 10_000);
    const t0 = Date.now();
    const exited = gw.stop('SIGTERM');
    await gw.waitForLog((l) => l.event === 'gateway_draining');
    gw.child.kill('SIGTERM');
    const { code } = await exited;
    assert.equal(code, 1);
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
    assert.ok(gw.logs.some((l) => l.event === 'forced_exit'));
  });

  test('an idle gateway exits 0 promptly on SIGTERM', async () => {
    const gw = await startTestGateway(cleanup);
    const t0 = Date.now();
    assert.equal((await gw.stop('SIGTERM')).code, 0);
    assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
  });
});
