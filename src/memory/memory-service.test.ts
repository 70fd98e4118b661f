/**
 * @module The memory service inside a real gateway on loopback port 0: methods over WebSocket for
 * operators and nodes, the REST routes, metrics, compaction after appends, and hybrid search with a
 * loopback embeddings server (and its full-text fallback).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GatewayClient } from '../client/index.js';
import { loadConfig } from '../config/index.js';
import {
  createTokenService,
  InMemoryRevocationStore,
  startGateway,
  type RunningGateway,
} from '../gateway/index.js';
import { GatewayError, type Role } from '../protocol/index.js';
import type { MemoryEntry } from '../store/index.js';
import { OpenAIEmbeddings } from './embeddings/embedding-provider.js';
import type { MemoryApi } from './memory-service.js';
import { memoryService, type MemoryServiceOptions } from './memory-service.js';
import type { SearchResponse } from './memory-search.js';
import { startEmbeddingsServer, type EmbeddingsServer } from './test-support/embeddings-server.js';
import type { WorkspaceView } from './workspace-view.js';

interface Harness {
  gw: RunningGateway;
  home: string;
  secret: string;
  client(role: Role): Promise<GatewayClient>;
  rest(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(keepHome?: boolean): Promise<void>;
}

async function startHarness(
  options: MemoryServiceOptions,
  home = mkdtempSync(join(tmpdir(), 'openclaw-memsvc-')),
): Promise<Harness> {
  const secret = randomBytes(24).toString('hex');
  const cfg = loadConfig({
    env: {},
    home,
    flags: {
      'gateway.port': 0,
      'gateway.auth.secret': secret,
      'metrics.enabled': false,
      'logging.output': [],
      'logging.level': 'warn',
    },
  });
  const gw = await startGateway(cfg, { services: [memoryService(options)] });
  const tokens = createTokenService({ secret, revocations: new InMemoryRevocationStore() });
  const clients: GatewayClient[] = [];
  // A node token with a subject may connect only as that node id; the tests use several ids.
  const token = (role: Role) =>
    tokens.issue({ role, ...(role === 'node' ? {} : { subject: `test-${role}` }) }).token;
  return {
    gw,
    home,
    secret,
    async client(role) {
      const c = new GatewayClient({
        url: gw.wsUrl,
        token: token(role),
        role: role === 'node' ? 'node' : 'operator',
        client: { name: 'memory-test', version: '1' },
        ...(role === 'node' ? { node: { id: 'node-7', capabilities: ['shell'] } } : {}),
        reconnect: { enabled: false },
        keepalive: { enabled: false },
      });
      await c.connect();
      clients.push(c);
      return c;
    },
    async rest(method, path, body) {
      const res = await fetch(`${gw.httpUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token('operator')}`, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: await res.json() };
    },
    async close(keepHome = false) {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      await gw.shutdown('test');
      await gw.logger.close();
      if (!keepHome) rmSync(home, { recursive: true, force: true });
    },
  };
}

const rpcError = async (p: Promise<unknown>): Promise<GatewayError> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
};

describe('memory service over WebSocket and REST', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({});
  });
  after(async () => h?.close());

  test('records notes, messages and tool calls and restores them with workspace.get', async () => {
    const op = await h.client('operator');
    await op.request('memory.append', {
      workspace: 'daily',
      kind: 'fact',
      content: 'Reports go to ops@example.com',
    });
    await op.request('memory.append', { workspace: 'daily', role: 'user', content: '執行每日報告生成' });
    await op.request('memory.append', {
      workspace: 'daily',
      role: 'assistant',
      tool_calls: [
        { id: 'c1', type: 'function', function: { name: 'shell', arguments: '{"command":"echo hello"}' } },
      ],
    });
    const rec = (await op.request('memory.append', {
      workspace: 'daily',
      tool_call_id: 'c1',
      tool: { name: 'shell', args: { command: 'echo hello' }, result: { stdout: 'hello\n' }, duration_ms: 4 },
    })) as MemoryEntry;
    assert.equal(rec.kind, 'tool_call');
    assert.match(rec.content, /^shell\(\{"command":"echo hello"\}\) → \{"stdout":"hello\\n"\}$/);
    await op.request('memory.append', {
      workspace: 'daily',
      role: 'tool',
      tool_call_id: 'c1',
      content: 'hello',
    });
    await op.request('memory.append', { workspace: 'daily', role: 'assistant', content: 'Report sent.' });

    const v = (await op.request('workspace.get', { id: 'daily' })) as WorkspaceView;
    assert.equal(v.exists, true);
    assert.deepEqual(v.counts, { note: 0, fact: 1, message: 4, tool_call: 1, summary: 0 });
    assert.deepEqual(
      v.history.map((m) => [m.role, m.content]),
      [
        ['user', '執行每日報告生成'],
        ['assistant', null],
        ['tool', 'hello'],
        ['assistant', 'Report sent.'],
      ],
    );
    assert.equal(v.history[1]!.tool_calls![0]!.id, 'c1');
    assert.equal(v.tool_calls[0]!.tool!.duration_ms, 4);
    assert.match(v.context, /Facts:\n- Reports go to ops@example.com/);
    const unknown = (await op.request('workspace.get', { id: 'never-used' })) as WorkspaceView;
    assert.equal(unknown.exists, false);
    assert.deepEqual(unknown.history, []);

    const zh = (await op.request('memory.search', { workspace: 'daily', query: '報告' })) as SearchResponse;
    assert.equal(zh.mode, 'fulltext');
    assert.deepEqual(
      zh.results.map((r) => r.content),
      ['執行每日報告生成'],
    );
    const en = (await op.request('memory.search', {
      workspace: 'daily',
      query: 'echo hello',
    })) as SearchResponse;
    assert.deepEqual(
      en.results.map((r) => r.kind),
      ['tool_call'],
    );
    const list = (await op.request('workspace.list', {})) as { workspaces: Array<{ id: string }> };
    assert.ok(list.workspaces.some((w) => w.id === 'daily'));
  });

  test('rejects bad params with the failing path, and keeps retried appends once', async () => {
    const op = await h.client('operator');
    const noContent = await rpcError(op.request('memory.append', { workspace: 'w', kind: 'note' }));
    assert.equal(noContent.code, 'GW_ERR_PROTOCOL_INVALID_PARAMS');
    assert.equal(noContent.details.path, 'content');
    const badTool = await rpcError(
      op.request('memory.append', { workspace: 'w', kind: 'tool_call', content: 'x' }),
    );
    assert.equal(badTool.details.path, 'tool');
    const badWs = await rpcError(op.request('memory.append', { workspace: '../x', content: 'x' }));
    assert.equal(badWs.details.path, 'workspace');
    const a = (await op.request('memory.append', {
      workspace: 'retry',
      id: 't1.a1.0',
      content: 'once',
    })) as MemoryEntry;
    const b = (await op.request('memory.append', {
      workspace: 'retry',
      id: 't1.a1.0',
      content: 'once',
    })) as MemoryEntry;
    assert.deepEqual(b, a);
    assert.equal(((await op.request('workspace.get', { id: 'retry' })) as WorkspaceView).entries, 1);
  });

  test('lets a node read and write memory but not list workspaces, and records who wrote', async () => {
    const node = await h.client('node');
    const e = (await node.request('memory.append', {
      workspace: 'nodews',
      role: 'user',
      content: 'from a node',
    })) as MemoryEntry;
    assert.equal(e.node_id, 'node-7');
    const v = (await node.request('workspace.get', { id: 'nodews', messages: 10 })) as WorkspaceView;
    assert.equal(v.history[0]!.content, 'from a node');
    const s = (await node.request('memory.search', { workspace: 'nodews', query: 'node' })) as SearchResponse;
    assert.equal(s.results.length, 1);
    const denied = await rpcError(node.request('workspace.list', {}));
    assert.equal(denied.code, 'GW_ERR_AUTH_FORBIDDEN_ROLE');
  });

  test('serves the REST routes with JSON errors', async () => {
    const created = await h.rest('POST', '/api/workspaces/rest-ws/memory', {
      kind: 'note',
      content: 'weekly 天氣 report',
      id: 'n1',
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.workspace, 'rest-ws');
    const again = await h.rest('POST', '/api/workspaces/rest-ws/memory', {
      kind: 'note',
      content: 'weekly 天氣 report',
      id: 'n1',
    });
    assert.equal(again.status, 200);
    assert.equal(again.body.seq, created.body.seq);
    const bad = await h.rest('POST', '/api/workspaces/rest-ws/memory', { kind: 'fact' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'GW_ERR_PROTOCOL_INVALID_PARAMS');
    const badId = await h.rest('GET', '/api/workspaces/bad%20id');
    assert.equal(badId.status, 400);
    assert.equal(badId.body.error.code, 'GW_ERR_WORKSPACE_INVALID');
    const all = await h.rest('GET', '/api/workspaces?limit=5');
    assert.equal(all.status, 200);
    assert.ok(all.body.workspaces.some((w: { id: string }) => w.id === 'rest-ws'));
    const one = await h.rest('GET', '/api/workspaces/rest-ws');
    assert.equal(one.body.notes[0].content, 'weekly 天氣 report');
    const found = await h.rest(
      'GET',
      `/api/workspaces/rest-ws/memory?q=${encodeURIComponent('天氣')}&limit=5`,
    );
    assert.equal(found.status, 200);
    assert.equal(found.body.results[0].snippet, 'weekly «天氣» report');
    const listed = await h.rest('GET', '/api/workspaces/rest-ws/memory?kind=note');
    assert.equal(listed.body.entries.length, 1);
    const badLimit = await h.rest('GET', '/api/workspaces/rest-ws/memory?q=x&limit=0');
    assert.equal(badLimit.status, 400);
    const badKind = await h.rest('GET', '/api/workspaces/rest-ws/memory?kind=nope');
    assert.equal(badKind.status, 400);
    const noAuth = await fetch(`${h.gw.httpUrl}/api/workspaces`);
    assert.equal(noAuth.status, 401);
  });
});

describe('memory service: metrics and compaction', () => {
  test('counts stored entries at start and per append, and compacts through the shared summariser', async () => {
    const home = mkdtempSync(join(tmpdir(), 'openclaw-memsvc-'));
    const config = { compaction: { max_messages: 6, keep_messages: 2 } };
    const first = await startHarness({ config }, home);
    const op = await first.client('operator');
    for (let i = 0; i < 3; i++) await op.request('memory.append', { workspace: 'm1', content: `note ${i}` });
    await op.request('memory.append', { workspace: 'm2', content: 'other' });
    assert.equal((await first.gw.metrics.memoryEntries.get()).values[0]?.value, 4);
    assert.equal((await first.gw.metrics.workspaceCount.get()).values[0]?.value, 2);
    await first.close(true);

    const second = await startHarness({ config }, home);
    try {
      assert.equal((await second.gw.metrics.memoryEntries.get()).values[0]?.value, 4);
      const summaries: number[] = [];
      second.gw.shared.set('memory.summarize', async (msgs: unknown[]) => {
        summaries.push(msgs.length);
        return 'LLM summary of the chat';
      });
      const c = await second.client('operator');
      for (let i = 0; i < 7; i++)
        await c.request('memory.append', { workspace: 'chat', role: 'user', content: `q${i}` });
      await (second.gw.shared.get('memory') as MemoryApi).compactor.idle();
      const v = (await c.request('workspace.get', { id: 'chat' })) as WorkspaceView;
      assert.equal(v.summary?.content, 'LLM summary of the chat');
      assert.deepEqual(
        v.history.map((m) => m.content),
        ['q5', 'q6'],
      );
      assert.deepEqual(summaries, [5]);
      assert.equal((await second.gw.metrics.memoryEntries.get()).values[0]?.value, 4 + 7 + 1);
    } finally {
      await second.close();
    }
  });
});

describe('memory service: hybrid search', () => {
  let emb: EmbeddingsServer;
  let h: Harness;
  before(async () => {
    emb = await startEmbeddingsServer();
    h = await startHarness({
      embeddings: new OpenAIEmbeddings({
        model: 'concept-1',
        baseURL: emb.url,
        apiKey: 'sk-test-embeddings',
      }),
    });
  });
  after(async () => {
    await h?.close();
    await emb?.close();
  });

  test('finds by meaning what full text cannot, then falls back to full text when embeddings fail', async () => {
    const op = await h.client('operator');
    await op.request('memory.append', { workspace: 'h', content: 'My car is parked in lot B' });
    await op.request('memory.append', { workspace: 'h', content: 'The kitten sleeps all day' });
    await op.request('memory.append', { workspace: 'h', content: 'automobile insurance renews in May' });
    const api = h.gw.shared.get('memory') as MemoryApi;
    await api.indexer!.idle();
    assert.ok(emb.requests.flat().includes('My car is parked in lot B'));

    const r = (await op.request('memory.search', { workspace: 'h', query: 'automobile' })) as SearchResponse;
    assert.equal(r.mode, 'hybrid');
    assert.deepEqual(
      r.results.slice(0, 2).map((x) => [x.content, x.matched_by]),
      [
        ['automobile insurance renews in May', 'both'],
        ['My car is parked in lot B', 'vector'],
      ],
    );
    const text = (await op.request('memory.search', { workspace: 'h', query: '汽車' })) as SearchResponse;
    assert.equal(text.results[0]?.matched_by, 'vector');

    emb.failWith = 500;
    const degraded = (await op.request('memory.search', {
      workspace: 'h',
      query: 'automobile',
    })) as SearchResponse;
    assert.equal(degraded.mode, 'fulltext');
    assert.deepEqual(
      degraded.results.map((x) => x.content),
      ['automobile insurance renews in May'],
    );
    // Appends do not wait for the provider; the entry is searchable by text at once.
    await op.request('memory.append', { workspace: 'h', content: 'feline friends' });
    await api.indexer!.idle();
    const pending = await api.store.unembedded('concept-1', 10);
    assert.deepEqual(
      pending.map((e) => e.content),
      ['feline friends'],
    );
    emb.failWith = null;
  });
});
