/** A node token issued to one node id cannot be used to connect as another node. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayClient } from '../../../src/client/index.js';
import type { GatewayError } from '../../../src/protocol/index.js';
import { Cleanup, startTestGateway } from './support/harness.js';

const cleanup = new Cleanup();
after(() => cleanup.run());

test('a node token with a subject connects only as that node (4403 otherwise)', async () => {
  const gw = await startTestGateway(cleanup);
  const created = await gw.cli(['token', 'create', '--role', 'node', '--subject', 'node-a', '--json']);
  assert.equal(created.code, 0, created.stderr);
  const { token } = JSON.parse(created.stdout) as { token: string };
  const as = (id: string) =>
    new GatewayClient({
      url: gw.wsUrl,
      token,
      role: 'node',
      node: { id, capabilities: ['echo'] },
      reconnect: { enabled: false },
    });
  const a = as('node-a');
  const info = await a.connect();
  assert.equal(info.role, 'node');
  await a.close();
  const b = as('node-b');
  await assert.rejects(
    b.connect(),
    (e: GatewayError) => e.code === 'GW_ERR_AUTH_FORBIDDEN_ROLE' && /issued to node-a/.test(e.message),
  );
  await b.close().catch(() => undefined);
});
