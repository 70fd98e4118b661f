/**
 * @module Integration: routing by capabilities and tags across two real `openclaw node register`
 * processes, and `tasks.queue_timeout` when no connected node can run a task.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { GatewayClient } from '../../../src/client/index.js';
import type { NodeInfo, Task } from '../../../src/protocol/index.js';
import { startNodeProcess, type NodeProcess } from '../../support/node-process.js';
import {
  startTestGateway,
  submit,
  waitFor,
  waitForTask,
  type TestGateway,
} from '../../support/scheduler-harness.js';

describe('capability and tag routing across two nodes', () => {
  let g: TestGateway;
  let c: GatewayClient;
  const nodes: NodeProcess[] = [];

  before(async () => {
    g = await startTestGateway({
      gateway: { local_node: { enabled: false } },
      tasks: { queue_timeout: 2 },
    });
    c = await g.operator();
    const common = { gateway: g.gw.wsUrl, concurrency: 4 };
    nodes.push(
      ...(await Promise.all([
        startNodeProcess({
          ...common,
          nodeId: 'node-shell',
          capabilities: ['shell', 'echo'],
          tags: ['gpu', 'eu'],
          token: g.token('node', 'node-shell'),
        }),
        startNodeProcess({
          ...common,
          nodeId: 'node-file',
          capabilities: ['file', 'echo'],
          tags: ['eu'],
          token: g.token('node', 'node-file'),
        }),
      ])),
    );
    await waitFor('both nodes listed', async () => {
      const l = (await c.request('node.list', {})) as { nodes: NodeInfo[] };
      return l.nodes.length === 2;
    });
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    for (const n of nodes) n.cleanup();
    await g?.close();
  });

  test('node.list shows each node with its capabilities, tags and concurrency', async () => {
    const l = (await c.request('node.list', {})) as { nodes: NodeInfo[] };
    const byId = new Map(l.nodes.map((n) => [n.id, n]));
    assert.deepEqual(byId.get('node-shell')?.capabilities, ['shell', 'echo']);
    assert.deepEqual(byId.get('node-shell')?.tags, ['gpu', 'eu']);
    assert.deepEqual(byId.get('node-file')?.capabilities, ['file', 'echo']);
    assert.equal(byId.get('node-file')?.concurrency, 4);
    assert.ok(byId.get('node-file')?.connected_at);
  });

  test('tasks go only to nodes that have every required capability and tag', async () => {
    const cases: Array<{ params: Record<string, unknown>; node: string }> = [
      { params: { skill: 'shell', args: { command: 'echo routed' } }, node: 'node-shell' },
      { params: { skill: 'file', args: { op: 'write', path: 'x.txt', content: 'x' } }, node: 'node-file' },
      { params: { skill: 'echo', args: {}, tags: ['gpu'] }, node: 'node-shell' },
      { params: { skill: 'echo', args: {}, capabilities: ['file'] }, node: 'node-file' },
      { params: { skill: 'echo', args: {}, capabilities: ['shell'], tags: ['eu'] }, node: 'node-shell' },
    ];
    // Several rounds, so a router that happened to pick the right node by load would be caught.
    const submitted: Array<{ task: Task; node: string }> = [];
    for (let round = 0; round < 4; round++)
      for (const k of cases) submitted.push({ task: await submit(c, k.params), node: k.node });
    for (const s of submitted) {
      const done = await waitForTask(c, s.task.id);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.equal(
        done.node_id,
        s.node,
        `${JSON.stringify(s.task.capabilities)} ${JSON.stringify(s.task.tags)}`,
      );
    }
    // Tasks any node could run spread across both (least-loaded first).
    const any = await Promise.all(
      Array.from({ length: 8 }, () => submit(c, { skill: 'echo', args: { delay_ms: 300 } })),
    );
    const ran = await Promise.all(any.map((t) => waitForTask(c, t.id)));
    assert.deepEqual(new Set(ran.map((t) => t.node_id)), new Set(['node-shell', 'node-file']));
  });

  test('openclaw node start reads the seed node.yaml, expanding ${OPENCLAW_AUTH_TOKEN}, and serves tasks', async () => {
    // Seed 9.4 as written, with only the gateway URL pointed at this test's gateway.
    const seedYaml = [
      'connection:',
      `  gateway_url: ${g.gw.wsUrl}`,
      '  auth_token: ${OPENCLAW_AUTH_TOKEN}',
      'reconnect:',
      '  enabled: true',
      '  max_retries: -1 # 無限重試',
      '  initial_delay_ms: 1000',
      '  max_delay_ms: 60000',
      '  backoff_multiplier: 2.0',
      '  jitter: true # 加入隨機抖動防止驚群效應',
      'keepalive:',
      '  enabled: true',
      '  interval_ms: 30000 # 每 30 秒發送 ping',
      '  timeout_ms: 10000 # 10 秒內未收到 pong 視為斷線',
      '',
    ].join('\n');
    const n = await startNodeProcess({
      command: 'start',
      nodeId: 'node-yaml',
      capabilities: ['echo'],
      tags: ['from-yaml'],
      nodeYaml: seedYaml,
      env: { OPENCLAW_AUTH_TOKEN: g.token('node', 'node-yaml') },
    });
    nodes.push(n);
    const t = await submit(c, { skill: 'echo', args: { message: 'yaml' }, tags: ['from-yaml'] });
    const done = await waitForTask(c, t.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.node_id, 'node-yaml');
    assert.equal((await n.stop('SIGTERM')).code, 0, 'SIGTERM stops a node cleanly');
    await waitFor('node-yaml gone from node.list', async () => {
      const l = (await c.request('node.list', {})) as { nodes: NodeInfo[] };
      return !l.nodes.some((x) => x.id === 'node-yaml');
    });
  });

  test('a node with a bad token, or an operator token, is refused and exits 3', async () => {
    for (const token of ['oc1.bogus.token', g.token('operator')]) {
      const n = await startNodeProcess({
        gateway: g.gw.wsUrl,
        nodeId: 'node-refused',
        capabilities: ['echo'],
        token,
        waitRegistered: false,
      });
      nodes.push(n);
      const res = await Promise.race([
        n.exited,
        new Promise<'running'>((r) => setTimeout(() => r('running'), 15_000).unref()),
      ]);
      assert.notEqual(res, 'running', 'a refused node does not retry forever');
      assert.equal((res as { code: number | null }).code, 3, n.stderr());
    }
  });

  test('a task no connected node can run fails after queue_timeout, saying what was missing', async () => {
    const t0 = Date.now();
    const browser = await submit(c, { skill: 'browser', args: { actions: [{ open: 'http://127.0.0.1/' }] } });
    const tagged = await submit(c, { skill: 'echo', args: {}, tags: ['gpu', 'us'] });
    assert.equal(browser.status, 'queued');
    const tb = await waitForTask(c, browser.id, undefined, 10_000);
    const elapsed = Date.now() - t0;
    assert.equal(tb.status, 'failed');
    assert.equal(tb.error?.code, 'GW_ERR_TASK_TIMEOUT');
    assert.match(tb.error!.message, /not started within its queue timeout of 2 s/);
    assert.match(tb.error!.message, /no connected node offers \[browser\]/);
    assert.equal(tb.node_id, null);
    assert.equal(tb.started_at, null);
    assert.ok(elapsed >= 1900 && elapsed < 10_000, `failed after ${elapsed} ms`);
    const tt = await waitForTask(c, tagged.id, undefined, 10_000);
    assert.equal(tt.status, 'failed');
    assert.match(tt.error!.message, /no connected node offers \[echo\] with tags \[gpu, us\]/);
    assert.deepEqual(tt.error?.details?.tags, ['gpu', 'us']);
  });
});
