/**
 * @module The agent loop end to end: a fake LLM server asks for `shell echo hello` (or `echo`), the
 * real skills run it, the result goes back, the model answers; plus tool failures, limits and aborts.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '../protocol/index.js';
import {
  createEchoSkill,
  createShellSkill,
  createSkillContext,
  createSkillRegistry,
  type SkillContext,
  type SkillRegistry,
} from '../skills/index.js';
import {
  startAnthropicVendor,
  startOpenAiVendor,
  type Behaviour,
  type RecordedRequest,
  type VendorServer,
} from '../../test/support/vendors/index.js';
import { runAgent, type AgentStep } from './agent-loop.js';
import type { ChatCompletion, ChatRequest } from './chat-types.js';
import { LlmCoordinator } from './llm-coordinator.js';
import type { ProviderSettings, ProviderType } from './provider-adapter.js';

let dir: string;
let registry: SkillRegistry;
const servers: VendorServer[] = [];
const coordinators: LlmCoordinator[] = [];
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oc-agent-'));
  registry = createSkillRegistry([createEchoSkill(), createShellSkill()], { abortGraceMs: 500 });
});
afterEach(async () => {
  for (const c of coordinators.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
after(async () => {
  await registry.dispose();
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
async function context(signal?: AbortSignal): Promise<SkillContext> {
  return createSkillContext({
    taskId: `agent-${++n}`,
    workspaceDir: join(dir, 'ws'),
    ...(signal ? { signal } : {}),
  });
}

/** A model that first asks for one tool call, and answers with the tool's output once it has it. */
function toolThenAnswer(name: string, args: Record<string, unknown>) {
  return (req: RecordedRequest): Behaviour => {
    const msgs = req.body.messages as Array<Record<string, any>>;
    // OpenAI sends the result as a `tool` message, Anthropic as a tool_result block in a user turn.
    const last = msgs[msgs.length - 1]!;
    const result =
      last.role === 'tool'
        ? String(last.content)
        : Array.isArray(last.content) && last.content[0]?.type === 'tool_result'
          ? String(last.content[0].content)
          : undefined;
    if (result === undefined)
      return { kind: 'reply', toolCalls: [{ name, args }], usage: { prompt: 40, completion: 9 } };
    return { kind: 'reply', text: `The tool said: ${result}`, usage: { prompt: 60, completion: 12 } };
  };
}

async function llmFor(type: ProviderType, script: (req: RecordedRequest) => Behaviour) {
  const server = await (type === 'anthropic' ? startAnthropicVendor(script) : startOpenAiVendor(script));
  servers.push(server);
  const settings: ProviderSettings = {
    name: type,
    type,
    apiKeys: [`sk-${type}-agent-0123456789`],
    baseUrl: type === 'openai' ? `${server.url}/v1` : server.url,
    models: [],
    requestsPerMinute: 0,
    tokensPerMinute: 0,
    maxConcurrent: 0,
    timeoutMs: 5000,
    maxTokens: 512,
    maxQueue: 10,
  };
  const c = new LlmCoordinator({ providers: [settings] });
  coordinators.push(c);
  return { server, chat: (r: ChatRequest) => c.chat(r) };
}

const completion = (message: ChatCompletion['choices'][0]['message']): ChatCompletion => ({
  id: 'c',
  object: 'chat.completion',
  created: 0,
  model: 'fake',
  provider: 'fake',
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  choices: [{ index: 0, message, finish_reason: message.tool_calls ? 'tool_calls' : 'stop' }],
});

describe('runAgent', () => {
  test('runs shell `echo hello` for the model and answers with it, recording every step', async () => {
    const { server, chat } = await llmFor('openai', toolThenAnswer('shell', { command: 'echo hello' }));
    const steps: AgentStep[] = [];
    const out = await runAgent({
      instruction: '執行每日報告生成: say hello through the shell',
      workspace: 'reports',
      taskId: 'task-1',
      chat,
      skills: registry,
      skillContext: await context(),
      record: (s) => void steps.push(s),
    });
    assert.match(out.answer, /The tool said: .*hello/);
    assert.equal(out.steps, 2);
    assert.deepEqual(out.usage, { prompt_tokens: 100, completion_tokens: 21, total_tokens: 121 });

    const first = server.requests[0]!.body;
    assert.deepEqual(
      first.tools.map((t: any) => t.function.name).sort(),
      ['echo', 'shell'],
      'the skills are offered as tools',
    );
    assert.equal(first.messages[1].content, '執行每日報告生成: say hello through the shell');
    const second = server.requests[1]!.body.messages;
    const callId = second[2].tool_calls[0].id;
    assert.equal(second[3].role, 'tool');
    assert.equal(second[3].tool_call_id, callId);
    assert.equal(JSON.parse(second[3].content).stdout, 'hello\n');

    assert.deepEqual(
      steps.map((s) => (s.type === 'message' ? `${s.step}:${s.message.role}` : `${s.step}:tool_call`)),
      ['0:system', '0:user', '1:assistant', '1:tool_call', '1:tool', '2:assistant'],
    );
    const call = steps[3] as Extract<AgentStep, { type: 'tool_call' }>;
    assert.equal(call.name, 'shell');
    assert.deepEqual(call.args, { command: 'echo hello' });
    assert.equal((call.result as { stdout: string; exit_code: number }).stdout, 'hello\n');
    assert.equal((call.result as { exit_code: number }).exit_code, 0);
    assert.equal(call.tool_call_id, callId);
    assert.ok(typeof call.duration_ms === 'number' && call.duration_ms >= 0);
    const final = steps[5] as Extract<AgentStep, { type: 'message' }>;
    assert.equal(final.provider, 'openai');
    assert.equal(final.usage?.total_tokens, 72);
  });

  test('works the same through Anthropic tool_use / tool_result blocks with the echo skill', async () => {
    const { server, chat } = await llmFor('anthropic', toolThenAnswer('echo', { message: 'hello' }));
    const steps: AgentStep[] = [];
    const out = await runAgent({
      instruction: 'echo hello',
      workspace: 'w',
      taskId: 'task-2',
      chat,
      skills: registry,
      skillContext: await context(),
      record: (s) => void steps.push(s),
    });
    assert.equal(out.answer, 'The tool said: {"message":"hello"}');
    const body = server.requests[1]!.body;
    assert.equal(body.system.length > 0, true);
    assert.equal(body.messages[1].content[0].type, 'tool_use');
    assert.equal(body.messages[2].content[0].type, 'tool_result');
    assert.equal(body.messages[2].content[0].tool_use_id, body.messages[1].content[0].id);
    assert.ok(steps.some((s) => s.type === 'tool_call' && s.name === 'echo'));
  });

  test('turns a failing, unknown or badly called tool into a tool result, not a crash', async () => {
    const replies = [
      completion({
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'a', type: 'function', function: { name: 'echo', arguments: '{"fail":"kaput"}' } },
          { id: 'b', type: 'function', function: { name: 'nope', arguments: '{}' } },
          { id: 'c', type: 'function', function: { name: 'echo', arguments: '{not json' } },
          { id: 'd', type: 'function', function: { name: 'echo', arguments: '{"colour":"red"}' } },
        ],
      }),
      completion({ role: 'assistant', content: 'I could not do it' }),
    ];
    const seen: ChatRequest[] = [];
    const steps: AgentStep[] = [];
    const out = await runAgent({
      instruction: 'try tools',
      workspace: 'w',
      taskId: 'task-3',
      chat: async (r) => (seen.push(structuredClone(r)), replies.shift()!),
      skills: registry,
      skillContext: await context(),
      record: (s) => void steps.push(s),
    });
    assert.equal(out.answer, 'I could not do it');
    const errors = steps.filter((s) => s.type === 'tool_call').map((s) => (s as any).error?.code);
    assert.deepEqual(errors, [
      'GW_ERR_SKILL_FAILED',
      'GW_ERR_SKILL_NOT_FOUND',
      'GW_ERR_SKILL_INVALID_ARGS',
      'GW_ERR_SKILL_INVALID_ARGS',
    ]);
    const toolMsgs = seen[1]!.messages.filter((m) => m.role === 'tool');
    assert.deepEqual(
      toolMsgs.map((m) => m.tool_call_id),
      ['a', 'b', 'c', 'd'],
    );
    assert.match(String(toolMsgs[0]!.content), /kaput/);
  });

  test('fails clearly after maxSteps when the model never stops calling tools', async () => {
    let calls = 0;
    const steps: AgentStep[] = [];
    await assert.rejects(
      runAgent({
        instruction: 'loop forever',
        workspace: 'w',
        taskId: 'task-4',
        maxSteps: 3,
        chat: async () => {
          calls++;
          return completion({
            role: 'assistant',
            content: null,
            tool_calls: [{ id: `x${calls}`, type: 'function', function: { name: 'echo', arguments: '{}' } }],
          });
        },
        skills: registry,
        skillContext: await context(),
        record: (s) => void steps.push(s),
      }),
      (e: unknown) =>
        e instanceof GatewayError &&
        e.code === 'GW_ERR_AGENT_MAX_STEPS' &&
        /limit of 3 steps/.test(e.message),
    );
    assert.equal(calls, 3);
    assert.equal(steps.filter((s) => s.type === 'tool_call').length, 3);
  });

  test('stops at once on abort, even inside a long tool call', async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(
      () => ac.abort(new GatewayError('GW_ERR_TASK_CANCELLED', { reason: 'operator said stop' })),
      100,
    );
    await assert.rejects(
      runAgent({
        instruction: 'wait',
        workspace: 'w',
        taskId: 'task-5',
        signal: ac.signal,
        chat: async () =>
          completion({
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'z', type: 'function', function: { name: 'echo', arguments: '{"delay_ms":60000}' } },
            ],
          }),
        skills: registry,
        skillContext: await context(),
        record: () => {},
      }),
      (e: unknown) =>
        e instanceof GatewayError &&
        e.code === 'GW_ERR_TASK_CANCELLED' &&
        /operator said stop/.test(e.message),
    );
    assert.ok(Date.now() - t0 < 2000);
  });

  test('fails at once with the not-configured message when the gateway has no provider', async () => {
    const c = new LlmCoordinator({ providers: [] });
    const steps: AgentStep[] = [];
    await assert.rejects(
      runAgent({
        instruction: '執行每日報告生成',
        workspace: 'w',
        taskId: 'task-6',
        chat: (r) => c.chat(r),
        skills: registry,
        skillContext: await context(),
        record: (s) => void steps.push(s),
      }),
      (e: unknown) =>
        e instanceof GatewayError &&
        e.code === 'GW_ERR_LLM_NOT_CONFIGURED' &&
        /OPENAI_API_KEY/.test(e.message),
    );
    assert.equal(steps.filter((s) => s.type === 'tool_call').length, 0);
  });

  test('puts the workspace history before the instruction, without its old system prompts', async () => {
    let seen: ChatRequest | undefined;
    await runAgent({
      instruction: 'and now?',
      workspace: 'w',
      taskId: 'task-7',
      history: [
        { role: 'system', content: 'old prompt' },
        { role: 'user', content: 'earlier question' },
        { role: 'assistant', content: 'earlier answer' },
      ],
      model: 'fast',
      chat: async (r) => ((seen = structuredClone(r)), completion({ role: 'assistant', content: 'ok' })),
      skills: registry,
      skillContext: await context(),
      record: () => {},
    });
    assert.deepEqual(
      seen!.messages.map((m) => m.content),
      [seen!.messages[0]!.content, 'earlier question', 'earlier answer', 'and now?'],
    );
    assert.notEqual(seen!.messages[0]!.content, 'old prompt');
    assert.equal(seen!.model, 'fast');
    assert.equal(seen!.task_id, 'task-7');
    assert.equal(seen!.workspace, 'w');
  });
});
