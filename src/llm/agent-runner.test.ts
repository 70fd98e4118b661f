/** @module The node-side agent runner over a gateway client: llm.chat calls and memory.append records. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError, METHODS, type Task } from '../protocol/index.js';
import {
  createEchoSkill,
  createShellSkill,
  createSkillContext,
  createSkillRegistry,
} from '../skills/index.js';
import { startOpenAiVendor, type VendorServer } from '../../test/support/vendors/index.js';
import { createAgentRunner } from './agent-runner.js';
import { LlmCoordinator } from './llm-coordinator.js';

let dir: string;
let server: VendorServer;
let coordinator: LlmCoordinator;
const registry = createSkillRegistry([createEchoSkill(), createShellSkill()]);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oc-agent-runner-'));
  server = await startOpenAiVendor((req) => {
    const last = req.body.messages.at(-1);
    if (last.role !== 'tool')
      return { kind: 'reply', toolCalls: [{ name: 'shell', args: { command: 'echo hello' } }] };
    return { kind: 'reply', text: `report: ${JSON.parse(last.content).stdout.trim()}` };
  });
  coordinator = new LlmCoordinator({
    providers: [
      {
        name: 'openai',
        type: 'openai',
        apiKeys: ['sk-runner-0123456789abcdef'],
        baseUrl: `${server.url}/v1`,
        models: [],
        requestsPerMinute: 0,
        tokensPerMinute: 0,
        maxConcurrent: 0,
        timeoutMs: 5000,
        maxTokens: 256,
        maxQueue: 10,
      },
    ],
  });
});
after(async () => {
  coordinator.close();
  await server.close();
  await registry.dispose();
  await rm(dir, { recursive: true, force: true });
});

const task = { id: 'task-r1', task: '執行每日報告生成', workspace: 'reports', attempt: 1 } as Task;

describe('createAgentRunner', () => {
  test('calls llm.chat through the client and appends every step to the workspace memory', async () => {
    const calls: Array<{ method: string; params: any; options: unknown }> = [];
    const client = {
      async request(method: string, params?: any, options?: unknown) {
        calls.push({ method, params: structuredClone(params), options });
        if (method === 'llm.chat') return coordinator.chat(params, {});
        if (method === 'memory.append') return { id: `m${calls.length}` };
        throw new GatewayError('GW_ERR_PROTOCOL_UNKNOWN_METHOD', { method });
      },
    };
    const progress: string[] = [];
    const ctx = await createSkillContext({
      taskId: task.id,
      workspaceDir: join(dir, 'reports'),
      progress: (m) => progress.push(m),
    });
    const out = await createAgentRunner({ skills: registry, stream: false })(task, ctx, client);
    assert.equal(out.answer, 'report: hello');
    assert.equal(out.steps, 2);

    const chats = calls.filter((c) => c.method === 'llm.chat');
    assert.equal(chats.length, 2);
    assert.deepEqual(chats[0]!.options, { timeoutMs: 0 }, 'LLM calls are not cut by the RPC timeout');
    assert.equal(chats[0]!.params.task_id, 'task-r1');
    assert.equal(chats[0]!.params.workspace, 'reports');

    const records = calls.filter((c) => c.method === 'memory.append').map((c) => c.params);
    assert.deepEqual(
      records.map((r) => r.kind),
      ['message', 'message', 'message', 'tool_call', 'message', 'message'],
    );
    for (const r of records) {
      assert.equal(r.workspace, 'reports');
      assert.equal(r.task_id, 'task-r1');
      const valid = METHODS['memory.append'].params.safeParse(r);
      assert.ok(valid.success, `${JSON.stringify(r)}: ${valid.error?.message}`);
    }
    assert.deepEqual(
      records.map((r) => r.role ?? r.kind),
      ['system', 'user', 'assistant', 'tool_call', 'tool', 'assistant'],
    );
    assert.deepEqual(
      records.map((r) => r.id),
      [1, 2, 3, 4, 5, 6].map((n) => `task-r1:1:${n}`),
      'ids make resent appends idempotent',
    );
    const tool = records[3]!;
    assert.match(tool.content, /^shell \{"command":"echo hello"\} -> .*hello/);
    assert.equal(tool.tool.name, 'shell');
    assert.deepEqual(tool.tool.args, { command: 'echo hello' });
    assert.equal(tool.tool.result.stdout, 'hello\n');
    assert.equal(typeof tool.tool.duration_ms, 'number');
    const asked = records[2]!;
    assert.equal(asked.content, undefined);
    assert.equal(asked.tool_calls[0].function.name, 'shell');
    assert.equal(records[4]!.tool_call_id, asked.tool_calls[0].id);
    assert.equal(records[5]!.content, 'report: hello');
    assert.equal(records[5]!.metadata.provider, 'openai');
    assert.deepEqual(progress, ['tool shell done']);
  });

  test('fails the task when a step cannot be recorded', async () => {
    const client = {
      async request(method: string, params?: any) {
        if (method === 'llm.chat') return coordinator.chat(params, {});
        throw new GatewayError('GW_ERR_STORE_UNAVAILABLE', { reason: 'disk full' });
      },
    };
    const ctx = await createSkillContext({ taskId: 'task-r2', workspaceDir: join(dir, 'reports') });
    await assert.rejects(
      createAgentRunner({ skills: registry })({ ...task, id: 'task-r2' }, ctx, client),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_STORE_UNAVAILABLE',
    );
  });
});
