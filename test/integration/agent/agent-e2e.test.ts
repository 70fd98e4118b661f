/**
 * An agent task end to end through real processes: the gateway holds the OpenAI key and calls a
 * loopback server that speaks OpenAI's wire format through the official SDK; the built-in node runs
 * the agent loop, which asks for `shell echo hello` and then answers. The result, the workspace
 * history, the tool-call record and memory search all show it, and the key never reaches the node.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayClient } from '../../../src/client/index.js';
import type { Task } from '../../../src/protocol/index.js';
import { startOpenAiVendor, type VendorServer } from '../../support/vendors/index.js';
import {
  cliEnv,
  runCli,
  startGatewayProcess,
  tempHome,
  type GatewayProcess,
} from '../../support/gateway-process.js';

const KEY = 'sk-test-e2e-0123456789abcdefSECRET';
let vendor: VendorServer;
let gw: GatewayProcess;
let op: GatewayClient;
const home = tempHome('openclaw-agent-');

before(async () => {
  vendor = await startOpenAiVendor((req) => {
    const msgs = req.body.messages as Array<{ role: string; content?: unknown }>;
    if (msgs.some((m) => m.role === 'user' && String(m.content).includes('leak the key'))) {
      // A provider error that echoes the key, as some proxies do: the gateway must scrub it.
      return { kind: 'error', status: 400, message: `invalid request for key ${KEY}` };
    }
    const toolResult = msgs.find((m) => m.role === 'tool');
    if (!toolResult) {
      return {
        kind: 'reply',
        toolCalls: [{ id: 'call_1', name: 'shell', args: { command: 'echo hello' } }],
        usage: { prompt: 40, completion: 8 },
      };
    }
    return {
      kind: 'reply',
      text: `The command printed: ${String(toolResult.content).includes('hello') ? 'hello' : '?'}`,
      usage: { prompt: 60, completion: 9 },
    };
  });
  gw = await startGatewayProcess({
    home: home.home,
    env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: `${vendor.url}/v1`, OPENCLAW_LOG_LEVEL: 'debug' },
  });
  const created = await runCli(['token', 'create', '--role', 'operator', '--json'], cliEnv(home.home));
  op = new GatewayClient({
    url: gw.wsUrl,
    token: (JSON.parse(created.stdout) as { token: string }).token,
    role: 'operator',
    reconnect: { enabled: false },
  });
  await op.connect();
});

after(async () => {
  await op?.close();
  await gw?.stop();
  await vendor?.close();
  home.cleanup();
});

async function runToEnd(params: Record<string, unknown>): Promise<Task> {
  const task = (await op.request('task.submit', params as never)) as Task;
  for (let i = 0; i < 300; i++) {
    const t = (await op.request('task.get', { id: task.id })) as Task;
    if (['succeeded', 'failed', 'timed_out', 'cancelled'].includes(t.status)) return t;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`task ${task.id} did not end`);
}

/** Sum of every sample of a metric family in the exposition text (all label sets). */
async function metricSum(name: string): Promise<number> {
  const text = await (await fetch(gw.metricsUrl!)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/);
    if (m && m[1] === name) sum += Number(m[3]);
  }
  return sum;
}

test('an instruction runs as LLM call -> shell tool -> answer, and the workspace records every step', async () => {
  const seed = [
    'openclaw_llm_requests_total',
    'openclaw_llm_tokens_total',
    'openclaw_llm_latency_seconds_count',
    'openclaw_memory_entries_total',
    'openclaw_workspace_count',
  ];
  const before = Object.fromEntries(
    await Promise.all(seed.map(async (n) => [n, await metricSum(n)] as const)),
  );
  const t = await runToEnd({ task: '執行每日報告生成: run echo hello', workspace: 'reports' });
  assert.equal(t.status, 'succeeded', JSON.stringify(t.error));
  assert.match(String((t.result as { answer: string }).answer), /printed: hello/);
  assert.equal(vendor.requests.length >= 2, true, 'two LLM calls: the tool request and the final answer');
  assert.equal(
    vendor.requests[0]!.headers.authorization,
    `Bearer ${KEY}`,
    'the gateway, not the node, holds the key',
  );
  const tools = (vendor.requests[0]!.body.tools as Array<{ function: { name: string } }>).map(
    (x) => x.function.name,
  );
  assert.ok(tools.includes('shell'), `the node's skills are offered as tools: ${tools.join(',')}`);

  const ws = (await op.request('workspace.get', { id: 'reports' })) as {
    exists: boolean;
    tool_calls: Array<{ tool: { name: string; args: unknown; result?: unknown; duration_ms?: number } }>;
    messages: Array<{ role: string; content: string }>;
  };
  assert.equal(ws.exists, true);
  const call = ws.tool_calls.find((c) => c.tool.name === 'shell');
  assert.ok(call, 'the tool call is recorded');
  assert.deepEqual(call.tool.args, { command: 'echo hello' });
  assert.match(JSON.stringify(call.tool.result), /hello/);
  assert.ok(
    ws.messages.some((m) => m.role === 'user' && m.content.includes('執行每日報告生成')),
    'the instruction is in the history',
  );
  assert.ok(
    ws.messages.some((m) => m.role === 'assistant' && m.content.includes('printed: hello')),
    'the answer is in the history',
  );

  const found = (await op.request('memory.search', { workspace: 'reports', query: '每日報告' })) as {
    results: unknown[];
  };
  assert.ok(found.results.length > 0, 'Chinese memory search finds the instruction');
  const en = (await op.request('memory.search', { workspace: 'reports', query: 'printed' })) as {
    results: unknown[];
  };
  assert.ok(en.results.length > 0, 'English memory search finds the answer');

  // The seed 10.1 LLM and memory metrics move with these events (2 LLM calls, 8 + 9 + 40 + 60 tokens).
  const after = Object.fromEntries(
    await Promise.all(seed.map(async (n) => [n, await metricSum(n)] as const)),
  );
  assert.equal(after.openclaw_llm_requests_total! - before.openclaw_llm_requests_total!, 2);
  assert.equal(after.openclaw_llm_tokens_total! - before.openclaw_llm_tokens_total!, 117);
  assert.equal(after.openclaw_llm_latency_seconds_count! - before.openclaw_llm_latency_seconds_count!, 2);
  assert.ok(
    after.openclaw_memory_entries_total! > before.openclaw_memory_entries_total!,
    'memory entries counted',
  );
  assert.ok(
    after.openclaw_workspace_count! >= before.openclaw_workspace_count! + 1,
    'the new workspace is counted',
  );
});

test('a provider error that echoes the key reaches the task, and the node, without the key', async () => {
  const t = await runToEnd({ task: 'please leak the key', workspace: 'leaks' });
  assert.equal(t.status, 'failed');
  const text = JSON.stringify(t);
  assert.ok(!text.includes(KEY), `the key leaked: ${text}`);
  const logs = (await op.request('task.logs', { id: t.id })) as { logs: unknown[] };
  assert.ok(!JSON.stringify(logs).includes(KEY));
  assert.ok(
    !gw.logs.some((l) => JSON.stringify(l).includes(KEY)),
    'the key is in no gateway or node log line',
  );
});
