/** @module Unit tests of the request translations that the vendor round trips do not reach. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { toAnthropicRequest } from './anthropic-translate.js';
import type { ChatRequest } from './chat-types.js';
import { toOllamaRequest } from './ollama-translate.js';
import { toOpenAiBody } from './openai-adapter.js';
import { estimatePromptTokens, estimateTextTokens } from './token-estimate.js';

const twoCalls: ChatRequest = {
  messages: [
    { role: 'developer', content: 'rules' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'look' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
      ],
    },
    {
      role: 'assistant',
      content: 'checking',
      tool_calls: [
        { id: 'c1', type: 'function', function: { name: 'a', arguments: '{"x":1}' } },
        { id: 'c2', type: 'function', function: { name: 'b', arguments: 'not json' } },
      ],
    },
    { role: 'tool', tool_call_id: 'c1', content: 'one' },
    { role: 'tool', tool_call_id: 'c2', content: 'two' },
    { role: 'user', content: 'and?' },
  ],
  tool_choice: 'required',
  parallel_tool_calls: false,
  stop: 'END',
  temperature: 0.2,
};

describe('toAnthropicRequest', () => {
  const body = toAnthropicRequest('claude-x', twoCalls, 1024) as any;
  test('merges tool results and the next user text into one user turn, keeping alternation', () => {
    assert.deepEqual(
      body.messages.map((m: any) => [m.role, m.content.map((b: any) => b.type)]),
      [
        ['user', ['text', 'image']],
        ['assistant', ['text', 'tool_use', 'tool_use']],
        ['user', ['tool_result', 'tool_result', 'text']],
      ],
    );
    assert.deepEqual(body.messages[0].content[1].source, {
      type: 'base64',
      media_type: 'image/png',
      data: 'AAAA',
    });
    assert.deepEqual(body.messages[1].content[2].input, { _raw: 'not json' });
  });
  test('maps system, max_tokens, stop, tool_choice and parallel_tool_calls', () => {
    assert.equal(body.system, 'rules');
    assert.equal(body.max_tokens, 1024);
    assert.deepEqual(body.stop_sequences, ['END']);
    assert.deepEqual(body.tool_choice, { type: 'any', disable_parallel_tool_use: true });
    assert.equal(body.temperature, 0.2);
  });
});

describe('toOllamaRequest', () => {
  const body = toOllamaRequest('llama', { ...twoCalls, response_format: { type: 'json_object' } }) as any;
  test('names tool results by their call, moves images, and maps options', () => {
    assert.equal(body.messages[0].role, 'system');
    assert.deepEqual(body.messages[1].images, ['AAAA']);
    assert.deepEqual(body.messages[2].tool_calls[1].function.arguments, { _raw: 'not json' });
    assert.deepEqual([body.messages[3].tool_name, body.messages[4].tool_name], ['a', 'b']);
    assert.deepEqual(body.options, { temperature: 0.2, stop: ['END'] });
    assert.equal(body.format, 'json');
  });
});

describe('toOpenAiBody', () => {
  test('passes the OpenAI fields and drops the gateway ones', () => {
    const body = toOpenAiBody('gpt', {
      ...twoCalls,
      task_id: 't',
      workspace: 'w',
      provider: 'p',
      stream: true,
    });
    assert.equal(body.model, 'gpt');
    assert.equal(body.tool_choice, 'required');
    for (const k of ['task_id', 'workspace', 'provider', 'stream']) assert.equal(k in body, false, k);
  });
});

describe('token estimates', () => {
  test('count CJK characters one each and err high on Latin text', () => {
    assert.equal(estimateTextTokens('執行每日報告生成'), 8);
    assert.equal(estimateTextTokens('abcdefghi'), 3);
    assert.ok(estimatePromptTokens(twoCalls) > estimateTextTokens('rules look checking one two and?'));
  });
});
