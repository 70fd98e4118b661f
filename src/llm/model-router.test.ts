/** @module Tests of model routing: provider/model, aliases, families, defaults and the fallback chain. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../protocol/index.js';
import { ModelRouter } from './model-router.js';
import type { ProviderSettings, ProviderType } from './provider-adapter.js';

function p(name: string, type: ProviderType, models: string[] = []): ProviderSettings {
  return {
    name,
    type,
    apiKeys: ['k'],
    models,
    requestsPerMinute: 0,
    tokensPerMinute: 0,
    maxConcurrent: 0,
    timeoutMs: 1000,
    maxTokens: 100,
    maxQueue: 10,
  };
}

const providers = [
  p('openai', 'openai'),
  p('anthropic', 'anthropic', ['claude-sonnet-4-5']),
  p('local', 'ollama', ['llama3.2', 'qwen2.5']),
  p('router', 'openai-compatible', ['meta-llama/llama-3-70b']),
];

const isCode = (code: string) => (e: unknown) => e instanceof GatewayError && e.code === code;

describe('ModelRouter', () => {
  const r = new ModelRouter(providers, {
    aliases: { fast: 'local/qwen2.5', smart: 'best', best: 'anthropic/claude-opus-4-1' },
    fallback: ['local/llama3.2', 'openai/gpt-4o-mini'],
  });

  test('routes provider/model, keeping slashes inside the model name', () => {
    assert.deepEqual(r.resolve('local/qwen2.5'), { provider: 'local', model: 'qwen2.5' });
    assert.deepEqual(r.resolve('router/meta-llama/llama-3-70b'), {
      provider: 'router',
      model: 'meta-llama/llama-3-70b',
    });
    // An unknown prefix is part of a model name that a provider declares.
    assert.deepEqual(r.resolve('meta-llama/llama-3-70b'), {
      provider: 'router',
      model: 'meta-llama/llama-3-70b',
    });
  });

  test('follows aliases, also through other aliases', () => {
    assert.deepEqual(r.resolve('fast'), { provider: 'local', model: 'qwen2.5' });
    assert.deepEqual(r.resolve('smart'), { provider: 'anthropic', model: 'claude-opus-4-1' });
  });

  test('routes bare names by declared models, then by known family', () => {
    assert.deepEqual(r.resolve('llama3.2'), { provider: 'local', model: 'llama3.2' });
    assert.deepEqual(r.resolve('gpt-4.1'), { provider: 'openai', model: 'gpt-4.1' });
    assert.deepEqual(r.resolve('claude-3-5-haiku-latest'), {
      provider: 'anthropic',
      model: 'claude-3-5-haiku-latest',
    });
  });

  test('refuses a name nobody serves, naming the providers', () => {
    assert.throws(
      () => r.resolve('mystery-7b'),
      (e: unknown) =>
        isCode('GW_ERR_LLM_MODEL_UNKNOWN')(e) &&
        /openai, anthropic, local, router/.test((e as Error).message),
    );
    assert.throws(() => r.resolve(undefined, 'nope'), isCode('GW_ERR_LLM_MODEL_UNKNOWN'));
  });

  test('uses the first provider and its first model when the request names none', () => {
    assert.deepEqual(new ModelRouter([providers[2]!, providers[0]!]).resolve(), {
      provider: 'local',
      model: 'llama3.2',
    });
    assert.deepEqual(
      new ModelRouter(providers, { aliases: { fast: 'local/qwen2.5' }, defaultModel: 'fast' }).resolve(),
      {
        provider: 'local',
        model: 'qwen2.5',
      },
    );
    assert.deepEqual(r.resolve(undefined, 'anthropic'), {
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
    });
    assert.deepEqual(r.resolve('anthropic/claude-x', 'anthropic'), {
      provider: 'anthropic',
      model: 'claude-x',
    });
  });

  test('appends the fallback chain without repeating the chosen route', () => {
    assert.deepEqual(r.candidates('local/llama3.2'), [
      { provider: 'local', model: 'llama3.2' },
      { provider: 'openai', model: 'gpt-4o-mini' },
    ]);
    assert.equal(r.candidates('fast').length, 3);
  });

  test('rejects bad aliases, default models and fallbacks at construction, naming the key', () => {
    assert.throws(
      () => new ModelRouter(providers, { aliases: { a: 'b', b: 'a' } }),
      (e: unknown) => isCode('GW_ERR_CONFIG_INVALID')(e) && /llm\.aliases\.a/.test((e as Error).message),
    );
    assert.throws(
      () => new ModelRouter(providers, { fallback: ['nobody-serves-this'] }),
      (e: unknown) => isCode('GW_ERR_CONFIG_INVALID')(e) && /llm\.fallback\[0\]/.test((e as Error).message),
    );
    assert.throws(
      () => new ModelRouter(providers, { defaultModel: 'x-unknown' }),
      isCode('GW_ERR_CONFIG_INVALID'),
    );
  });
});
