/**
 * @module Integration: the built-in local node inside a real gateway process: listed as local, runs
 * tasks in-process, and when a remote node connects with its id, it steps aside for good with a log
 * line while the remote node takes the work.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayClient } from '../../../src/client/index.js';
import type { NodeInfo, Task } from '../../../src/protocol/index.js';
import {
  startTestGateway,
  submit,
  waitFor,
  waitForTask,
  type TestGateway,
} from '../../support/scheduler-harness.js';

describe('the built-in local node', () => {
  let g: TestGateway;
  let c: GatewayClient;

  before(async () => {
    g = await startTestGateway({ gateway: { local_node: { id: 'shared-id', capabilities: ['echo'] } } });
    c = await g.operator();
  });
  after(async () => g?.close());

  test('is listed as local and runs a task in-process', async () => {
    const { nodes } = (await c.request('node.list', {})) as { nodes: NodeInfo[] };
    assert.deepEqual(
      nodes.map((n) => [n.id, n.local, n.capabilities]),
      [['shared-id', true, ['echo']]],
    );
    const t = await submit(c, { skill: 'echo', args: { message: 'local' } });
    const done = await waitForTask(c, t.id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.node_id, 'shared-id');
    assert.deepEqual(done.result, { message: 'local' });
  });

  test('a remote node with its id replaces it: a log line, and the work goes to the remote node', async () => {
    const remote = new GatewayClient({
      url: g.gw.wsUrl,
      token: g.token('node', 'shared-id'),
      role: 'node',
      client: { name: 'test-remote-node', version: '1' },
      node: { id: 'shared-id', capabilities: ['echo'], tags: [], concurrency: 1, running: [] },
      reconnect: { enabled: false },
      keepalive: { enabled: false },
    });
    const assigned: Task[] = [];
    remote.onEvent('task.assigned', (p) => assigned.push((p as { task: Task }).task));
    try {
      await remote.connect();
      const line = await g.gw.waitForLog((l) => l.event === 'local_node_stopped');
      assert.equal(line.node_id, 'shared-id');
      assert.equal(line.code, 4409);
      const { nodes } = (await c.request('node.list', {})) as { nodes: NodeInfo[] };
      assert.deepEqual(
        nodes.map((n) => [n.id, n.local]),
        [['shared-id', false]],
      );
      const t = await submit(c, { skill: 'echo', args: { message: 'remote' } });
      await waitFor('the remote node to get the task', () => assigned.some((a) => a.id === t.id));
      await remote.request('task.started', { id: t.id });
      await remote.request('task.complete', { id: t.id, result: { by: 'remote' } });
      const done = await waitForTask(c, t.id);
      assert.deepEqual(done.result, { by: 'remote' });
    } finally {
      await remote.close();
    }
  });
});
