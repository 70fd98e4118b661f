/** During a drain a WebSocket submit is refused like a REST one, and the store backs /ready. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayClient } from '../../../src/client/index.js';
import { GatewayError, type Task } from '../../../src/protocol/index.js';
import { Cleanup, startTestGateway } from './support/harness.js';

const cleanup = new Cleanup();
after(() => cleanup.run());

test('task.submit over WebSocket during a drain answers GW_ERR_GATEWAY_DRAINING and stores nothing', async () => {
  const gw = await startTestGateway(cleanup);
  const op = new GatewayClient({
    url: gw.wsUrl,
    token: gw.token('operator'),
    role: 'operator',
    reconnect: { enabled: false },
  });
  await op.connect();
  cleanup.add(() => op.close());
  const slow = (await op.request('task.submit', { skill: 'echo', args: { delay_ms: 3000 } })) as Task;
  // The drain lasts only while a task runs (queued ones are not waited for): the slow task must have
  // reached the node before the SIGTERM, or the gateway may exit before the late submit is sent.
  for (let i = 0; ; i++) {
    const t = (await op.request('task.get', { id: slow.id })) as Task;
    if (t.status === 'running') break;
    if (i >= 200) throw new Error(`the slow task never started: ${t.status}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const draining = new Promise<void>((resolve) => op.onEvent('gateway.draining', () => resolve()));
  gw.child.kill('SIGTERM');
  await draining;
  await assert.rejects(
    op.request('task.submit', { skill: 'echo', args: { message: 'late' } }),
    (e: GatewayError) => e.code === 'GW_ERR_GATEWAY_DRAINING' && e.retryable,
  );
  const ready = await fetch(`${gw.httpUrl}/ready`);
  assert.equal(ready.status, 503);
  const page = (await op.request('task.list', {})) as { tasks: Task[] };
  assert.deepEqual(
    page.tasks.map((t) => t.id),
    [slow.id],
    'only the task from before the drain exists',
  );
});
