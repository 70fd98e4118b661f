/**
 * @module Each SDK adapter against a loopback server speaking its vendor's real wire format: answers,
 * streams, tool calls, request translation, and how errors, garbage and silence come out classified.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  sequence,
  startAnthropicVendor,
  startOllamaVendor,
  startOpenAiVendor,
  type Script,
  type VendorServer,
} from '../../test/support/vendors/index.js';
import type { ChatRequest } from './chat-types.js';
import { createProviderAdapter } from './create-adapter.js';
import type { ProviderAdapter, ProviderSettings, ProviderType } from './provider-adapter.js';
import { runAttempt } from './run-attempt.js';

interface Vendor {
  type: ProviderType;
  start: (script: Script) => Promise<VendorServer>;
  baseUrl: (url: string) => string;
  key: string | undefined;
}

const VENDORS: Vendor[] = [
  {
    type: 'openai',
    start: startOpenAiVendor,
    baseUrl: (u) => `${u}/v1`,
    key: 'sk-test-openai-0123456789abcdef',
  },
  { type: 'anthropic', start: startAnthropicVendor, baseUrl: (u) => u, key: 'sk-ant-test-0123456789abcdef' },
  { type: 'ollama', start: startOllamaVendor, baseUrl: (u) => u, key: undefined },
];

function settings(
  type: ProviderType,
  baseUrl: string,
  key: string | undefined,
  timeoutMs = 2000,
): ProviderSettings {
  return {
    name: type,
    type,
    apiKeys: [key],
    baseUrl,
    models: [],
    requestsPerMinute: 0,
    tokensPerMinute: 0,
    maxConcurrent: 0,
    timeoutMs,
    maxTokens: 256,
    maxQueue: 10,
  };
}

const ECHO_TOOL = {
  type: 'function' as const,
  function: {
    name: 'echo',
    description: 'Returns its arguments',
    parameters: { type: 'object', properties: { message: { type: 'string' } } },
  },
};

for (const v of VENDORS) {
  describe(`${v.type} adapter through the official SDK`, () => {
    let server: VendorServer;
    let adapter: ProviderAdapter;
    let slow: ProviderAdapter;
    const attempt = (
      a: ProviderAdapter,
      request: ChatRequest,
      onDelta?: (t: string) => void,
      timeoutMs = 2000,
    ) =>
      runAttempt({
        adapter: a,
        model: 'm-1',
        request,
        apiKey: v.key,
        timeoutMs,
        signals: [],
        ...(onDelta ? { onDelta } : {}),
      });

    before(async () => {
      server = await v.start(sequence({ kind: 'reply', text: 'unused' }));
      adapter = createProviderAdapter(settings(v.type, v.baseUrl(server.url), v.key));
      slow = createProviderAdapter(settings(v.type, v.baseUrl(server.url), v.key, 300));
    });
    after(() => server.close());

    test('returns a JSON answer as an OpenAI completion with usage', async () => {
      server.setScript(
        sequence({ kind: 'reply', text: 'hello there', usage: { prompt: 12, completion: 3 } }),
      );
      const out = await attempt(adapter, { messages: [{ role: 'user', content: 'hi' }] });
      assert.ok(out.ok, JSON.stringify(out));
      assert.equal(out.result.choices[0]?.message.content, 'hello there');
      assert.equal(out.result.choices[0]?.finish_reason, 'stop');
      assert.deepEqual(out.result.usage, { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 });
      const req = server.requests.at(-1)!;
      assert.equal(req.body.model, 'm-1');
      if (v.type === 'ollama') assert.equal(req.body.stream, false);
      else assert.notEqual(req.body.stream, true);
    });

    test('streams deltas in order and still returns the whole answer', async () => {
      const chunks = ['one ', 'two ', 'three ', 'four'];
      server.setScript(
        sequence({ kind: 'stream', chunks, chunkDelayMs: 5, usage: { prompt: 7, completion: 4 } }),
      );
      const seen: string[] = [];
      const out = await attempt(adapter, { messages: [{ role: 'user', content: 'count' }] }, (t) =>
        seen.push(t),
      );
      assert.ok(out.ok, JSON.stringify(out));
      assert.deepEqual(seen, chunks);
      assert.equal(out.result.choices[0]?.message.content, 'one two three four');
      assert.deepEqual(out.result.usage, { prompt_tokens: 7, completion_tokens: 4, total_tokens: 11 });
      assert.equal(server.requests.at(-1)!.body.stream, true);
    });

    for (const streaming of [false, true]) {
      test(`maps tool calls ${streaming ? 'from a stream' : 'from JSON'} to OpenAI tool_calls`, async () => {
        server.setScript(
          sequence({
            kind: 'reply',
            toolCalls: [{ id: 'call_a', name: 'echo', args: { message: 'hello' } }],
          }),
        );
        const out = await attempt(
          adapter,
          { messages: [{ role: 'user', content: 'use echo' }], tools: [ECHO_TOOL] },
          streaming ? () => {} : undefined,
        );
        assert.ok(out.ok, JSON.stringify(out));
        const choice = out.result.choices[0]!;
        assert.equal(choice.finish_reason, 'tool_calls');
        assert.equal(choice.message.tool_calls?.length, 1);
        const call = choice.message.tool_calls![0]!;
        assert.equal(call.function.name, 'echo');
        assert.deepEqual(JSON.parse(call.function.arguments), { message: 'hello' });
        assert.ok(call.id.length > 0);
        if (v.type !== 'ollama') assert.equal(call.id, 'call_a');
      });
    }

    test('sends system, tool calls and tool results in the vendor’s own shape', async () => {
      server.setScript(sequence({ kind: 'reply', text: 'done' }));
      const out = await attempt(adapter, {
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'say hello with echo' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: { name: 'echo', arguments: '{"message":"hello"}' },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: '{"message":"hello"}' },
        ],
        tools: [ECHO_TOOL],
        max_tokens: 99,
      });
      assert.ok(out.ok, JSON.stringify(out));
      const body = server.requests.at(-1)!.body;
      if (v.type === 'anthropic') {
        assert.equal(body.system, 'be brief');
        assert.equal(body.max_tokens, 99);
        assert.deepEqual(
          body.messages.map((m: any) => m.role),
          ['user', 'assistant', 'user'],
        );
        assert.deepEqual(body.messages[1].content[0], {
          type: 'tool_use',
          id: 'call_1',
          name: 'echo',
          input: { message: 'hello' },
        });
        assert.deepEqual(body.messages[2].content[0], {
          type: 'tool_result',
          tool_use_id: 'call_1',
          content: '{"message":"hello"}',
        });
        assert.equal(body.tools[0].name, 'echo');
        assert.deepEqual(body.tools[0].input_schema, ECHO_TOOL.function.parameters);
        const h = server.requests.at(-1)!.headers;
        assert.ok(h['x-api-key'] === v.key || h.authorization === `Bearer ${v.key}`, 'the key is sent');
        assert.ok(h['anthropic-version']);
      } else if (v.type === 'ollama') {
        assert.equal(body.messages[0].role, 'system');
        assert.deepEqual(body.messages[2].tool_calls, [
          { function: { name: 'echo', arguments: { message: 'hello' } } },
        ]);
        assert.equal(body.messages[3].role, 'tool');
        assert.equal(body.messages[3].tool_name, 'echo');
        assert.equal(body.options.num_predict, 99);
      } else {
        assert.equal(body.messages.length, 4);
        assert.equal(body.messages[3].tool_call_id, 'call_1');
        assert.equal(body.max_tokens, 99);
        assert.equal(body.task_id, undefined, 'gateway-only fields are not sent');
        assert.equal(server.requests.at(-1)!.headers.authorization, `Bearer ${v.key}`);
      }
    });

    test('classifies a 429 with Retry-After as retry, with the wait in ms', async () => {
      server.setScript(
        sequence({
          kind: 'error',
          status: 429,
          headers: { 'retry-after': '7' },
          message: 'Rate limit reached',
        }),
      );
      const out = await attempt(adapter, { messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(out.ok, false);
      if (out.ok) return;
      assert.equal(out.failure.kind, 'rate_limited');
      assert.equal(out.failure.action, 'retry');
      assert.equal(out.failure.status, 429);
      assert.equal(out.failure.retryAfterMs, 7000);
      assert.match(out.failure.message, /Rate limit reached/);
      assert.equal(server.requests.length > 0, true);
    });

    test('classifies a 500 as retry and a 401 as fallback, without SDK retries', async () => {
      server.setScript(sequence({ kind: 'error', status: 500, message: 'boom' }));
      const before = server.requests.length;
      const out = await attempt(adapter, { messages: [{ role: 'user', content: 'hi' }] });
      assert.ok(
        !out.ok && out.failure.kind === 'server' && out.failure.action === 'retry',
        JSON.stringify(out),
      );
      assert.equal(server.requests.length - before, 1, 'the SDK itself must not retry');
      server.setScript(sequence({ kind: 'error', status: 401, message: 'invalid x-api-key' }));
      const denied = await attempt(adapter, { messages: [{ role: 'user', content: 'hi' }] });
      assert.ok(!denied.ok && denied.failure.kind === 'auth' && denied.failure.action === 'fallback');
    });

    for (const streaming of [false, true]) {
      test(`classifies a malformed ${streaming ? 'stream' : 'JSON body'} as malformed (to retry), not as success`, async () => {
        server.setScript(sequence({ kind: 'malformed' }));
        const out = await attempt(
          adapter,
          { messages: [{ role: 'user', content: 'hi' }] },
          streaming ? () => {} : undefined,
        );
        assert.equal(out.ok, false, JSON.stringify(out));
        if (out.ok) return;
        assert.equal(out.failure.kind, 'malformed', out.failure.message);
        assert.equal(out.failure.action, 'retry');
      });
    }

    test('times out a hung connection with our own deadline', async () => {
      server.setScript(sequence({ kind: 'hang' }));
      const t0 = Date.now();
      const out = await attempt(slow, { messages: [{ role: 'user', content: 'hi' }] }, undefined, 300);
      const took = Date.now() - t0;
      assert.ok(
        !out.ok && out.failure.kind === 'timeout' && out.failure.action === 'retry',
        JSON.stringify(out),
      );
      assert.ok(took >= 280 && took < 2000, `took ${took} ms`);
    });

    test('times out a stream that goes silent after its first deltas', async () => {
      server.setScript(sequence({ kind: 'stream-hang', chunks: ['partial '] }));
      const seen: string[] = [];
      const out = await attempt(
        slow,
        { messages: [{ role: 'user', content: 'hi' }] },
        (t) => seen.push(t),
        300,
      );
      assert.ok(!out.ok && out.failure.kind === 'timeout', JSON.stringify(out));
      assert.deepEqual(seen, ['partial ']);
    });

    test('classifies a reset connection as a connection failure to retry', async () => {
      server.setScript(sequence({ kind: 'reset' }));
      const out = await attempt(adapter, { messages: [{ role: 'user', content: 'hi' }] });
      assert.ok(
        !out.ok && out.failure.kind === 'connection' && out.failure.action === 'retry',
        JSON.stringify(out),
      );
    });

    test('reports an outside abort as aborted, not as a provider failure', async () => {
      server.setScript(sequence({ kind: 'hang' }));
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error('stop')), 50);
      const out = await runAttempt({
        adapter,
        model: 'm-1',
        request: { messages: [{ role: 'user', content: 'hi' }] },
        apiKey: v.key,
        timeoutMs: 5000,
        signals: [ac.signal],
      });
      assert.ok(!out.ok && out.aborted && out.failure.kind === 'aborted', JSON.stringify(out));
    });
  });
}
